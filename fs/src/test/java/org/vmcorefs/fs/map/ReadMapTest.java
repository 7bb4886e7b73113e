package org.vmcorefs.fs.map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.vmcorefs.format.env.CaptureEnvironment;
import org.vmcorefs.format.env.CaptureEnvironments;
import org.vmcorefs.format.DumpPaths;
import org.vmcorefs.format.view.DumpTree;
import org.vmcorefs.format.MachineFactory;
import org.vmcorefs.format.MachineSpec;
import org.vmcorefs.machine.Machine;
import org.vmcorefs.machine.MemoryRange;

class ReadMapTest {
    /**
     * Streams a 1 TiB machine's whole /proc/vmcore through the map, in 1 MiB reads one after another
     * (the layout resolves each read to memory; no byte is read): the buckets in use stay at the stream's
     * frontier, and at the end every RAM byte outside the crashkernel region is marked.
     */
    @Test
    void streamingATebibyteMachinesVmcoreKeepsTheMapFlat() throws Exception {
        Machine machine = MachineFactory.create(MachineSpec.synthetic(CaptureEnvironments.X86_64_KDUMP, 1L << 40, 2, 1));
        DumpTree tree = CaptureEnvironment.of(machine);
        ReadMap map = new ReadMap(machine, tree);
        long size = tree.file(DumpPaths.VMCORE).size();
        int most = 0;
        long chunk = 1 << 20;
        for (long off = 0; off < size; off += chunk) {
            map.read(DumpPaths.VMCORE, off, Math.min(chunk, size - off));
            if ((off & ((1L << 30) - 1)) == 0) {
                most = Math.max(most, map.nodes());
            }
        }
        System.out.println("read map: at most " + most + " buckets while streaming " + size + " bytes, "
                + map.nodes() + " at the end");
        assertTrue(most < 200, "buckets while streaming: " + most);
        long dumped = machine.dumpRanges().stream().mapToLong(MemoryRange::size).sum();
        @SuppressWarnings("unchecked")
        Map<String, Object> file = (Map<String, Object>) ((Map<String, Object>) map.report(Map.of()).get("files"))
                .get(DumpPaths.VMCORE);
        assertEquals(dumped, (long) file.get("touchedBytes"), "every dumped byte is marked once");
    }
}
