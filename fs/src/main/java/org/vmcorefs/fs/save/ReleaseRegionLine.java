package org.vmcorefs.fs.save;

import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.vmcorefs.machine.MemoryRange;

/**
 * The one line that phyp-assisted dump's {@code /sys/kernel/release_region} reads as:
 * {@code CPU:0xA-0xL: HPTE:0xA-0xL: DUMP:0xA-0xL, 0xA-0xL:} where every pair is (address, LENGTH). CPU,
 * HPTE and the first DUMP pair are the hypervisor's save area (its copy of the low memory); the second
 * DUMP pair is the crashed system's memory held reserved until it is saved.
 */
record ReleaseRegionLine(MemoryRange cpu, MemoryRange hpte, MemoryRange savedLowMemory, MemoryRange reserved) {
    private static final String PAIR = "\\s*(?:0[xX])?([0-9a-fA-F]+)\\s*-\\s*(?:0[xX])?([0-9a-fA-F]+)\\s*";
    private static final Pattern LINE = Pattern.compile(
            "\\s*CPU:" + PAIR + ":\\s*HPTE:" + PAIR + ":\\s*DUMP:" + PAIR + "," + PAIR + ":?\\s*");

    static ReleaseRegionLine parse(String text) {
        Matcher m = LINE.matcher(text);
        if (!m.matches()) {
            throw new IllegalArgumentException("release_region does not read as "
                    + "'CPU:0xA-0xL: HPTE:0xA-0xL: DUMP:0xA-0xL, 0xA-0xL:': '" + text.strip() + "'");
        }
        return new ReleaseRegionLine(pair(m, 1), pair(m, 3), pair(m, 5), pair(m, 7));
    }

    private static MemoryRange pair(Matcher m, int group) {
        return new MemoryRange(Long.parseUnsignedLong(m.group(group), 16), Long.parseUnsignedLong(m.group(group + 1), 16));
    }

    /** What to write to release {@code range}: "0xSTART 0xLENGTH", as the kernel's sscanf("%lx %lx") reads it. */
    static String command(MemoryRange range) {
        return String.format("0x%x 0x%x\n", range.start(), range.size());
    }
}
