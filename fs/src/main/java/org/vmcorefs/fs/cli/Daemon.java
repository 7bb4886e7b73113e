package org.vmcorefs.fs.cli;

import org.vmcorefs.format.DumpPaths;
import org.vmcorefs.fs.Mounts;
import org.vmcorefs.fs.RuntimeFiles;
import org.vmcorefs.fs.StatsFile;
import java.io.File;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** The mount daemon started from a mount command run without --foreground (bin/vmcorefs starts it itself). */
final class Daemon {
    private Daemon() {
    }

    /** Starts {@code c}'s command again with --foreground in a new process, and waits until its mount is visible. */
    static int start(MountCommand c, Path mp, String profile) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(Main.class.getName());
        // The same command line, with --foreground right after the subcommand's name.
        List<String> args = new ArrayList<>(c.spec.commandLine().getParseResult().originalArgs());
        int at = args.indexOf(c.spec.name()) + 1;
        args.add(at, "--foreground");
        cmd.addAll(args);
        Path log = RuntimeFiles.log(mp);
        Process child = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(log.toFile()).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(c.readyTimeout);
        while (System.nanoTime() < deadline) {
            if (Mounts.isMounted(mp) && Files.exists(mp.resolve(DumpPaths.STATS.substring(1)))) {
                System.out.println("vmcorefs: mounted " + profile + " at " + mp + " (pid " + child.pid() + ", log "
                        + log + ")");
                return ExitCode.OK;
            }
            if (child.waitFor(10, TimeUnit.MILLISECONDS)) {
                // The daemon's own one-line verdicts; the full log stays in the file.
                Files.readAllLines(log).stream().filter(l -> l.startsWith("vmcorefs: ")).forEach(System.err::println);
                System.err.println("vmcorefs: the daemon exited with status " + child.exitValue() + "; log: " + log);
                RuntimeFiles.clear(mp);
                return child.exitValue() == 0 ? ExitCode.FAILED : child.exitValue();
            }
        }
        System.err.println("vmcorefs: the mount did not appear within " + c.readyTimeout + " s; see " + log);
        child.destroy();
        return ExitCode.FAILED;
    }
}
