package org.vmcorefs.fs.fuse3;

import jnr.ffi.LibraryLoader;
import jnr.ffi.LibraryOption;
import jnr.ffi.Runtime;
import jnr.ffi.annotations.SaveError;

/**
 * The C library calls of vmcorefs's own request loop: reading /dev/fuse, writing replies, splicing a backing
 * file's bytes through a pipe, and the FUSE passthrough ioctls. Buffers are plain addresses; errno is saved
 * only by the calls that look at it.
 */
public interface Sys {
    int EINTR = 4;
    int EAGAIN = 11;
    int ENOENT = 2;
    int ENODEV = 19;
    int O_CLOEXEC = 02000000;
    int F_SETPIPE_SZ = 1031;

    @SaveError
    long read(int fd, long buf, long count);

    @SaveError
    long write(int fd, long buf, long count);

    @SaveError
    long writev(int fd, long iov, int count);

    @SaveError
    long pread(int fd, long buf, long count, long offset);

    /** This machine's number of splice(2), for {@link #syscall}: x86_64 275, aarch64 76; -1 elsewhere (no splice). */
    long SYS_SPLICE = switch (System.getProperty("os.arch")) {
        case "amd64", "x86_64" -> 275;
        case "aarch64" -> 76;
        default -> -1;
    };

    /**
     * syscall(2), for splice: {@code syscall(SYS_SPLICE, fdIn, offIn, fdOut, offOut, len, flags)}, the offsets the
     * addresses of an off_t or 0. Not splice() itself: jnr-ffi 2.2's call of a six-argument function left the
     * sixth (flags) as garbage in its register (seen with strace, EINVAL); seven arguments take its other path.
     */
    @SaveError
    long syscall(long number, long fdIn, long offIn, long fdOut, long offOut, long len, long flags);

    int pipe2(long fds, int flags);

    int fcntl(int fd, int cmd, int arg);

    @SaveError
    int ioctl(int fd, long request, long arg);

    int close(int fd);

    /** The errno of the last call above that saves it, on this thread. */
    static int errno() {
        return Holder.RUNTIME.getLastError();
    }

    static Sys get() {
        return Holder.SYS;
    }

    final class Holder {
        static final Sys SYS = LibraryLoader.create(Sys.class).option(LibraryOption.IgnoreError, true).load("c");
        static final Runtime RUNTIME = Runtime.getRuntime(SYS);

        private Holder() {
        }
    }
}
