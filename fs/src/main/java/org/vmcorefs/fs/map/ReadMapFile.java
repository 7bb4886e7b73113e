package org.vmcorefs.fs.map;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.vmcorefs.format.DumpPaths;
import org.vmcorefs.fs.JsonReportFile;
import org.vmcorefs.fs.MountStats;

/** {@code .vmcorefs/read-map.json}: the {@link ReadMap} as JSON, what {@code vmcorefs stats --map} draws. */
public final class ReadMapFile extends JsonReportFile {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final ReadMap map;
    private final MountStats stats;

    public ReadMapFile(ReadMap map, MountStats stats) {
        super(JSON, "the read map");
        this.map = map;
        this.stats = stats;
    }

    @Override
    protected Object report() {
        return map.report(stats.snapshot());
    }
}
