package org.vmcorefs.machine.memory;

import org.vmcorefs.machine.DumpException;
import org.vmcorefs.machine.Errno;
import org.vmcorefs.machine.EventLog;
import org.vmcorefs.machine.MemoryRange;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Memory that the running kernel keeps reserved for a dump until a tool gives it back, and what has been given
 * back so far: sorted, merged, page-granular ranges. A release is checked in full before it changes anything,
 * then applied in one step, and recorded in the machine's {@link EventLog}.
 */
public final class ReservedMemory {
    private static final Logger LOG = LoggerFactory.getLogger(ReservedMemory.class);

    private final List<MemoryRange> reserved;
    private final long pageSize;
    private final EventLog events;
    /** Immutable and replaced as a whole, so that a reader always sees one consistent state. */
    private volatile List<MemoryRange> released = List.of();

    /**
     * @param reserved what the kernel reserved at boot; every range must be page-aligned
     * @param pageSize the running kernel's page size: the granule of every release
     */
    public ReservedMemory(List<MemoryRange> reserved, long pageSize, EventLog events) {
        if (pageSize <= 0 || Long.bitCount(pageSize) != 1) {
            throw new IllegalArgumentException("page size must be a power of two: " + pageSize);
        }
        this.reserved = MemoryRange.normalize(reserved);
        for (MemoryRange r : this.reserved) {
            if (r.start() % pageSize != 0 || r.size() % pageSize != 0) {
                throw new IllegalArgumentException("reserved range " + r + " is not page-aligned");
            }
        }
        this.pageSize = pageSize;
        this.events = events;
    }

    public long pageSize() {
        return pageSize;
    }

    /** What was reserved at boot. */
    public List<MemoryRange> reserved() {
        return reserved;
    }

    /** What has been given back to the running system, sorted and merged. */
    public List<MemoryRange> released() {
        return released;
    }

    public long releasedBytes() {
        return released.stream().mapToLong(MemoryRange::size).sum();
    }

    /** What is still reserved, sorted. */
    public List<MemoryRange> stillReserved() {
        return stillReservedIn(reserved);
    }

    /** The parts of {@code areas} that are still reserved (not released), sorted. */
    public List<MemoryRange> stillReservedIn(List<MemoryRange> areas) {
        List<MemoryRange> out = new ArrayList<>(MemoryRange.normalize(areas));
        for (MemoryRange r : released) {
            out = new ArrayList<>(MemoryRange.subtract(out, r));
        }
        return List.copyOf(out);
    }

    public boolean fullyReleased() {
        return stillReserved().isEmpty();
    }

    /** Whether any byte of [address, address + length) has been released. */
    public boolean anyReleased(long address, long length) {
        MemoryRange probe = new MemoryRange(address, length);
        return released.stream().anyMatch(r -> r.overlaps(probe));
    }

    /**
     * Gives {@code range} back to the running system. It must be page-aligned, non-empty and inside what was
     * reserved; parts already released are ignored. Nothing changes unless the whole request is valid.
     *
     * @return the bytes this call released that were still reserved
     */
    public synchronized long release(MemoryRange range) throws DumpException {
        if (range.isEmpty()) {
            throw new DumpException(Errno.EINVAL, "release of an empty range at 0x" + Long.toHexString(range.start()));
        }
        if (range.start() % pageSize != 0 || range.size() % pageSize != 0) {
            throw new DumpException(Errno.EINVAL, String.format(
                    "release of %s is not page-granular (page size 0x%x)", range, pageSize));
        }
        if (!covered(range)) {
            throw new DumpException(Errno.EINVAL, String.format(
                    "release of %s reaches outside the reserved memory %s", range, reserved));
        }
        long before = releasedBytes();
        List<MemoryRange> next = new ArrayList<>(released);
        next.add(range);
        List<MemoryRange> merged = MemoryRange.normalize(next);
        released = merged;
        long fresh = merged.stream().mapToLong(MemoryRange::size).sum() - before;
        events.record("release", String.format("%s 0x%x bytes newly released", range, fresh));
        LOG.info("released {}: 0x{} bytes newly released, 0x{} still reserved", range, Long.toHexString(fresh),
                Long.toHexString(stillReserved().stream().mapToLong(MemoryRange::size).sum()));
        return fresh;
    }

    /** Releases everything still reserved, in one step. Returns the bytes newly released. */
    public synchronized long releaseAll() {
        long fresh = stillReserved().stream().mapToLong(MemoryRange::size).sum();
        if (fresh == 0) {
            return 0;
        }
        released = reserved;
        events.record("release", String.format("%s 0x%x bytes newly released", reserved, fresh));
        LOG.info("released all reserved memory {}: 0x{} bytes", reserved, Long.toHexString(fresh));
        return fresh;
    }

    private boolean covered(MemoryRange range) {
        return MemoryRange.insideOne(reserved, range);
    }
}
