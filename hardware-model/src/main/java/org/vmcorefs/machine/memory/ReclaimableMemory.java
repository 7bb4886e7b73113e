package org.vmcorefs.machine.memory;

import org.vmcorefs.machine.DumpException;
import org.vmcorefs.machine.Errno;
import org.vmcorefs.machine.MemoryRange;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * Memory parts of which a dump tool gives back to the running system: where it is still reserved it reads the
 * preserved bytes; where it has been released it reads what the running system put there, or, for a view of
 * the dump, fails with EIO, because the preserved bytes are gone and other bytes must never pass for them.
 */
public final class ReclaimableMemory implements PhysicalMemory {
    private final PhysicalMemory preserved;
    private final ReservedMemory reservations;
    private final PhysicalMemory afterRelease;
    private final String what;

    /**
     * @param afterRelease what released pages read now, or null to fail every read that touches them
     * @param what what the memory holds, for error messages
     */
    public ReclaimableMemory(PhysicalMemory preserved, ReservedMemory reservations, PhysicalMemory afterRelease,
            String what) {
        this.preserved = preserved;
        this.reservations = reservations;
        this.afterRelease = afterRelease;
        this.what = what;
    }

    /**
     * Checks the released ranges, then reads each part from where it comes from now. This memory is a leaf
     * of {@link PhysicalMemory#resolve}: what it reads changes while mounted, so no reader may go past it.
     * {@code preserved}, when layered, is flat already, so a part is one more table lookup from its leaf.
     */
    @Override
    public void read(long address, ByteBuffer dst) throws DumpException {
        // One snapshot per read: a release that happens meanwhile affects the next read, never half of this one.
        List<MemoryRange> released = reservations.released();
        long end = address + dst.remaining();
        while (address < end) {
            MemoryRange hit = firstEndingAfter(released, address);
            long stop;
            PhysicalMemory source;
            if (hit == null || hit.start() >= end) {
                stop = end;
                source = preserved;
            } else if (address < hit.start()) {
                stop = hit.start();
                source = preserved;
            } else {
                if (afterRelease == null) {
                    throw new DumpException(Errno.EIO, String.format(
                            "%s at 0x%x: the memory %s has been released to the running system", what,
                            address, hit));
                }
                stop = Math.min(hit.end(), end);
                source = afterRelease;
            }
            Buffers.readPart(source, address, dst, (int) (stop - address));
            address = stop;
        }
    }

    /** The first released range that ends after {@code address} (the list is sorted and disjoint). */
    private static MemoryRange firstEndingAfter(List<MemoryRange> released, long address) {
        int lo = 0;
        int hi = released.size();
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (released.get(mid).end() <= address) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo < released.size() ? released.get(lo) : null;
    }
}
