package org.vmcorefs.fs;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.vmcorefs.format.view.BytesFile;
import org.vmcorefs.format.DumpPaths;
import org.vmcorefs.format.view.VirtualFile;
import org.vmcorefs.machine.DumpException;
import org.vmcorefs.machine.Errno;
import org.vmcorefs.machine.EventLog;
import org.vmcorefs.machine.Machine;
import org.vmcorefs.machine.memory.SavedArea;

/** {@code .vmcorefs/stats.json}: what the mount served and what the saved area fetched, as JSON. */
public final class StatsFile implements VirtualFile {
    public static final String PATH = DumpPaths.STATS;
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final Machine machine;
    private final MountStats stats;
    private final Map<String, Object> mount;

    public StatsFile(Machine machine, MountStats stats, Map<String, Object> mount) {
        this.machine = machine;
        this.stats = stats;
        this.mount = mount;
    }

    Map<String, Object> report() {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("mount", mount);
        r.put("profile", machine.profile());
        r.put("origin", machine.system().origin());
        r.put("files", stats.snapshot());
        SavedArea area = machine.savedArea();
        if (area != null) {
            SavedArea.Counters c = area.counters();
            Map<String, Object> s = new LinkedHashMap<>();
            s.put("name", area.name());
            s.put("interface", area.interfaceName());
            s.put("start", area.range().start());
            s.put("size", area.range().size());
            s.put("blockSize", area.blockSize());
            s.put("released", area.released());
            s.put("requests", c.requests());
            s.put("blocks", c.blocks());
            s.put("bytes", c.bytes());
            s.put("failures", c.failures());
            s.put("lastRequestSequence", c.lastRequestSequence());
            r.put("savedArea", s);
        }
        if (machine.firmwareDump() != null) {
            r.put("firmwareDump", FirmwareDumpStats.of(machine.firmwareDump()));
        }
        List<Map<String, Object>> events = new ArrayList<>();
        for (EventLog.Event e : machine.events().events()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("sequence", e.sequence());
            m.put("time", e.time().toString());
            m.put("kind", e.kind());
            m.put("detail", e.detail());
            events.add(m);
        }
        r.put("toleratedInputs", machine.events().events().stream()
                .filter(e -> e.kind().equals(org.vmcorefs.format.env.KernelLeniency.EVENT)).count());
        r.put("events", events);
        return r;
    }

    private byte[] render() throws DumpException {
        try {
            return (JSON.writeValueAsString(report()) + "\n").getBytes(StandardCharsets.UTF_8);
        } catch (JsonProcessingException e) {
            throw new DumpException(Errno.EIO, "cannot render stats: " + e.getMessage(), e);
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
