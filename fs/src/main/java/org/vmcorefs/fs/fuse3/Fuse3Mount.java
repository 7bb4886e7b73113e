package org.vmcorefs.fs.fuse3;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import jnr.ffi.annotations.Delegate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vmcorefs.format.view.DumpTree;
import org.vmcorefs.fs.MountStats;
import org.vmcorefs.machine.DumpException;
import org.vmcorefs.machine.Errno;

/**
 * A mount served by libfuse 3's low-level API: {@link #serve} makes the session, mounts, runs the loop in the
 * calling thread until the file system is unmounted (fusermount3 -u, or fusermount -u), then tears down.
 * The caller sees the mount come up in /proc/self/mounts, as with the jnr-fuse adapter.
 */
public final class Fuse3Mount {
    private static final Logger LOG = LoggerFactory.getLogger(Fuse3Mount.class);
    /** struct fuse_args { int argc; char **argv; int allocated; } (fuse_opt.h). */
    static final int ARGS_SIZE = 24;
    static final int ARGS_ARGC = 0;
    static final int ARGS_ARGV = 8;
    private static volatile LibFuse3 library;
    private static volatile Throwable whyNot;

    private final LibFuse3 fuse;
    private final Fuse3Fs fs;
    private Passthrough passthrough;

    /** fuse_custom_io.writev: ssize_t (*)(int fd, struct iovec *iov, int count, void *userdata) */
    public interface Writev {
        @Delegate
        long writev(int fd, long iov, int count, long userdata);
    }

    /** fuse_custom_io.read: ssize_t (*)(int fd, void *buf, size_t buf_len, void *userdata) */
    public interface Read {
        @Delegate
        long read(int fd, long buf, long len, long userdata);
    }

    /**
     * @param directIo bypass the page cache for every file, not only for the ones whose content changes
     * @param splice hand bytes that are one run of the replayed image to libfuse as its descriptor
     */
    public Fuse3Mount(DumpTree tree, MountStats stats, long uid, long gid, boolean directIo, boolean splice) {
        this.fuse = library();
        this.fs = new Fuse3Fs(fuse, tree, stats, uid, gid, directIo, splice);
    }

    /**
     * Asks for FUSE passthrough (see {@link Passthrough}); works only with vmcorefs's own request loop and splice.
     * Returns what stats.json shows of it.
     */
    public java.util.Map<String, Object> passthrough() {
        passthrough = fs.passthrough();
        return passthrough.report();
    }

    /** Whether libfuse3.so.3 loads here; if not, {@link #whyNot()} says why. */
    public static synchronized boolean available() {
        if (library == null && whyNot == null) {
            try {
                library = LibFuse3.load();
            } catch (Throwable e) {
                whyNot = e;
            }
        }
        return library != null;
    }

    /** Why libfuse 3 could not be loaded (null if it was). */
    public static String whyNot() {
        return available() ? null : String.valueOf(whyNot.getMessage());
    }

    private static LibFuse3 library() {
        if (!available()) {
            throw new IllegalStateException("libfuse3.so.3 cannot be loaded: " + whyNot());
        }
        return library;
    }

    /**
     * Runs the read path of vmcorefs's own request loop {@code reads} times over {@code files} of {@code tree}, a
     * thrown-away machine's (its backing files are closed after), the replies going to /dev/null: spliced or
     * copied as a mount's would be. So the JIT has compiled that path before a mount's first read, instead of
     * compiling it during that read on the reader's CPU. Reads run from each file's start with the sizes a
     * {@code dd bs=1M} makes (252 pages, then 4), every eighth one page. Returns the reads made.
     */
    public static int warmUp(DumpTree tree, MountStats stats, List<String> files, int reads) throws DumpException {
        LibFuse3 fuse = library();
        Sys sys = Sys.get();
        int devNull = sys.open("/dev/null", Sys.O_WRONLY | Sys.O_CLOEXEC);
        if (devNull < 0) {
            throw new DumpException(Errno.EIO, "cannot open /dev/null");
        }
        Fuse3Fs fs = new Fuse3Fs(fuse, tree, stats, 0, 0, true, true);
        RequestLoop loop = new RequestLoop(fuse, 0, devNull, fs);
        try {
            long[] fhs = new long[files.size()];
            long[] sizes = new long[files.size()];
            long[] at = new long[files.size()];
            for (int i = 0; i < fhs.length; i++) {
                fhs[i] = fs.open(files.get(i));
                sizes[i] = tree.file(files.get(i)).size();
            }
            int small = 4 * 4096;
            for (int n = 0; n < reads; n++) {
                int i = n % fhs.length;
                long size = n % 8 == 7 ? 4096 : (n / fhs.length) % 2 == 0 ? Fuse3Fs.MAX_REQUEST : small;
                if (at[i] + size > sizes[i]) {
                    at[i] = 0;
                }
                fs.read(loop, n, fhs[i], at[i], size);
                at[i] += size;
            }
        } finally {
            loop.close();
            fs.destroyWithFiles();
            sys.close(devNull);
        }
        return reads;
    }

    /** struct fuse_custom_io { writev, read, splice_receive, splice_send }: the passthrough hook on the replies. */
    private Pointer customIo(Runtime rt, List<Object> keep) {
        Pointer io = Memory.allocateDirect(rt, 32, true);
        Writev w = passthrough::writev;
        Read r = passthrough::read;
        Pointer ws = rt.getClosureManager().getClosurePointer(Writev.class, w);
        Pointer rs = rt.getClosureManager().getClosurePointer(Read.class, r);
        keep.addAll(List.of(w, r, ws, rs, io));
        io.putAddress(0, ws.address());
        io.putAddress(8, rs.address());
        return io;
    }

    /**
     * Mounts at {@code mountPoint} and serves until unmounted; throws if the session cannot be made or mounted.
     *
     * @param multithreaded libfuse's pool of threads instead of one thread
     * @param ownLoop vmcorefs reads the requests itself and answers reads itself ({@link RequestLoop});
     *     ignored with {@code multithreaded}
     */
    public void serve(Path mountPoint, boolean allowOther, boolean multithreaded, boolean ownLoop, boolean debug) {
        Runtime rt = Runtime.getSystemRuntime();
        List<String> args = new ArrayList<>(List.of("vmcorefs", "-o",
                "fsname=vmcorefs,subtype=vmcorefs,default_permissions" + (allowOther ? ",allow_other" : "")));
        if (debug) {
            args.add("-d");
        }
        // argv and its strings stay ours (allocated = 0): libfuse copies what it keeps.
        List<Pointer> keep = new ArrayList<>();
        Pointer argv = Memory.allocateDirect(rt, (args.size() + 1) * 8L, true);
        for (int i = 0; i < args.size(); i++) {
            byte[] b = args.get(i).getBytes(StandardCharsets.UTF_8);
            Pointer s = Memory.allocateDirect(rt, b.length + 1, true);
            s.put(0, b, 0, b.length);
            keep.add(s);
            argv.putAddress(i * 8L, s.address());
        }
        Pointer fuseArgs = Memory.allocateDirect(rt, ARGS_SIZE, true);
        fuseArgs.putInt(ARGS_ARGC, args.size());
        fuseArgs.putAddress(ARGS_ARGV, argv.address());
        LowLevelOps ops = fs.ops();
        long se = fuse.fuse_session_new(fuseArgs, ops.table(), ops.size(), null);
        if (se == 0) {
            throw new IllegalStateException("fuse_session_new failed (options " + args + ")");
        }
        try {
            if (fuse.fuse_session_mount(se, mountPoint.toAbsolutePath().toString()) != 0) {
                throw new IllegalStateException("fuse_session_mount of " + mountPoint + " failed");
            }
            boolean own = ownLoop && !multithreaded;
            Sys.get(); // loaded before the first request: a failure to load it fails the mount, not a read
            LOG.info("libfuse 3 low-level session on {}: {}", mountPoint, own ? "vmcorefs's own request loop (one thread)"
                    : multithreaded ? "libfuse's multi-threaded loop" : "libfuse's loop (one thread)");
            RequestLoop loop = own ? new RequestLoop(fuse, se, fs) : null;
            Pointer io = null;
            List<Object> hooks = new ArrayList<>();
            if (passthrough != null && loop != null) {
                io = customIo(rt, hooks);
                int fd = fuse.fuse_session_fd(se);
                passthrough.attach(loop, fd);
                if (fuse.fuse_session_custom_io(se, io, fd) != 0) {
                    LOG.warn("--passthrough: libfuse refused the session I/O hook: every read goes through vmcorefs");
                }
            } else if (passthrough != null) {
                LOG.warn("--passthrough needs vmcorefs's own request loop (not --libfuse-loop, --multithreaded)");
            }
            try {
                int rc = own ? loop.run()
                        : multithreaded ? fuse.fuse_session_loop_mt_31(se, 0) : fuse.fuse_session_loop(se);
                LOG.info("libfuse 3 loop on {} ended ({})", mountPoint, rc);
            } finally {
                fuse.fuse_session_unmount(se);
                java.lang.ref.Reference.reachabilityFence(io);
                java.lang.ref.Reference.reachabilityFence(hooks);
            }
        } finally {
            fuse.fuse_session_destroy(se);
            java.lang.ref.Reference.reachabilityFence(ops);
            java.lang.ref.Reference.reachabilityFence(keep);
            java.lang.ref.Reference.reachabilityFence(argv);
            java.lang.ref.Reference.reachabilityFence(fuseArgs);
        }
    }
}
