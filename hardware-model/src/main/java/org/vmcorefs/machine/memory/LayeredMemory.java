package org.vmcorefs.machine.memory;

import org.vmcorefs.machine.DumpException;
import org.vmcorefs.machine.MemoryRange;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Memory made of extents laid over a background: an extent maps [start, start + size) to another memory
 * at {@code sourceAddress}; addresses outside every extent come from the background. Used for a dump's
 * segments, for the capture kernel overwriting the crashed system's memory, and for planted images.
 *
 * <p>Layers built over layers are flattened when built: reads go through one table whose sources are leaves
 * (see {@link PhysicalMemory#resolve}), however deep the layers were stacked, and cut a range exactly where
 * the stacked layers would have cut it.
 */
public final class LayeredMemory implements PhysicalMemory {
    /** One extent: [start, start + size) reads {@code source} from {@code sourceAddress}. */
    public record Extent(long start, long size, PhysicalMemory source, long sourceAddress) {
        long end() {
            return start + size;
        }
    }

    /** The extents as they were put, for {@link #extents()}. */
    private final Extent[] declared;
    /** What reads use: the declared extents and the background's, resolved to leaves; sorted, disjoint. */
    private final Extent[] extents;
    private final long[] starts;
    /** The background's own background, when it is layered too: a leaf. */
    private final PhysicalMemory background;

    private LayeredMemory(PhysicalMemory background, List<Extent> sorted) {
        this.declared = sorted.toArray(new Extent[0]);
        List<Extent> flat = new ArrayList<>();
        PhysicalMemory leafBackground = background;
        Extent[] under = new Extent[0];
        if (background instanceof LayeredMemory l) {
            leafBackground = l.background;
            under = l.extents;
        }
        // The background's extents (already leaves) show through the gaps between this layer's extents.
        long gapStart = Long.MIN_VALUE;
        int u = 0;
        for (int i = 0; i <= declared.length; i++) {
            long gapEnd = i < declared.length ? declared[i].start : Long.MAX_VALUE;
            for (; u < under.length && under[u].start < gapEnd; u++) {
                Extent e = under[u];
                long from = Math.max(e.start, gapStart);
                long to = Math.min(e.end(), gapEnd);
                if (from < to) {
                    flat.add(new Extent(from, to - from, e.source, e.sourceAddress + (from - e.start)));
                }
                if (e.end() > gapEnd) {
                    break; // continues after this layer's extent
                }
            }
            if (i < declared.length) {
                Extent d = declared[i];
                d.source.resolve(d.sourceAddress, d.size, (address, length, leaf, leafAddress) ->
                        flat.add(new Extent(d.start + (address - d.sourceAddress), length, leaf, leafAddress)));
                gapStart = d.end();
            }
        }
        this.background = leafBackground;
        this.extents = flat.toArray(new Extent[0]);
        this.starts = new long[extents.length];
        for (int i = 0; i < extents.length; i++) {
            starts[i] = extents[i].start;
        }
    }

    public static Builder over(PhysicalMemory background) {
        return new Builder(background);
    }

    /** The extents as they were put (later ones cutting earlier ones), sorted: not the flattened table. */
    public List<Extent> extents() {
        return List.of(declared);
    }

    @Override
    public void read(long address, ByteBuffer dst) throws DumpException {
        long end = address + dst.remaining();
        int i = indexAtOrBefore(address);
        while (address < end) {
            PhysicalMemory source;
            long sourceAddress;
            long n;
            if (i >= 0 && address < extents[i].end()) {
                Extent e = extents[i];
                source = e.source;
                sourceAddress = e.sourceAddress + (address - e.start);
                n = Math.min(end, e.end()) - address;
            } else {
                long limit = i + 1 < extents.length ? extents[i + 1].start : Long.MAX_VALUE;
                source = background;
                sourceAddress = address;
                n = Math.min(end, limit) - address;
            }
            Buffers.readPart(source, sourceAddress, dst, (int) n);
            address += n;
            if (i + 1 < extents.length && extents[i + 1].start <= address) {
                i++;
            }
        }
    }

    /** Asks each extent's source, and the background between extents, about its part of the range. */
    @Override
    public void knownZeros(long address, long length, ZeroSink sink) {
        resolve(address, length, (at, n, leaf, leafAddress) ->
                leaf.knownZeros(leafAddress, n, (a, l) -> sink.zero(a - leafAddress + at, l)));
    }

    /** The leaves of the flattened table and the background between its extents, in order. */
    @Override
    public void resolve(long address, long length, PieceSink sink) {
        long end = address + length;
        int i = indexAtOrBefore(address);
        while (address < end) {
            long n;
            if (i >= 0 && address < extents[i].end()) {
                Extent e = extents[i];
                n = Math.min(end, e.end()) - address;
                sink.piece(address, n, e.source, e.sourceAddress + (address - e.start));
            } else {
                long limit = i + 1 < extents.length ? extents[i + 1].start : Long.MAX_VALUE;
                n = Math.min(end, limit) - address;
                sink.piece(address, n, background, address);
            }
            address += n;
            if (i + 1 < extents.length && extents[i + 1].start <= address) {
                i++;
            }
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
