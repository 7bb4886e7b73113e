package org.vmcorefs.fs;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code vmcorefs stats MOUNTPOINT}: prints what a mount has served and fetched. */
@Command(name = "stats", mixinStandardHelpOptions = true,
        header = "Prints what a mount served and fetched: per file, saved area, events.",
        description = {"Prints MOUNTPOINT/.vmcorefs/stats.json: reads, bytes and errors per file, the",
            "hardware-saved area's requests, blocks and bytes, and the machine's events (releases, re-IPL)."},
        footer = {"", "Example:", "  vmcorefs stats ./mnt"})
final class StatsCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "MOUNTPOINT", description = "Where vmcorefs is mounted.")
    Path mountPoint;

    @Override
    public Integer call() throws Exception {
        Path mp = mountPoint.toAbsolutePath().normalize();
        if (!Mounts.isMounted(mp)) {
            System.err.println("vmcorefs: " + mp + " is not mounted");
            return ExitCode.NOT_MOUNTED;
        }
        System.out.print(Files.readString(mp.resolve(StatsFile.PATH.substring(1))));
        return ExitCode.OK;
    }
}
