package org.vmcorefs.fs;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.vmcorefs.machine.mechanism.FirmwareDump;
import org.vmcorefs.machine.MemoryRange;
import org.vmcorefs.machine.memory.ReservedMemory;

/** The stats entry of a POWER hypervisor-saved dump: its areas, what is still reserved and what was released. */
final class FirmwareDumpStats {
    private FirmwareDumpStats() {
    }

    static Map<String, Object> of(FirmwareDump dump) {
        ReservedMemory r = dump.reservations();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("kind", dump.kind().name());
        m.put("dumpActive", dump.dumpActive());
        m.put("registered", dump.registered());
        m.put("cpuState", range(dump.cpuState()));
        m.put("hpte", range(dump.hpte()));
        m.put("bootMemory", range(dump.bootMemory()));
        m.put("bootMemoryCopy", range(dump.bootMemoryCopy()));
        m.put("dumpArea", range(dump.dumpArea()));
        m.put("inPlace", range(dump.inPlace()));
        m.put("pageSize", r.pageSize());
        m.put("reserved", ranges(r.reserved()));
        m.put("released", ranges(r.released()));
        m.put("releasedBytes", r.releasedBytes());
        m.put("stillReserved", ranges(r.stillReserved()));
        m.put("stillReservedBytes", r.stillReserved().stream().mapToLong(MemoryRange::size).sum());
        return m;
    }

    private static List<Map<String, Object>> ranges(List<MemoryRange> list) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (MemoryRange x : list) {
            out.add(range(x));
        }
        return out;
    }

    private static Map<String, Object> range(MemoryRange x) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("start", x.start());
        m.put("size", x.size());
        return m;
    }
}
