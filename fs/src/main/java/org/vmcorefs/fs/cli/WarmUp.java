package org.vmcorefs.fs.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vmcorefs.format.DumpPaths;
import org.vmcorefs.format.MachineFactory;
import org.vmcorefs.format.MachineSpec;
import org.vmcorefs.format.env.CaptureEnvironment;
import org.vmcorefs.format.env.CaptureEnvironments;
import org.vmcorefs.format.view.DumpTree;
import org.vmcorefs.fs.MountStats;
import org.vmcorefs.fs.fuse3.Fuse3Mount;
import org.vmcorefs.fs.fuse3.Sys;
import org.vmcorefs.fs.map.ReadMap;
import org.vmcorefs.machine.FaultInjection;
import org.vmcorefs.machine.Machine;

/**
 * The mount daemon's warm-up, before its mount appears (see {@link Fuse3Mount#warmUp}): the read path of the
 * own request loop runs over a machine of its own, the default profile replaying an empty image, an anonymous
 * file in memory (memfd) that is all holes, so nothing is stored. Nothing of the mounted machine is read or
 * counted. Measured on a 2 GiB image, pinned: without it the first read of a fresh mount cost the daemon
 * 30-45 ms more CPU than its next reads (C1 compiles and the interpreter). A failure costs only the warm-up.
 */
final class WarmUp {
    private static final Logger LOG = LoggerFactory.getLogger(WarmUp.class);
    /** Enough for C1 to compile every method on the path (it compiles after 200 calls; a loop, later). */
    static final int READS = 1000;
    /** The empty image: the default profile's kernel text (16-48 MiB) and linear map lie inside it. */
    static final long IMAGE = 64L << 20;

    private WarmUp() {
    }

    /** Runs it; returns the reads made (0 if it could not run). */
    static int run() {
        long t0 = System.nanoTime();
        Sys sys = Sys.get();
        int fd = sys.memfd_create("vmcorefs-warm-up", Sys.MFD_CLOEXEC);
        if (fd < 0) {
            LOG.info("no warm-up: memfd_create failed");
            return 0;
        }
        try {
            if (sys.ftruncate(fd, IMAGE) != 0) {
                LOG.info("no warm-up: ftruncate of its memfd failed");
                return 0;
            }
            CaptureEnvironment p = CaptureEnvironments.ALL.get(0);
            Machine m = MachineFactory.create(new MachineSpec(p, IMAGE, 1, 1, 1.0, Path.of("/proc/self/fd/" + fd),
                    null, 0, Map.of(), null, FaultInjection.NONE));
            DumpTree tree = CaptureEnvironment.of(m, false);
            MountStats stats = new MountStats();
            stats.map(new ReadMap(m, tree));
            int n = Fuse3Mount.warmUp(tree, stats, List.of(DumpPaths.VMCORE, DumpPaths.OLDMEM), READS);
            LOG.info("read path warmed up before mounting: {} reads of an empty {} MiB image of its own in {} ms", n,
                    IMAGE >> 20, (System.nanoTime() - t0) / 1_000_000);
            return n;
        } catch (Throwable e) {
            LOG.info("no warm-up: {}", e.toString());
            return 0;
        } finally {
            sys.close(fd);
        }
    }
}
