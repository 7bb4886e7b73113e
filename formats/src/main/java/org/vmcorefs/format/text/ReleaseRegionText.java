package org.vmcorefs.format.text;

import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.vmcorefs.machine.DumpException;
import org.vmcorefs.machine.Errno;
import org.vmcorefs.machine.MemoryRange;

/**
 * The one line that phyp-assisted dump's /sys/kernel/release_region shows, as the kernel's
 * show_release_region prints it: {@code "CPU:0x%llx-0x%llx: HPTE:0x%llx-0x%llx: DUMP:0x%llx-0x%llx,
 * 0x%llx-0x%llx:\n"}, every pair (address, LENGTH). CPU, HPTE and the first DUMP pair are the hypervisor's
 * save area (its copy of the low memory); the second DUMP pair is the crashed system's memory held reserved
 * until it is saved.
 *
 * <p>Read back: that line, or as Documentation/powerpc/phyp-assisted-dump.txt shows it (upper-case digits, no
 * colon at the end, or no newline). Anything else is EINVAL.
 *
 * @param cpu the CPU state area
 * @param hpte the hashed page table entries
 * @param savedLowMemory the hypervisor's copy of the low memory
 * @param reserved the crashed system's memory that stayed in place, still reserved
 */
public record ReleaseRegionText(MemoryRange cpu, MemoryRange hpte, MemoryRange savedLowMemory,
        MemoryRange reserved) {
    private static final String PAIR = "0x([0-9a-fA-F]{1,16})-0x([0-9a-fA-F]{1,16})";
    private static final Pattern LINE = Pattern.compile(
            "CPU:" + PAIR + ": HPTE:" + PAIR + ": DUMP:" + PAIR + ", " + PAIR + ":?\n?");
    private static final String FILE = "release_region";

    /** The line, as the kernel prints it. */
    public String render() {
        return String.format("CPU:0x%x-0x%x: HPTE:0x%x-0x%x: DUMP:0x%x-0x%x, 0x%x-0x%x:\n", cpu.start(), cpu.size(),
                hpte.start(), hpte.size(), savedLowMemory.start(), savedLowMemory.size(), reserved.start(),
                reserved.size());
    }

    /** The four pairs of {@code text}; EINVAL for anything but the kernel's (or its documentation's) line. */
    public static ReleaseRegionText parse(String text) throws DumpException {
        Matcher m = LINE.matcher(text);
        if (!m.matches()) {
            throw new DumpException(Errno.EINVAL, "release_region does not read as "
                    + "'CPU:0xA-0xL: HPTE:0xA-0xL: DUMP:0xA-0xL, 0xA-0xL:': '" + text.strip() + "'");
        }
        return new ReleaseRegionText(pair(m, 1), pair(m, 3), pair(m, 5), pair(m, 7));
    }

    private static MemoryRange pair(Matcher m, int group) throws DumpException {
        return Hex.range(m.group(group), m.group(group + 1), FILE);
    }
}
