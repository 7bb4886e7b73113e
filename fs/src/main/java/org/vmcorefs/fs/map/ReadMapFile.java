package org.vmcorefs.fs.map;

import org.vmcorefs.fs.MountStats;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.vmcorefs.format.view.BytesFile;
import org.vmcorefs.format.view.VirtualFile;
import org.vmcorefs.machine.DumpException;
import org.vmcorefs.machine.Errno;

/** {@code .vmcorefs/read-map.json}: the {@link ReadMap} as JSON, what {@code vmcorefs stats --map} draws. */
public final class ReadMapFile implements VirtualFile {
    public static final String PATH = "/.vmcorefs/read-map.json";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final ReadMap map;
    private final MountStats stats;

    public ReadMapFile(ReadMap map, MountStats stats) {
        this.map = map;
        this.stats = stats;
    }

    private byte[] render() throws DumpException {
        try {
            return (JSON.writeValueAsString(map.report(stats.snapshot())) + "\n").getBytes(StandardCharsets.UTF_8);
        } catch (JsonProcessingException e) {
            throw new DumpException(Errno.EIO, "cannot render the read map: " + e.getMessage(), e);
        }
    }

    @Override
    public long size() {
        try {
            return render().length;
        } catch (DumpException e) {
            return 0;
        }
    }

    @Override
    public int mode() {
        return 0400;
    }

    @Override
    public boolean changes() {
        return true;
    }

    @Override
    public VirtualFile open() throws DumpException {
        return new BytesFile(render(), mode(), true);
    }

    @Override
    public int read(long offset, ByteBuffer dst) throws DumpException {
        return BytesFile.slice(render(), offset, dst);
    }
}
