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
import jnr.ffi.Pointer;
import jnr.ffi.types.size_t;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vmcorefs.format.VirtualFile;
import org.vmcorefs.machine.FileExtent;
import org.vmcorefs.machine.FileMemory;

/**
 * Builds the {@code struct fuse_bufvec} that libfuse's read_buf operation returns. Bytes that are a run of a
 * backing file (a replayed image) are handed over as the file's descriptor and offset: libfuse then moves them
 * to the kernel itself, by splice with {@code -o splice_write}, without passing through Java. Other bytes are
 * read into a buffer. libfuse frees what it gets with free(), so everything here comes from the C library's
 * malloc.
 */
final class ReadBuffers {
    private static final Logger LOG = LoggerFactory.getLogger(ReadBuffers.class);

    /** The C library calls used here. */
    public interface LibC {
        Pointer malloc(@size_t long size);

        void free(Pointer p);

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

    /** @param useDescriptors whether file-backed bytes may be handed over as descriptors at all */
    ReadBuffers(boolean useDescriptors) {
        this.libc = LibraryLoader.create(LibC.class).load("c");
        this.useDescriptors = useDescriptors;
    }

    /**
     * A bufvec naming {@code f}'s bytes [offset, offset + length) (all inside the file) in a backing file's
     * descriptor, or null if they must be read instead.
     */
    Pointer descriptor(VirtualFile f, long offset, long length) {
        if (!useDescriptors || length < MIN_DESCRIPTOR_READ) {
            return null;
        }
        FileExtent extent = f.fileExtent(offset, length);
        if (extent == null) {
            return null;
        }
        FileMemory file = extent.file();
        int fd = descriptors.computeIfAbsent(file, this::openSame);
        if (fd == NO_FD) {
            return null;
        }
        try {
            // A backing file cut short while mounted: the ordinary read reports it (EIO), where libfuse
            // would silently return a short read.
            if (file.channel().size() < extent.end()) {
                return null;
            }
        } catch (IOException e) {
            return null;
        }
        Pointer v = bufvec();
        IO.putLong(v.address() + BUF_SIZE, extent.length());
        IO.putInt(v.address() + BUF_FLAGS, FUSE_BUF_IS_FD | FUSE_BUF_FD_SEEK);
        IO.putInt(v.address() + BUF_FD, fd);
        IO.putLong(v.address() + BUF_POS, extent.offset());
        return v;
    }

    /** A bufvec over a fresh buffer of {@code size} bytes; {@link #data} gives it to the reader. */
    Pointer buffer(long size) {
        Pointer v = bufvec();
        Pointer mem = libc.malloc(Math.max(size, 1));
        if (mem == null) {
            libc.free(v);
            throw new OutOfMemoryError("malloc of " + size + " bytes for a read failed");
        }
        IO.putAddress(v.address() + BUF_MEM, mem.address());
        return v;
    }

    /** A ByteBuffer over native memory at {@code address}, {@code capacity} bytes. */
    private record View(long address, ByteBuffer buffer) {
    }

    /**
     * Each thread's last view: malloc hands a thread the block libfuse freed after its previous read, so the
     * view is nearly always reusable, and making one (a JNI call) measured about a tenth of a small read's
     * time in Java.
     */
    private final ThreadLocal<View> lastView = new ThreadLocal<>();

    /** The buffer of a bufvec made by {@link #buffer} ({@code size} bytes), to read into. */
    ByteBuffer data(Pointer bufvec, int size) {
        long mem = IO.getAddress(bufvec.address() + BUF_MEM);
        View v = lastView.get();
        if (v == null || v.address != mem || v.buffer.capacity() < size) {
            v = new View(mem, IO.newDirectByteBuffer(mem, size));
            lastView.set(v);
        }
        return v.buffer.clear().limit(size);
    }

    /** Sets how many bytes the bufvec's buffer holds. */
    static void setSize(Pointer bufvec, long size) {
        IO.putLong(bufvec.address() + BUF_SIZE, size);
    }

    /** Frees a bufvec that is not handed to libfuse (after a failed read). */
    void free(Pointer bufvec) {
        long mem = IO.getAddress(bufvec.address() + BUF_MEM);
        if (mem != 0) {
            libc.free(jnr.ffi.Runtime.getSystemRuntime().getMemoryManager().newPointer(mem));
        }
        libc.free(bufvec);
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

    private Pointer bufvec() {
        Pointer v = libc.malloc(BUFVEC_SIZE);
        if (v == null) {
            throw new OutOfMemoryError("malloc of a fuse_bufvec failed");
        }
        IO.setMemory(v.address(), BUFVEC_SIZE, (byte) 0); // idx, off, flags, mem: 0
        IO.putLong(v.address() + COUNT, 1);
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
