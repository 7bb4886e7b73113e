package org.vmcorefs.it;

import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** What gdb prints for {@code thread apply all info registers ...} on a core, read back. */
final class Gdb {
    private static final Pattern THREAD = Pattern.compile("^Thread \\d+ \\((?:LWP|process) (\\d+)\\)");
    private static final Pattern REGISTER = Pattern.compile("^(\\w+)\\s+(0x\\p{XDigit}+)\\s");

    private Gdb() {
    }

    /** Each thread's registers by CPU (the thread's pid - 1, as the dump's pr_pid is CPU + 1), name to value. */
    static Map<Integer, Map<String, Long>> registersByCpu(String out) {
        Map<Integer, Map<String, Long>> cpus = new TreeMap<>();
        Map<String, Long> current = null;
        for (String line : out.split("\n")) {
            Matcher t = THREAD.matcher(line);
            if (t.find()) {
                current = new TreeMap<>();
                cpus.put(Integer.parseInt(t.group(1)) - 1, current);
                continue;
            }
            Matcher r = REGISTER.matcher(line);
            if (current != null && r.find()) {
                current.put(r.group(1), Long.parseUnsignedLong(r.group(2).substring(2), 16));
            }
        }
        return cpus;
    }
}
