package org.vmcorefs.fs.cli;

import org.vmcorefs.fs.Mounts;
import org.vmcorefs.fs.RuntimeFiles;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code vmcorefs unmount MOUNTPOINT}: ends a mount and waits for its daemon to exit. */
@Command(name = "unmount", aliases = "umount", mixinStandardHelpOptions = true,
        description = {"Unmounts MOUNTPOINT and waits (up to 15 s) for its vmcorefs daemon to exit.",
            "A stale mount left by a killed daemon is unmounted too."},
        footer = {"", "Example:", "  vmcorefs unmount ./mnt"})
final class UnmountCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "MOUNTPOINT", description = "Where vmcorefs is mounted.")
    Path mountPoint;

    @Override
    public Integer call() throws Exception {
        Path mp = mountPoint.toAbsolutePath().normalize();
        if (!Mounts.isMounted(mp)) {
            System.err.println("vmcorefs: " + mp + " is not mounted");
            return ExitCode.NOT_MOUNTED;
        }
        long pid = RuntimeFiles.readPid(mp);
        int rc = Mounts.fusermountUnmount(mp, false);
        if (rc != 0) {
            System.err.println("vmcorefs: " + mp + " is busy; detaching it lazily (it goes once its files are closed)");
            rc = Mounts.fusermountUnmount(mp, true);
        }
        if (rc != 0) {
            System.err.println("vmcorefs: fusermount -u " + mp + " failed (exit " + rc + ")");
            return ExitCode.FAILED;
        }
        if (pid > 0) {
            ProcessHandle.of(pid).ifPresent(h -> {
                try {
                    h.onExit().get(15, java.util.concurrent.TimeUnit.SECONDS);
                } catch (Exception e) {
                    System.err.println("vmcorefs: daemon " + pid + " did not exit within 15 s");
                }
            });
        }
        RuntimeFiles.clear(mp);
        return ExitCode.OK;
    }
}
