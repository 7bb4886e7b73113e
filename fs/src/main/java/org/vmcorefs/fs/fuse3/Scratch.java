package org.vmcorefs.fs.fuse3;

import com.kenai.jffi.MemoryIO;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.vmcorefs.format.view.ReadTarget;
import org.vmcorefs.fs.Descriptors;
import org.vmcorefs.machine.memory.FileMemory;

/**
 * Native memory one request works in: a reply buffer of the largest request (with a ByteBuffer over it made
 * once), a bufvec, a struct stat and a fuse_entry_param. Taken from a small pool for the length of one
 * callback and given back, so that a request allocates nothing; libfuse copies or splices every reply before
 * fuse_reply_* returns.
 */
final class Scratch implements ReadTarget {
    private static final MemoryIO IO = MemoryIO.getInstance();
    /** libfuse never splices a reply under two pages: smaller runs are copied. */
    private static final int MIN_RUN = 2 * 4096;

    /** Room for a reply's fuse_out_header just before {@link #buffer}: the header and its data go out in one write. */
    static final int HEADER = 16;
    /** The fuse_out_header's place. */
    final long header;
    /** The reply's data, {@link #capacity} bytes. */
    final long buffer;
    final int capacity;
    private final ByteBuffer view;
    final long bufvec;
    final long stat;
    final long entry;

    private Scratch(int capacity) {
        this.capacity = capacity;
        this.header = IO.allocateMemory(HEADER + (long) capacity, false);
        this.buffer = header + HEADER;
        this.bufvec = IO.allocateMemory(FuseBufvec.SIZE, true);
        this.stat = IO.allocateMemory(Stat.SIZE, true);
        this.entry = IO.allocateMemory(FuseEntryParam.SIZE, true);
        if (header == 0 || bufvec == 0 || stat == 0 || entry == 0) {
            throw new OutOfMemoryError("native memory for FUSE replies");
        }
        this.view = IO.newDirectByteBuffer(buffer, capacity);
    }

    /** The reply buffer's first {@code size} bytes, to read into. */
    ByteBuffer data(int size) {
        return view.clear().limit(size);
    }

    // As the ReadTarget of one read: where its bytes went.
    private Descriptors descriptors;
    /**
     * The reply checks the run itself (vmcorefs's own loop, see RequestLoop#spliced): take runs under two pages
     * too, and do not look up the file's size first.
     */
    private boolean checksRuns;
    /** The descriptor and offset of the run the read was answered with, or NO_FD when it was copied. */
    int runFd = Descriptors.NO_FD;
    long runOffset;

    /** Makes this the target of the next read; runs of backing files are taken when {@code descriptors} is set. */
    Scratch forRead(Descriptors d, boolean checksRuns) {
        this.descriptors = d;
        this.checksRuns = checksRuns;
        this.runFd = Descriptors.NO_FD;
        return this;
    }

    @Override
    public boolean takeRun(FileMemory file, long offset, int length) {
        if (descriptors == null || length < MIN_RUN && !checksRuns) {
            return false;
        }
        int fd = checksRuns ? descriptors.of(file) : descriptors.forRun(file, offset + length);
        if (fd == Descriptors.NO_FD) {
            return false;
        }
        runFd = fd;
        runOffset = offset;
        return true;
    }

    @Override
    public ByteBuffer buffer(int length) {
        return data(length);
    }

    private void free() {
        IO.freeMemory(header);
        IO.freeMemory(bufvec);
        IO.freeMemory(stat);
        IO.freeMemory(entry);
    }

    /** A fixed set of slots; a request takes any full one, or makes a new Scratch if all are taken. */
    static final class Pool {
        private final AtomicReferenceArray<Scratch> slots;
        private final int capacity;

        /** @param capacity bytes of each reply buffer: the largest read request (max_write) */
        Pool(int capacity, int slots) {
            this.capacity = capacity;
            this.slots = new AtomicReferenceArray<>(slots);
        }

        Scratch take() {
            for (int i = 0; i < slots.length(); i++) {
                Scratch s = slots.get(i);
                if (s != null && slots.compareAndSet(i, s, null)) {
                    return s;
                }
            }
            return new Scratch(capacity);
        }

        void give(Scratch s) {
            for (int i = 0; i < slots.length(); i++) {
                if (slots.get(i) == null && slots.compareAndSet(i, null, s)) {
                    return;
                }
            }
            s.free();
        }

        /** Frees what the pool holds (at unmount, when no request runs). */
        void close() {
            for (int i = 0; i < slots.length(); i++) {
                Scratch s = slots.getAndSet(i, null);
                if (s != null) {
                    s.free();
                }
            }
        }
    }
}
