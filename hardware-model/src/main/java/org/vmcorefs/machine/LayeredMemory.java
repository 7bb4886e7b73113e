package org.vmcorefs.machine;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Memory made of extents laid over a background: an extent maps [start, start + size) to another memory
 * at {@code sourceAddress}; addresses outside every extent come from the background. Used for a dump's
 * segments, for the capture kernel overwriting the crashed system's memory, and for planted images.
 */
public final class LayeredMemory implements PhysicalMemory {
    /** One extent: [start, start + size) reads {@code source} from {@code sourceAddress}. */
    public record Extent(long start, long size, PhysicalMemory source, long sourceAddress) {
        long end() {
            return start + size;
        }
    }

    private final PhysicalMemory background;
    private final long[] starts;
    private final Extent[] extents;

    private LayeredMemory(PhysicalMemory background, List<Extent> sorted) {
        this.background = background;
        this.extents = sorted.toArray(new Extent[0]);
        this.starts = new long[extents.length];
        for (int i = 0; i < extents.length; i++) {
            starts[i] = extents[i].start;
        }
    }

    public static Builder over(PhysicalMemory background) {
        return new Builder(background);
    }

    public List<Extent> extents() {
        return List.of(extents);
    }

    @Override
    public void read(long address, ByteBuffer dst) throws DumpException {
        walk(address, dst.remaining(), (source, sourceAddress, n) -> readPart(source, sourceAddress, dst, (int) n));
    }

    /** Asks each extent's source, and the background between extents, about its part of the range. */
    @Override
    public void knownZeros(long address, long length, ZeroSink sink) {
        long[] at = {address};
        walk(address, length, (source, sourceAddress, n) -> {
            long shift = sourceAddress - at[0];
            source.knownZeros(sourceAddress, n, (a, l) -> sink.zero(a - shift, l));
            at[0] += n;
        });
    }

    /** The answer of the one extent (or background) holding the whole range; null when the range has more pieces. */
    @Override
    public FileExtent fileExtent(long address, long length) {
        FileExtent[] answer = new FileExtent[1];
        int[] pieces = {0};
        walk(address, length, (source, sourceAddress, n) -> {
            if (pieces[0]++ == 0) {
                answer[0] = source.fileExtent(sourceAddress, n);
            }
        });
        return pieces[0] == 1 ? answer[0] : null;
    }

    /** One piece of a walk: {@code n} bytes that {@code source} holds at {@code sourceAddress}. */
    private interface Piece<E extends Exception> {
        void visit(PhysicalMemory source, long sourceAddress, long n) throws E;
    }

    /** Cuts [address, address + length) into the pieces each extent and the background hold, in order. */
    private <E extends Exception> void walk(long address, long length, Piece<E> piece) throws E {
        long end = address + length;
        int i = indexAtOrBefore(address);
        while (address < end) {
            if (i >= 0 && i < extents.length && address >= extents[i].start && address < extents[i].end()) {
                Extent e = extents[i];
                long n = Math.min(end, e.end()) - address;
                piece.visit(e.source, e.sourceAddress + (address - e.start), n);
                address += n;
                // Step to the next extent only when it starts right here; after a gap, i must stay the last
                // extent before the address, as the background branch below expects.
                if (i + 1 < extents.length && extents[i + 1].start == address) {
                    i++;
                }
            } else {
                int next = i + 1;
                long limit = next < extents.length ? extents[next].start : Long.MAX_VALUE;
                long n = Math.min(end, limit) - address;
                piece.visit(background, address, n);
                address += n;
                i = next;
            }
        }
    }

    private static void readPart(PhysicalMemory source, long address, ByteBuffer dst, int n)
            throws DumpException {
        if (n == dst.remaining()) {
            source.read(address, dst);
            return;
        }
        int limit = dst.limit();
        dst.limit(dst.position() + n);
        try {
            source.read(address, dst);
        } finally {
            dst.limit(limit);
        }
    }

    /** Index of the last extent starting at or before {@code address}, or -1. */
    private int indexAtOrBefore(long address) {
        int lo = 0;
        int hi = starts.length - 1;
        int found = -1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (starts[mid] <= address) {
                found = mid;
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        return found;
    }

    /** Collects extents; a later extent replaces what earlier ones said about its addresses. */
    public static final class Builder {
        private final PhysicalMemory background;
        private final List<Extent> extents = new ArrayList<>();

        private Builder(PhysicalMemory background) {
            this.background = background;
        }

        public Builder put(long start, long size, PhysicalMemory source, long sourceAddress) {
            if (size <= 0) {
                return this;
            }
            MemoryRange cut = new MemoryRange(start, size);
            List<Extent> kept = new ArrayList<>();
            for (Extent e : extents) {
                MemoryRange r = new MemoryRange(e.start, e.size);
                for (MemoryRange piece : r.minus(cut)) {
                    kept.add(new Extent(piece.start(), piece.size(), e.source, e.sourceAddress + piece.start() - e.start));
                }
            }
            kept.add(new Extent(start, size, source, sourceAddress));
            extents.clear();
            extents.addAll(kept);
            return this;
        }

        /**
         * Adds an extent known not to overlap any other (checked when built); cheap for the many
         * segments of a dump file, where {@link #put} would be quadratic.
         */
        public Builder append(long start, long size, PhysicalMemory source, long sourceAddress) {
            if (size > 0) {
                extents.add(new Extent(start, size, source, sourceAddress));
            }
            return this;
        }

        /** [start, start + size) reads {@code source} at the same addresses. */
        public Builder put(MemoryRange range, PhysicalMemory source) {
            return put(range.start(), range.size(), source, range.start());
        }

        public LayeredMemory build() {
            List<Extent> sorted = new ArrayList<>(extents);
            sorted.sort(Comparator.comparingLong(Extent::start));
            for (int i = 1; i < sorted.size(); i++) {
                if (sorted.get(i).start < sorted.get(i - 1).end()) {
                    throw new IllegalArgumentException("overlapping extents at 0x"
                            + Long.toHexString(sorted.get(i).start));
                }
            }
            return new LayeredMemory(background, sorted);
        }
    }
}
