package org.vmcorefs.fs.map;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.vmcorefs.format.view.DumpTree;
import org.vmcorefs.format.view.LayoutFile;
import org.vmcorefs.format.view.VirtualFile;
import org.vmcorefs.machine.Machine;
import org.vmcorefs.machine.MemoryRange;
import org.vmcorefs.machine.memory.SavedArea;

/**
 * What the mount's reads touched of the machine's physical memory, per file, and which blocks of the
 * hardware-saved area were fetched, each in an {@link AddressMap} (bounded memory whatever the machine's size).
 * {@link #report()} adds the machine's memory map and what was released: all that {@code stats --map} draws.
 */
public final class ReadMap {
    /** Buckets per map: about 100 bytes each, so well under a few MiB per file at the worst. */
    static final int MAX_NODES = 1 << 14;

    private final Machine machine;
    private final DumpTree tree;
    private final long limit;
    private final Map<String, AddressMap> files = new ConcurrentHashMap<>();
    private final AddressMap fetched;

    public ReadMap(Machine machine, DumpTree tree) {
        this.machine = machine;
        this.tree = tree;
        long end = machine.system().endOfRam();
        SavedArea area = machine.savedArea();
        if (area != null) {
            end = Math.max(end, area.range().end());
        }
        this.limit = end;
        this.fetched = area != null ? new AddressMap(limit, MAX_NODES) : null;
        if (area != null) {
            area.listen((address, length) -> {
                synchronized (fetched) {
                    fetched.add(address, length);
                }
            });
        }
    }

    /** A read of {@code length} bytes at {@code offset} of the file at {@code path}: marks the memory behind it. */
    public void read(String path, long offset, long length) {
        VirtualFile f = tree.file(path);
        if (!(f instanceof LayoutFile lf) || length <= 0) {
            return;
        }
        AddressMap m = files.get(path); // a plain get first: computeIfAbsent's lambda would be allocated per read
        if (m == null) {
            m = files.computeIfAbsent(path, p -> new AddressMap(limit, MAX_NODES));
        }
        synchronized (m) {
            lf.layout().memory(offset, length, m.sink);
        }
    }

    /** Buckets in use, all maps together (what the map's memory is proportional to). */
    int nodes() {
        int n = fetched == null ? 0 : fetched.nodes();
        for (AddressMap m : files.values()) {
            synchronized (m) {
                n += m.nodes();
            }
        }
        return n;
    }

    /** The map as JSON-ready values: machine memory, saved area, released ranges, and per file what it touched. */
    Map<String, Object> report(Map<String, Map<String, Long>> counters) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("profile", machine.profile());
        r.put("architecture", machine.architecture().name());
        r.put("origin", machine.system().origin());
        r.put("endOfRam", machine.system().endOfRam());
        r.put("ram", pairs(machine.system().ram()));
        MemoryRange reserved = machine.reserved();
        // The capture kernel's own region; on POWER the reserved memory is the boot memory, drawn as that.
        r.put("captureKernel", reserved == null || reserved.size() == 0 || machine.firmwareDump() != null ? null
                : pair(reserved));
        List<long[]> released = new ArrayList<>();
        if (machine.firmwareDump() != null) {
            r.put("bootMemory", pair(machine.firmwareDump().bootMemory()));
            released.addAll(pairs(machine.firmwareDump().reservations().released()));
        }
        SavedArea area = machine.savedArea();
        if (area != null) {
            Map<String, Object> s = new LinkedHashMap<>();
            s.put("name", area.name());
            s.put("start", area.range().start());
            s.put("size", area.range().size());
            s.put("blockSize", area.blockSize());
            s.put("released", area.released());
            synchronized (fetched) {
                s.put("fetchedBytes", fetched.touched());
                s.put("fetched", ranges(fetched));
            }
            r.put("savedArea", s);
            if (area.released() && machine.firmwareDump() == null) {
                released.add(pair(area.range()));
            }
        }
        r.put("released", released);
        Map<String, Object> f = new java.util.TreeMap<>();
        files.forEach((path, m) -> {
            Map<String, Object> e = new LinkedHashMap<>();
            Map<String, Long> c = counters.get(path);
            e.put("bytesRead", c == null ? 0 : c.get("bytesRead"));
            synchronized (m) {
                e.put("touchedBytes", m.touched());
                e.put("ranges", ranges(m));
            }
            f.put(path, e);
        });
        r.put("files", f);
        r.put("buckets", nodes());
        return r;
    }

    private static List<long[]> ranges(AddressMap m) {
        List<long[]> out = new ArrayList<>();
        m.ranges((start, end, touched) -> out.add(new long[] {start, end - start, touched}));
        return out;
    }

    private static List<long[]> pairs(List<MemoryRange> list) {
        return list.stream().map(ReadMap::pair).toList();
    }

    private static long[] pair(MemoryRange x) {
        return new long[] {x.start(), x.size()};
    }
}
