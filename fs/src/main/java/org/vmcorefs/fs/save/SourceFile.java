package org.vmcorefs.fs.save;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import jnr.constants.platform.Errno;
import jnr.constants.platform.OpenFlags;
import jnr.posix.POSIX;
import jnr.posix.POSIXFactory;

/**
 * A dump file read with pread(2), so that a failure carries the kernel's errno (the JDK only gives its
 * text): EIO from an SCLP or hypervisor request is worth retrying, ENODATA after a release is not.
 */
final class SourceFile implements AutoCloseable {
    private static final POSIX POSIX = POSIXFactory.getNativePOSIX();

    /** A failed read or seek: which file, where, and the errno. */
    static final class Failure extends IOException {
        private static final long serialVersionUID = 1L;
        final Path path;
        final long offset;
        final int errno;

        Failure(Path path, long offset, int errno, String op) {
            super(String.format("%s of %s at offset %d (0x%x) failed: %s (%s)", op, path, offset, offset,
                    name(errno), strerror(errno)));
            this.path = path;
            this.offset = offset;
            this.errno = errno;
        }

        String errnoName() {
            return name(errno);
        }
    }

    private final Path path;
    private final int fd;

    private SourceFile(Path path, int fd) {
        this.path = path;
        this.fd = fd;
    }

    static SourceFile open(Path path) throws Failure {
        int fd = POSIX.open(path.toString(), OpenFlags.O_RDONLY.intValue(), 0);
        if (fd < 0) {
            throw new Failure(path, 0, POSIX.errno(), "open");
        }
        return new SourceFile(path, fd);
    }

    /** {@link #open}, a failure as the save's READ_FAILED. */
    static SourceFile openForSave(Path path) throws SaveException {
        try {
            return open(path);
        } catch (Failure e) {
            throw new SaveException(SaveException.READ_FAILED, e.getMessage(), e);
        }
    }

    Path path() {
        return path;
    }

    /** One pread into {@code dst} (direct), advancing its position; returns the count, 0 at the end. */
    int read(ByteBuffer dst, long offset) throws Failure {
        int want = dst.remaining();
        long n = POSIX.pread(fd, dst.slice(), (long) want, offset);
        if (n < 0) {
            throw new Failure(path, offset, POSIX.errno(), "read");
        }
        dst.position(dst.position() + (int) n);
        return (int) n;
    }

    /** Reads exactly {@code dst.remaining()} bytes (small files: headers, control files); no retries. */
    void readFully(ByteBuffer dst, long offset) throws Failure {
        while (dst.hasRemaining()) {
            int n = read(dst, offset);
            if (n == 0) {
                throw new Failure(path, offset, Errno.EIO.intValue(), "read (unexpected end of file)");
            }
            offset += n;
        }
    }

    /** The next offset at or after {@code offset} holding data (SEEK_DATA), or -1 if only a hole follows. */
    long nextData(long offset) throws Failure {
        long r = POSIX.lseekLong(fd, offset, 3 /* SEEK_DATA */);
        if (r < 0) {
            int e = POSIX.errno();
            if (e == Errno.ENXIO.intValue()) {
                return -1;
            }
            if (e == Errno.EINVAL.intValue()) {
                return offset; // No SEEK_DATA here: treat everything as data.
            }
            throw new Failure(path, offset, e, "lseek(SEEK_DATA)");
        }
        return r;
    }

    /** The next hole at or after {@code offset} (SEEK_HOLE; the end of the file counts as one). */
    long nextHole(long offset, long size) throws Failure {
        long r = POSIX.lseekLong(fd, offset, 4 /* SEEK_HOLE */);
        if (r < 0) {
            int e = POSIX.errno();
            if (e == Errno.EINVAL.intValue()) {
                return size;
            }
            throw new Failure(path, offset, e, "lseek(SEEK_HOLE)");
        }
        return r;
    }

    /**
     * Writes {@code text} to the control file {@code path} in one write(2) at offset 0, as
     * {@code echo TEXT > FILE} does (sysfs and debugfs act on one whole write).
     */
    static void writeControl(Path path, String text) throws Failure {
        int fd = POSIX.open(path.toString(), OpenFlags.O_WRONLY.intValue(), 0);
        if (fd < 0) {
            throw new Failure(path, 0, POSIX.errno(), "open for writing");
        }
        try {
            byte[] b = text.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            long n = POSIX.pwrite(fd, b, (long) b.length, 0L);
            if (n < 0) {
                throw new Failure(path, 0, POSIX.errno(), "write of '" + text.strip() + "'");
            }
            if (n != b.length) {
                throw new Failure(path, 0, Errno.EIO.intValue(), "write of '" + text.strip() + "' (short: " + n + ")");
            }
        } finally {
            POSIX.close(fd);
        }
    }

    /** st_blocks x 512 of {@code path}, -1 if it cannot be stat'ed. */
    static long diskUsage(Path path) {
        try {
            return POSIX.stat(path.toString()).blocks() * 512;
        } catch (RuntimeException e) {
            return -1;
        }
    }

    @Override
    public void close() {
        POSIX.close(fd);
    }

    static String name(int errno) {
        Errno e = Errno.valueOf(errno);
        return e == null || e == Errno.__UNKNOWN_CONSTANT__ ? "errno " + errno : e.name();
    }

    private static String strerror(int errno) {
        Errno e = Errno.valueOf(errno);
        return e == null || e == Errno.__UNKNOWN_CONSTANT__ ? "unknown error" : e.description();
    }
}
