package org.vmcorefs.format.env.phyp;

import org.vmcorefs.format.DumpPaths;
import org.vmcorefs.format.env.KernelLeniency;
import org.vmcorefs.format.text.ReleaseRequest;
import org.vmcorefs.format.view.AttributeFile;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vmcorefs.format.text.ReleaseRegionText;
import org.vmcorefs.machine.DumpException;
import org.vmcorefs.machine.mechanism.FirmwareDump;
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
    private static final Logger LOG = LoggerFactory.getLogger(ReleaseRegion.class);

    private ReleaseRegion() {
    }

    /** The line a read shows now. */
    public static String show(FirmwareDump dump) {
        MemoryRange cpu = dump.firstReservedRun(dump.cpuState());
        MemoryRange hpte = dump.firstReservedRun(dump.hpte());
        MemoryRange copy = dump.firstReservedRun(dump.bootMemoryCopy());
        MemoryRange rest = dump.firstReservedRun(dump.inPlace());
        return new ReleaseRegionText(cpu, hpte, copy, rest).render();
    }

    /**
     * Acts on a write as the kernel's store_release_region does: the start is raised to the reserved memory,
     * the end clipped to it, start and length each rounded down to whole pages, and what is left released.
     * Everything the kernel corrects silently goes through {@code leniency} first (--strict: EINVAL and
     * nothing changes). Fewer than two numbers: EINVAL, nothing changes.
     */
    public static void store(FirmwareDump dump, KernelLeniency leniency, String input, Runnable onInvalidated)
            throws DumpException {
        ReleaseRequest request = ReleaseRequest.parse(input);
        List<String> odd = new ArrayList<>(request.oddities());
        List<MemoryRange> reserved = dump.reservations().reserved();
        long lo = reserved.get(0).start();
        long hi = reserved.get(reserved.size() - 1).end();
        long page = dump.reservations().pageSize();
        long start = request.start();
        long length = request.length();
        if (Long.compareUnsigned(start, lo) < 0) {
            odd.add(String.format("start 0x%x is below the reserved memory [0x%x-0x%x): raised to 0x%x", start, lo,
                    hi, lo));
            start = lo;
        }
        long end = start + length;
        if (Long.compareUnsigned(end, start) < 0 || Long.compareUnsigned(end, hi) > 0) {
            long clipped = Long.compareUnsigned(start, hi) < 0 ? hi - start : 0;
            odd.add(String.format("0x%x + 0x%x ends beyond the reserved memory [0x%x-0x%x): length clipped to 0x%x",
                    start, length, lo, hi, clipped));
            length = clipped;
        }
        if (start % page != 0) {
            odd.add(String.format("start 0x%x is not page-aligned: rounded down to 0x%x", start, start / page * page));
        }
        if (length % page != 0) {
            odd.add(String.format("length 0x%x is not whole pages: rounded down to 0x%x", length,
                    length / page * page));
        }
        MemoryRange effective = new MemoryRange(start / page * page, length / page * page);
        if (effective.isEmpty()) {
            odd.add("nothing is left to release");
        }
        leniency.check(DumpPaths.RELEASE_REGION, input, odd);
        boolean wasActive = dump.dumpActive();
        for (MemoryRange r : reserved) {
            long s = Math.max(r.start(), effective.start());
            long e = Math.min(r.end(), effective.end());
            if (s < e) {
                dump.release(MemoryRange.ofEnd(s, e));
            }
        }
        if (wasActive && !dump.dumpActive()) {
            LOG.info("release_region: everything released, the dump is invalidated");
            onInvalidated.run();
        }
    }

    /** The file, calling {@code onInvalidated} once the last reserved page has been released. */
    public static AttributeFile file(FirmwareDump dump, KernelLeniency leniency, Runnable onInvalidated) {
        return new AttributeFile(DumpPaths.RELEASE_REGION, 0600, () -> show(dump), input -> store(dump, leniency, input, onInvalidated));
    }
}
