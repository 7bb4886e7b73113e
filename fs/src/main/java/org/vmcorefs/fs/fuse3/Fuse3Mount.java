package org.vmcorefs.fs.fuse3;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vmcorefs.format.view.DumpTree;
import org.vmcorefs.fs.MountStats;

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

    /**
     * @param directIo bypass the page cache for every file, not only for the ones whose content changes
     * @param splice hand bytes that are one run of the replayed image to libfuse as its descriptor
     */
    public Fuse3Mount(DumpTree tree, MountStats stats, long uid, long gid, boolean directIo, boolean splice) {
        this.fuse = library();
        this.fs = new Fuse3Fs(fuse, tree, stats, uid, gid, directIo, splice);
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
            try {
                int rc = own ? new RequestLoop(fuse, se, fs).run()
                        : multithreaded ? fuse.fuse_session_loop_mt_31(se, 0) : fuse.fuse_session_loop(se);
                LOG.info("libfuse 3 loop on {} ended ({})", mountPoint, rc);
            } finally {
                fuse.fuse_session_unmount(se);
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
