package org.vmcorefs.format;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vmcorefs.machine.DumpException;
import org.vmcorefs.machine.FirmwareDump;
import org.vmcorefs.machine.MemoryRange;

/**
 * /sys/kernel/release_region of phyp-assisted dump (0600). A read shows the kernel's one line of (address,
 * LENGTH) pairs: the CPU state area, the HPTE area, the hypervisor's copy of the low 256 MiB, then the crashed
 * system's memory that stayed in place. A write of {@code <start> <length>} gives that memory back.
 *
 * <p>Before any release the line is the kernel's byte for byte. The kernel prints the same line for ever; here
 * each pair narrows to the first still-reserved run of its area, and reads 0x0-0x0 once the area is free, so
 * that a tool can loop "read, copy, release" until every pair is empty.
 */
public final class ReleaseRegion {
    public static final String PATH = "/sys/kernel/release_region";
    private static final Logger LOG = LoggerFactory.getLogger(ReleaseRegion.class);

    private ReleaseRegion() {
    }

    /** The line a read shows now. */
    public static String show(FirmwareDump dump) {
        MemoryRange cpu = dump.firstReservedRun(dump.cpuState());
        MemoryRange hpte = dump.firstReservedRun(dump.hpte());
        MemoryRange copy = dump.firstReservedRun(dump.bootMemoryCopy());
        MemoryRange rest = dump.firstReservedRun(dump.inPlace());
        return String.format("CPU:0x%x-0x%x: HPTE:0x%x-0x%x: DUMP:0x%x-0x%x, 0x%x-0x%x:\n", cpu.start(), cpu.size(),
                hpte.start(), hpte.size(), copy.start(), copy.size(), rest.start(), rest.size());
    }

    /** Parses a write in full, then releases in one step; a bad write changes nothing. */
    public static void store(FirmwareDump dump, String input, Runnable onInvalidated) throws DumpException {
        MemoryRange range = ReleaseRequest.parse(input).range();
        boolean wasActive = dump.dumpActive();
        dump.release(range);
        if (wasActive && !dump.dumpActive()) {
            LOG.info("release_region: everything released, the dump is invalidated");
            onInvalidated.run();
        }
    }

    /** The file, calling {@code onInvalidated} once the last reserved page has been released. */
    public static AttributeFile file(FirmwareDump dump, Runnable onInvalidated) {
        return new AttributeFile(PATH, 0600, () -> show(dump), input -> store(dump, input, onInvalidated));
    }
}
