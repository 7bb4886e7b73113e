package org.vmcorefs.fs;

import com.kenai.jffi.MemoryIO;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import jnr.ffi.LibraryLoader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vmcorefs.format.view.ReadTarget;
import org.vmcorefs.machine.memory.FileMemory;

/**
 * Builds the {@code struct fuse_bufvec} that libfuse's read_buf operation returns. Bytes that are a run of a
 * backing file (a replayed image) are handed over as the file's descriptor and offset: libfuse then moves them
 * to the kernel itself, by splice with {@code -o splice_write}, without passing through Java. Other bytes are
 * read into a buffer. libfuse frees what it gets with free(), so everything here comes from the C library's
 * malloc (jffi's allocateMemory is malloc). Each thread has one {@link Reply}, reused read after read, so a
 * read allocates nothing on the Java heap.
 */
public final class ReadBuffers {
    private static final Logger LOG = LoggerFactory.getLogger(ReadBuffers.class);

    /** The C library calls used here. */
    public interface LibC {
        int open(String path, int flags);

        int close(int fd);
    }

    // struct fuse_bufvec { size_t count, idx, off; struct fuse_buf buf[1]; } and
    // struct fuse_buf { size_t size; enum fuse_buf_flags flags; void *mem; int fd; off_t pos; } on LP64.
    private static final int BUFVEC_SIZE = 64;
    private static final int COUNT = 0;
    private static final int BUF_SIZE = 24;
    private static final int BUF_FLAGS = 32;
    private static final int BUF_MEM = 40;
    private static final int BUF_FD = 48;
    private static final int BUF_POS = 56;
    private static final int FUSE_BUF_IS_FD = 1 << 1;
    private static final int FUSE_BUF_FD_SEEK = 1 << 2;
    private static final int O_RDONLY = 0;
    private static final int O_CLOEXEC = 02000000;
    private static final int NO_FD = -1;
    /**
     * libfuse splices a descriptor only from two pages up (fuse_send_data_iov); below that it would pread the
     * bytes itself, which is what reading them here does too, without an fstat to catch a shrunk file.
     */
    private static final long MIN_DESCRIPTOR_READ = 2 * 4096;

    private static final MemoryIO IO = MemoryIO.getInstance();

    private final LibC libc;
    private final boolean useDescriptors;
    /** Our own descriptor of each backing file, or NO_FD when it cannot be had or is not the same file. */
    private final Map<FileMemory, Integer> descriptors = new ConcurrentHashMap<>();
    private final ThreadLocal<Reply> replies = ThreadLocal.withInitial(Reply::new);

    /** @param useDescriptors whether file-backed bytes may be handed over as descriptors at all */
    public ReadBuffers(boolean useDescriptors) {
        this.libc = LibraryLoader.create(LibC.class).load("c");
        this.useDescriptors = useDescriptors;
    }

    /** This thread's reply, empty, for the next read. */
    Reply reply() {
        Reply r = replies.get();
        r.bufvec = 0;
        r.byDescriptor = false;
        return r;
    }

    /**
     * One read's reply: the bufvec that names the backing file's bytes, or the one over a buffer the bytes are
     * copied into. Either way libfuse gets it and frees it; after a failed read, {@link #free} does.
     */
    final class Reply implements ReadTarget {
        private long bufvec;
        private boolean byDescriptor;
        /** The last buffer handed out, over native memory at {@code viewAddress}. */
        private long viewAddress;
        private ByteBuffer view;

        /** Takes runs of a file we have our own descriptor of, two pages and more, that the file still holds. */
        @Override
        public boolean takeRun(FileMemory file, long offset, int length) {
            if (!useDescriptors || length < MIN_DESCRIPTOR_READ) {
                return false;
            }
            Integer fd = descriptors.get(file);
            if (fd == null) {
                fd = descriptors.computeIfAbsent(file, ReadBuffers.this::openSame);
            }
            if (fd == NO_FD) {
                return false;
            }
            try {
                // A backing file cut short while mounted: the ordinary read reports it (EIO), where libfuse
                // would silently return a short read.
                if (file.channel().size() < offset + length) {
                    return false;
                }
            } catch (IOException e) {
                return false;
            }
            long v = newBufvec();
            IO.putLong(v + BUF_SIZE, length);
            IO.putInt(v + BUF_FLAGS, FUSE_BUF_IS_FD | FUSE_BUF_FD_SEEK);
            IO.putInt(v + BUF_FD, fd);
            IO.putLong(v + BUF_POS, offset);
            bufvec = v;
            byDescriptor = true;
            return true;
        }

        /**
         * A fresh malloc'd buffer of {@code length} bytes in a bufvec. malloc hands a thread the block libfuse
         * freed after its previous read, so the direct ByteBuffer over it (a JNI call to make, about a tenth of
         * a small read's time in Java) is nearly always the last one again.
         */
        @Override
        public ByteBuffer buffer(int length) {
            long v = newBufvec();
            long mem = IO.allocateMemory(Math.max(length, 1), false);
            if (mem == 0) {
                IO.freeMemory(v);
                throw new OutOfMemoryError("malloc of " + length + " bytes for a read failed");
            }
            IO.putAddress(v + BUF_MEM, mem);
            bufvec = v;
            if (view == null || viewAddress != mem || view.capacity() < length) {
                view = IO.newDirectByteBuffer(mem, length);
                viewAddress = mem;
            }
            return view.clear().limit(length);
        }

        /** Whether the bytes went as a backing file's descriptor and offset. */
        boolean byDescriptor() {
            return byDescriptor;
        }

        /** The bufvec to hand to libfuse, after a read that returned {@code count} bytes. */
        long bufvec(int count) {
            if (!byDescriptor) {
                IO.putLong(bufvec + BUF_SIZE, count);
            }
            return bufvec;
        }

        /** Frees the bufvec (and its buffer) of a read that failed: libfuse never gets it. */
        void free() {
            if (bufvec != 0) {
                long mem = IO.getAddress(bufvec + BUF_MEM);
                if (mem != 0) {
                    IO.freeMemory(mem);
                }
                IO.freeMemory(bufvec);
                bufvec = 0;
            }
        }
    }

    /** Closes our descriptors (at unmount). */
    void close() {
        descriptors.values().forEach(fd -> {
            if (fd != NO_FD) {
                libc.close(fd);
            }
        });
        descriptors.clear();
    }

    /** A zeroed bufvec of one buffer (idx, off, flags, mem: 0). */
    private static long newBufvec() {
        long v = IO.allocateMemory(BUFVEC_SIZE, true);
        if (v == 0) {
            throw new OutOfMemoryError("malloc of a fuse_bufvec failed");
        }
        IO.putLong(v + COUNT, 1);
        return v;
    }

    /** Opens the backing file again and keeps the descriptor only if it is the very file the machine read. */
    private int openSame(FileMemory file) {
        int fd = libc.open(file.path().toString(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            LOG.info("{}: cannot open it for splicing; reads of it go through vmcorefs", file.path());
            return NO_FD;
        }
        Object key;
        try {
            key = Files.readAttributes(Path.of("/proc/self/fd/" + fd), BasicFileAttributes.class).fileKey();
        } catch (IOException e) {
            key = null;
        }
        if (file.fileKey() == null || !Objects.equals(key, file.fileKey())) {
            LOG.warn("{}: the path names another file than the one opened at mount; reads of it go through vmcorefs",
                    file.path());
            libc.close(fd);
            return NO_FD;
        }
        return fd;
    }
}
