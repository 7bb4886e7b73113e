package org.vmcorefs.it;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** What the mount tests read out of {@code readelf -h -l -n -W}'s output. */
final class Readelf {
    private Readelf() {
    }

    /** readelf -l's NOTE and LOAD rows: type, offset, vaddr, paddr, filesz, memsz, flags, align. */
    static List<String[]> segments(String readelf) {
        List<String[]> rows = new ArrayList<>();
        for (String line : readelf.split("\n")) {
            String t = line.trim();
            if (t.startsWith("NOTE ") || t.startsWith("LOAD ")) {
                String[] f = t.split("\\s+");
                String flags = String.join(" ", Arrays.copyOfRange(f, 6, f.length - 1));
                rows.add(new String[] {f[0], f[1], f[2], f[3], f[4], f[5], flags, f[f.length - 1]});
            }
        }
        return rows;
    }

    /** The notes readelf -n lists, each as its owner, a space and its descriptor size in bytes. */
    static List<String> notes(String readelf) {
        Matcher n = Pattern.compile("^\\s+(\\S+)\\s+0x(\\p{XDigit}+)\\s+(.*)$", Pattern.MULTILINE)
                .matcher(readelf.substring(readelf.indexOf("Displaying notes")));
        List<String> out = new ArrayList<>();
        while (n.find()) {
            out.add(n.group(1) + " " + Integer.parseInt(n.group(2), 16));
        }
        return out;
    }
}
