package org.vmcorefs.fs.cli;

import org.vmcorefs.fs.Mounts;
import org.vmcorefs.fs.StatsFile;
import org.vmcorefs.fs.map.MapPicture;
import org.vmcorefs.fs.map.ReadMapFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code vmcorefs stats MOUNTPOINT}: prints what a mount has served and fetched. */
@Command(name = "stats", mixinStandardHelpOptions = true,
        header = "Prints what a mount served and fetched: per file, saved area, events.",
        description = {"Prints MOUNTPOINT/.vmcorefs/stats.json: reads, bytes and errors per file, the",
            "hardware-saved area's requests, blocks and bytes, and the machine's events (releases, re-IPL).",
            "With --map, also draws what the reads touched (MOUNTPOINT/.vmcorefs/read-map.json) as a picture."},
        footer = {"", "Examples:", "  vmcorefs stats ./mnt", "  vmcorefs stats --map reads.svg ./mnt"})
final class StatsCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "MOUNTPOINT", description = "Where vmcorefs is mounted.")
    Path mountPoint;

    @Option(names = "--map", paramLabel = "OUT",
            description = "Also draw the physical address space and what each file's reads touched, what the saved "
                    + "area fetched and what was released, with the byte counts: OUT.svg, or OUT.png.")
    Path map;

    @Override
    public Integer call() throws Exception {
        Path mp = mountPoint.toAbsolutePath().normalize();
        if (!Mounts.isMounted(mp)) {
            System.err.println("vmcorefs: " + mp + " is not mounted");
            return ExitCode.NOT_MOUNTED;
        }
        System.out.print(Files.readString(mp.resolve(StatsFile.PATH.substring(1))));
        if (map != null) {
            com.fasterxml.jackson.databind.JsonNode json = new com.fasterxml.jackson.databind.ObjectMapper()
                    .readTree(Files.readString(mp.resolve(ReadMapFile.PATH.substring(1))));
            new MapPicture(json).write(map);
            System.err.println("vmcorefs: wrote the map of reads to " + map);
        }
        return ExitCode.OK;
    }
}
