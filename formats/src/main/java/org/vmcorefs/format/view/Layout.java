package org.vmcorefs.format.view;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.vmcorefs.machine.memory.Buffers;
import org.vmcorefs.machine.DumpException;
import org.vmcorefs.machine.memory.FileMemory;
import org.vmcorefs.machine.MemoryRange;
import org.vmcorefs.machine.memory.PhysicalMemory;

/**
 * A file's bytes as an immutable, sorted list of segments laid back to back: zeros, prebuilt bytes, or
 * memory at a physical address. Computed once from the machine; a read only walks the list and copies.
 *
 * <p>When built, each memory segment is resolved to the leaves that hold its bytes (see
 * {@link PhysicalMemory#resolve}): the layout reads from a flat table of pieces, one lookup per read, each
 * piece a leaf memory (a run of a backing file, synthetic memory, held bytes) or a memory that checks its
 * state on every read (a saved area, memory that is given back while mounted), as fs/proc/vmcore.c reads its
 * list of ranges. The same lookup tells whether a read's bytes are one run of a backing file.
 */
public final class Layout {
    /** Where a segment's bytes come from; {@code offset} is relative to the segment. */
    public interface Source {
        void read(long offset, ByteBuffer dst) throws DumpException;

        /** Reports the parts of [offset, offset + length) known to be all zeros without reading them. */
        default void knownZeros(long offset, long length, PhysicalMemory.ZeroSink sink) {
        }
    }

    /** Receives the physical addresses that part of a file reads (see {@link #memory}). */
    @FunctionalInterface
    public interface MemorySink {
        void memory(long address, long length);
    }

    /** A segment at file offset {@code offset}, {@code length} bytes long. */
    public record Segment(long offset, long length, Source source, String description) {
        public long end() {
            return offset + length;
        }
    }

    /**
     * One piece of the read table: file bytes [offset, offset + length) are {@code leaf}'s at {@code address};
     * {@code file} is the leaf when it is a backing file whose offset {@code address} is (else null).
     */
    private record Piece(long offset, long length, PhysicalMemory leaf, long address, FileMemory file) {
        long end() {
            return offset + length;
        }
    }

    private final Segment[] segments;
    private final Piece[] pieces;
    private final long[] starts;
    private final long size;

    private Layout(List<Segment> list) {
        this.segments = list.toArray(new Segment[0]);
        List<Piece> table = new ArrayList<>();
        for (Segment s : segments) {
            if (s.source instanceof MemorySource m) {
                long shift = s.offset - m.address;
                m.memory.resolve(m.address, s.length, (address, length, leaf, leafAddress) -> table.add(
                        new Piece(address + shift, length, leaf, leafAddress,
                                leaf instanceof FileMemory f && leafAddress >= 0 ? f : null)));
            } else {
                table.add(new Piece(s.offset, s.length, new SourceLeaf(s.source), 0, null));
            }
        }
        this.pieces = table.toArray(new Piece[0]);
        this.starts = new long[pieces.length];
        for (int i = 0; i < pieces.length; i++) {
            starts[i] = pieces[i].offset;
        }
        this.size = segments.length == 0 ? 0 : segments[segments.length - 1].end();
    }

    public static Builder builder() {
        return new Builder();
    }

    public long size() {
        return size;
    }

    public List<Segment> segments() {
        return List.of(segments);
    }

    /**
     * Fills {@code dst} with the bytes at {@code offset}, up to the end of the file; returns the count.
     * Inside the file every read is full: a failure throws, it never shortens the read.
     */
    public int read(long offset, ByteBuffer dst) throws DumpException {
        if (offset >= size || offset < 0) {
            return 0;
        }
        int total = (int) Math.min(dst.remaining(), size - offset);
        copy(indexOf(offset), offset, dst, total);
        return total;
    }

    /**
     * Serves up to {@code length} bytes at {@code offset}, up to the end of the file, with one lookup: when they
     * all lie in one piece that is a run of a backing file, they are offered to {@code target} as that run;
     * otherwise (or when the target declines) they are copied into {@code target.buffer(length)}. Returns the
     * count; inside the file every read is full.
     */
    public int read(long offset, int length, ReadTarget target) throws DumpException {
        if (offset >= size || offset < 0) {
            target.buffer(length);
            return 0;
        }
        int total = (int) Math.min(length, size - offset);
        int i = indexOf(offset);
        Piece p = pieces[i];
        if (p.file != null && offset + total <= p.end()
                && target.takeRun(p.file, p.address + (offset - p.offset), total)) {
            return total;
        }
        copy(i, offset, target.buffer(length), total);
        return total;
    }

    /** Copies {@code total} bytes from file offset {@code offset}, which piece {@code i} holds, into dst. */
    private void copy(int i, long offset, ByteBuffer dst, int total) throws DumpException {
        int left = total;
        while (left > 0) {
            Piece p = pieces[i++];
            long within = offset - p.offset;
            int n = (int) Math.min(left, p.length - within);
            Buffers.readPart(p.leaf, p.address + within, dst, n);
            offset += n;
            left -= n;
        }
    }

    /**
     * The file ranges, as [start, start + size), that are known to read as all zeros without reading them:
     * zero padding and memory that knows it is empty (see {@link PhysicalMemory#knownZeros}). Sorted and
     * merged; computed from the pieces, nothing is read.
     */
    public List<MemoryRange> knownZeros() {
        List<MemoryRange> out = new ArrayList<>();
        for (Piece p : pieces) {
            long shift = p.offset - p.address;
            p.leaf.knownZeros(p.address, p.length, (address, length) -> {
                long start = address + shift;
                MemoryRange last = out.isEmpty() ? null : out.get(out.size() - 1);
                if (last != null && last.end() == start) {
                    out.set(out.size() - 1, new MemoryRange(last.start(), last.size() + length));
                } else if (length > 0) {
                    out.add(new MemoryRange(start, length));
                }
            });
        }
        return out;
    }

    /**
     * Reports, in file order, the physical memory that the file's bytes [offset, offset + length) read: one call
     * per memory segment they cross (headers, notes and zeros have none). Nothing is read.
     */
    public void memory(long offset, long length, MemorySink sink) {
        long end = Math.min(size, offset + length);
        if (offset < 0 || offset >= end) {
            return;
        }
        for (int i = segmentAt(offset); i < segments.length && segments[i].offset < end; i++) {
            Segment s = segments[i];
            if (s.source instanceof MemorySource m) {
                long from = Math.max(offset, s.offset);
                sink.memory(m.address() + from - s.offset, Math.min(end, s.end()) - from);
            }
        }
    }

    /** The segment holding {@code offset} (segments and pieces differ where a segment's memory has several leaves). */
    private int segmentAt(long offset) {
        int lo = 0;
        int hi = segments.length - 1;
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (segments[mid].offset <= offset) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        return lo;
    }

    private int indexOf(long offset) {
        int lo = 0;
        int hi = starts.length - 1;
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (starts[mid] <= offset) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        return lo;
    }

    /** A memory segment's source: {@code memory} from {@code address}; resolved to leaves when the layout is built. */
    private record MemorySource(PhysicalMemory memory, long address) implements Source {
        @Override
        public void read(long offset, ByteBuffer dst) throws DumpException {
            memory.read(address + offset, dst);
        }

        @Override
        public void knownZeros(long offset, long n, PhysicalMemory.ZeroSink sink) {
            memory.knownZeros(address + offset, n, (a, l) -> sink.zero(a - address, l));
        }
    }

    /** Any other source, read like memory addressed by the offset in its segment. */
    private record SourceLeaf(Source source) implements PhysicalMemory {
        @Override
        public void read(long address, ByteBuffer dst) throws DumpException {
            source.read(address, dst);
        }

        @Override
        public void knownZeros(long address, long length, ZeroSink sink) {
            source.knownZeros(address, length, sink);
        }
    }

    /** Appends segments back to back. */
    public static final class Builder {
        private final List<Segment> segments = new ArrayList<>();
        private long size;

        public long size() {
            return size;
        }

        public Builder add(long length, Source source, String description) {
            if (length < 0) {
                throw new IllegalArgumentException("negative segment length");
            }
            if (length > 0) {
                segments.add(new Segment(size, length, source, description));
                size += length;
            }
            return this;
        }

        public Builder zeros(long length) {
            return add(length, new Source() {
                @Override
                public void read(long offset, ByteBuffer dst) {
                    Buffers.zero(dst, dst.remaining());
                }

                @Override
                public void knownZeros(long offset, long n, PhysicalMemory.ZeroSink sink) {
                    sink.zero(offset, n);
                }
            }, "zeros");
        }

        /** Appends a copy of {@code bytes}' remaining content. */
        public Builder bytes(ByteBuffer bytes, String description) {
            ByteBuffer copy = ByteBuffer.allocateDirect(bytes.remaining());
            copy.put(bytes.duplicate()).flip();
            ByteBuffer ro = copy.asReadOnlyBuffer();
            return add(ro.capacity(), (offset, dst) -> {
                int at = dst.position();
                int n = dst.remaining();
                dst.put(at, ro, (int) offset, n).position(at + n); // absolute: no slice to allocate
            }, description);
        }

        public Builder memory(PhysicalMemory memory, long address, long length, String description) {
            return add(length, new MemorySource(memory, address), description);
        }

        /** Zeros up to the next multiple of {@code alignment}. */
        public Builder padTo(long alignment) {
            return zeros(roundUp(size, alignment) - size);
        }

        public Layout build() {
            return new Layout(segments);
        }
    }

    public static long roundUp(long value, long alignment) {
        return (value + alignment - 1) / alignment * alignment;
    }
}
