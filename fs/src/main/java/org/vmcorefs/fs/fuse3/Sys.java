package org.vmcorefs.fs.fuse3;

import com.kenai.jffi.CallContext;
import com.kenai.jffi.CallingConvention;
import com.kenai.jffi.Invoker;
import com.kenai.jffi.Library;
import com.kenai.jffi.Type;
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
    int O_WRONLY = 1;
    int O_CLOEXEC = 02000000;
    int MFD_CLOEXEC = 1;
    int F_SETPIPE_SZ = 1031;

    @SaveError
    long read(int fd, long buf, long count);

    @SaveError
    long write(int fd, long buf, long count);

    @SaveError
    long writev(int fd, long iov, int count);

    @SaveError
    long pread(int fd, long buf, long count, long offset);

    /**
     * splice(2): {@code splice(fdIn, offIn, fdOut, offOut, len, flags)}, the offsets the addresses of an off_t
     * or 0; errno saved. Called through jffi's own invoker, not declared here: jnr-ffi 2.2's generated call of a
     * six-argument function leaves the sixth (flags) as garbage in its register (seen with strace: EINVAL), and
     * syscall(2) with seven arguments, the way around it before, takes jnr-ffi's slow path, which allocates an
     * argument buffer on every call (two per spliced read).
     */
    static long splice(int fdIn, long offIn, int fdOut, long offOut, long len, int flags) {
        return Splice.INVOKER.invokeN6(Splice.CONTEXT, Splice.FUNCTION, fdIn, offIn, fdOut, offOut, len, flags);
    }

    /** Whether the C library here has splice(2). */
    static boolean canSplice() {
        return Splice.FUNCTION != 0;
    }

    int pipe2(long fds, int flags);

    int open(String path, int flags);

    /** An anonymous file in memory (for the warm-up's empty image); MFD_CLOEXEC = 1. */
    int memfd_create(String name, int flags);

    int ftruncate(int fd, long length);

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

    /** splice(2)'s address and signature for jffi. */
    final class Splice {
        static final long FUNCTION = address("splice");
        static final CallContext CONTEXT = CallContext.getCallContext(Type.SINT64, new Type[] {Type.SINT32,
            Type.POINTER, Type.SINT32, Type.POINTER, Type.UINT64, Type.UINT32}, CallingConvention.DEFAULT, true);
        static final Invoker INVOKER = Invoker.getInstance();

        private Splice() {
        }

        private static long address(String name) {
            try {
                return Library.getDefault().getSymbolAddress(name);
            } catch (Throwable e) {
                return 0;
            }
        }
    }

    final class Holder {
        static final Sys SYS = LibraryLoader.create(Sys.class).option(LibraryOption.IgnoreError, true).load("c");
        static final Runtime RUNTIME = Runtime.getRuntime(SYS);

        private Holder() {
        }
    }
}
