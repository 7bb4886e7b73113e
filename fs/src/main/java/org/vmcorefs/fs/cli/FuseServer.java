package org.vmcorefs.fs.cli;

import org.vmcorefs.format.DumpPaths;
import org.vmcorefs.fs.MountStats;
import org.vmcorefs.fs.Mounts;
import org.vmcorefs.fs.ReadBuffers;
import org.vmcorefs.fs.RuntimeFiles;
import org.vmcorefs.fs.StatsFile;
import org.vmcorefs.fs.VmcoreFs;
import org.vmcorefs.fs.ZeroRangesFile;
import org.vmcorefs.fs.map.ReadMap;
import org.vmcorefs.fs.map.ReadMapFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vmcorefs.format.env.CaptureEnvironment;
import org.vmcorefs.format.view.DumpTree;
import org.vmcorefs.fs.fuse3.Fuse3Mount;
import org.vmcorefs.machine.Machine;

/** A mount's life in the daemon: the tree, the FUSE loop, readiness, and the unmount on a signal. */
final class FuseServer {
    private static final Logger LOG = LoggerFactory.getLogger(FuseServer.class);
    private final MountCommand c;

    FuseServer(MountCommand c) {
        this.c = c;
    }

    /** Mounts in this process and serves until unmounted or signalled. */
    int serve(Machine machine, Path mp) throws InterruptedException, IOException {
        DumpTree tree = CaptureEnvironment.of(machine, c.strict);
        MountStats stats = new MountStats();
        Map<String, Object> about = new LinkedHashMap<>();
        about.put("pid", ProcessHandle.current().pid());
        about.put("mountPoint", mp.toString());
        about.put("mountedAt", Instant.now().toString());
        about.put("directIo", !c.pageCache);
        about.put("strict", c.strict);
        about.put("fuseThreads", c.multithreaded ? "multi" : "single");
        // Splicing the image's bytes measured 2.0 vs 1.76 GB/s for a first sequential read (direct_io); with
        // --page-cache the two were within the run-to-run noise (1.0-1.4 GB/s both).
        boolean splice = !c.noSplice;
        about.put("splice", splice);
        tree.add(DumpPaths.STATS, new StatsFile(machine, stats, about));
        tree.add(DumpPaths.ZERO_RANGES, ZeroRangesFile.of(tree));
        ReadMap readMap = new ReadMap(machine, tree);
        stats.map(readMap);
        tree.add(DumpPaths.READ_MAP, new ReadMapFile(readMap, stats));
        com.sun.security.auth.module.UnixSystem user = new com.sun.security.auth.module.UnixSystem();
        boolean fuse3 = c.fuse == null ? Fuse3Mount.available() : c.fuse.equals("3");
        if (!fuse3 && c.fuse == null) {
            LOG.info("libfuse 3 is not available ({}): serving with jnr-fuse on libfuse 2", Fuse3Mount.whyNot());
        } else if (fuse3 && !Fuse3Mount.available()) {
            System.err.println("vmcorefs: --fuse 3: " + Fuse3Mount.whyNot());
            return ExitCode.FAILED;
        }
        about.put("fuse", fuse3 ? 3 : 2);
        boolean ownLoop = fuse3 && !c.libfuseLoop && !c.multithreaded;
        about.put("requestLoop", !fuse3 ? "jnr-fuse" : ownLoop ? "vmcorefs" : "libfuse");
        Fuse3Mount fs3 = fuse3 ? new Fuse3Mount(tree, stats, user.getUid(), user.getGid(), !c.pageCache, splice)
                : null;
        if (fs3 != null && c.passthrough) {
            about.put("passthrough", fs3.passthrough());
        }
        VmcoreFs fs = fuse3 ? null : new VmcoreFs(tree, stats, user.getUid(), user.getGid(), !c.pageCache,
                new ReadBuffers(splice));

        if (ownLoop && !c.noWarmUp) {
            about.put("warmUpReads", WarmUp.run());
        }

        List<String> opts = new ArrayList<>(List.of("-o", "fsname=vmcorefs", "-o", "subtype=vmcorefs", "-o",
                "default_permissions"));
        if (c.allowOther) {
            opts.addAll(List.of("-o", "allow_other"));
        }
        if (splice) {
            opts.addAll(List.of("-o", "splice_write"));
        }
        if (!c.multithreaded) {
            // libfuse's single-threaded loop: measured faster here for one reader and for four (no worker
            // threads woken, created or attached to the JVM per request).
            opts.add("-s");
        }
        Thread loop = new Thread(() -> {
            try {
                if (fs3 != null) {
                    fs3.serve(mp, c.allowOther, c.multithreaded, ownLoop, c.debugFuse);
                } else {
                    fs.mount(mp, true, c.debugFuse, opts.toArray(new String[0]));
                }
            } catch (Throwable e) {
                LOG.error("FUSE mount of {} failed", mp, e);
                System.err.println("vmcorefs: mount failed: " + e.getMessage());
            }
        }, "fuse-loop");
        Thread hook = new Thread(() -> {
            if (loop.isAlive() && Mounts.isMounted(mp)) {
                LOG.info("signalled: unmounting {}", mp);
                if (Mounts.fusermountUnmount(mp, false) != 0) {
                    Mounts.fusermountUnmount(mp, true);
                }
                try {
                    loop.join(10_000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }, "unmount-on-signal");
        Runtime.getRuntime().addShutdownHook(hook);
        loop.start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(c.readyTimeout);
        while (!Mounts.isMounted(mp)) {
            if (!loop.isAlive() || System.nanoTime() > deadline) {
                String why = fuseDeviceProblem();
                System.err.println("vmcorefs: the mount of " + mp + " did not come up ("
                        + (why != null ? why : "is /dev/fuse available?") + ")");
                return ExitCode.FAILED;
            }
            Thread.sleep(5);
        }
        RuntimeFiles.writePid(mp, ProcessHandle.current().pid());
        LOG.info("mounted {} at {}: {}", machine.profile(), mp, machine.system().origin());
        System.out.println("vmcorefs: serving " + machine.profile() + " at " + mp);
        System.out.flush();
        if (c.readyFile != null) {
            Path tmp = c.readyFile.resolveSibling(c.readyFile.getFileName() + ".tmp");
            Files.writeString(tmp, "vmcorefs: mounted " + machine.profile() + " at " + mp + " (pid "
                    + ProcessHandle.current().pid() + ")\n");
            Files.move(tmp, c.readyFile, StandardCopyOption.ATOMIC_MOVE);
        }
        loop.join();
        LOG.info("unmounted {}", mp);
        return ExitCode.OK;
    }

    /**
     * Why this process cannot use /dev/fuse, or null when it can: libfuse opens the device itself and only
     * falls back to the setuid fusermount3 when mount(2) is refused, not when the open is.
     */
    static String fuseDeviceProblem() {
        java.nio.file.Path dev = java.nio.file.Path.of("/dev/fuse");
        if (!java.nio.file.Files.exists(dev)) {
            return "there is no /dev/fuse: load the module (modprobe fuse) or give the container the device";
        }
        if (!java.nio.file.Files.isReadable(dev) || !java.nio.file.Files.isWritable(dev)) {
            String mode;
            try {
                mode = java.nio.file.attribute.PosixFilePermissions.toString(java.nio.file.Files.getPosixFilePermissions(dev));
            } catch (java.io.IOException | UnsupportedOperationException e) {
                mode = "?";
            }
            return "/dev/fuse (" + mode + ") is not open to this user; libfuse needs read and write access to it, "
                    + "which Debian's udev rule gives everyone (mode 0666; as root: chmod 0666 /dev/fuse)";
        }
        return null;
    }
}
