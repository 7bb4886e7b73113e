package org.vmcorefs.format;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.vmcorefs.machine.Buffers;
import org.vmcorefs.machine.DumpException;
import org.vmcorefs.machine.FileExtent;
import org.vmcorefs.machine.MemoryRange;
import org.vmcorefs.machine.PhysicalMemory;

/**
 * A file's bytes as an immutable, sorted list of segments laid back to back: zeros, prebuilt bytes, or
 * memory at a physical address. Computed once from the machine; a read only walks the list and copies.
 */
public final class Layout {
    /** Where a segment's bytes come from; {@code offset} is relative to the segment. */
    public interface Source {
        void read(long offset, ByteBuffer dst) throws DumpException;

        /** Reports the parts of [offset, offset + length) known to be all zeros without reading them. */
        default void knownZeros(long offset, long length, PhysicalMemory.ZeroSink sink) {
        }

        /** The run of a file holding [offset, offset + length) of this source, or null (see PhysicalMemory). */
        default FileExtent fileExtent(long offset, long length) {
            return null;
        }

        /** Reports the physical memory behind [offset, offset + length) of this source; none by default. */
        default void memory(long offset, long length, MemorySink sink) {
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

    private final Segment[] segments;
    private final long[] starts;
    private final long size;

    private Layout(List<Segment> list) {
        this.segments = list.toArray(new Segment[0]);
        this.starts = new long[segments.length];
        for (int i = 0; i < segments.length; i++) {
            starts[i] = segments[i].offset;
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
        int limit = dst.limit();
        dst.limit(dst.position() + total);
        try {
            int i = indexOf(offset);
            while (dst.hasRemaining()) {
                Segment s = segments[i];
                long within = offset - s.offset;
                int n = (int) Math.min(dst.remaining(), s.length - within);
                if (n == dst.remaining()) {
                    s.source.read(within, dst);
                } else {
                    int segLimit = dst.position() + n;
                    int saved = dst.limit();
                    dst.limit(segLimit);
                    try {
                        s.source.read(within, dst);
                    } finally {
                        dst.limit(saved);
                    }
                }
                offset += n;
                i++;
            }
        } finally {
            dst.limit(limit);
        }
        return total;
    }

    /**
     * The file ranges, as [start, start + size), that are known to read as all zeros without reading them:
     * zero padding and memory that knows it is empty (see {@link PhysicalMemory#knownZeros}). Sorted and
     * merged; computed from the segments, nothing is read.
     */
    public List<MemoryRange> knownZeros() {
        List<MemoryRange> out = new ArrayList<>();
        for (Segment s : segments) {
            long base = s.offset;
            s.source.knownZeros(0, s.length, (offset, length) -> {
                long start = base + offset;
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
     * The run of a file that holds the file's bytes [offset, offset + length), when they lie in one segment
     * whose source is a file; else null. Nothing is read.
     */
    public FileExtent fileExtent(long offset, long length) {
        if (offset < 0 || length <= 0 || offset + length > size) {
            return null;
        }
        Segment s = segments[indexOf(offset)];
        return offset + length <= s.end() ? s.source.fileExtent(offset - s.offset, length) : null;
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
        for (int i = indexOf(offset); i < segments.length && segments[i].offset < end; i++) {
            Segment s = segments[i];
            long from = Math.max(offset, s.offset);
            s.source.memory(from - s.offset, Math.min(end, s.end()) - from, sink);
        }
    }

    /** The segment holding {@code offset} (which is inside the file). */
    public Segment segmentAt(long offset) {
        return segments[indexOf(offset)];
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
            return add(ro.capacity(), (offset, dst) -> dst.put(ro.slice((int) offset, dst.remaining())), description);
        }

        public Builder memory(PhysicalMemory memory, long address, long length, String description) {
            return add(length, new Source() {
                @Override
                public void read(long offset, ByteBuffer dst) throws DumpException {
                    memory.read(address + offset, dst);
                }

                @Override
                public void knownZeros(long offset, long n, PhysicalMemory.ZeroSink sink) {
                    memory.knownZeros(address + offset, n, (a, l) -> sink.zero(a - address, l));
                }

                @Override
                public FileExtent fileExtent(long offset, long n) {
                    return memory.fileExtent(address + offset, n);
                }

                @Override
                public void memory(long offset, long n, MemorySink sink) {
                    sink.memory(address + offset, n);
                }
            }, description);
        }

        /** Zeros up to the next multiple of {@code alignment}. */
        public Builder padTo(long alignment) {
            return zeros(roundUp(size, alignment) - size);
        }

        public Layout build() {
            return new Layout(segments);
        }
    }

    static long roundUp(long value, long alignment) {
        return (value + alignment - 1) / alignment * alignment;
    }
}
