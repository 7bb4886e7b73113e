package org.vmcorefs.format.env.zfcpdump;

import org.vmcorefs.format.struct.CoreNotes;
import org.vmcorefs.format.struct.S390DumpHeader;
import org.vmcorefs.format.struct.S390EndMarker;
import org.vmcorefs.format.struct.S390Notes;
import org.vmcorefs.format.view.Layout;
import org.vmcorefs.format.view.VmcoreView;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.vmcorefs.format.text.ZcoreMemmapText;
import org.vmcorefs.machine.Architecture;
import org.vmcorefs.machine.CpuState;
import org.vmcorefs.machine.DumpException;
import org.vmcorefs.machine.Errno;
import org.vmcorefs.machine.Machine;
import org.vmcorefs.machine.MemoryRange;
import org.vmcorefs.machine.memory.PhysicalMemory;
import org.vmcorefs.machine.mechanism.S390SaveArea;

/**
 * The s390x zfcpdump views of a machine: zcore/mem (the s390 standalone dump format without an end
 * marker, as drivers/s390/char/zcore.c serves it), the same dump completed with "DUMP_END" for analysis
 * tools, zcore/memmap, and /proc/vmcore. All read old memory, so the HSA part goes through SCLP.
 */
public final class ZcoreView {
    /**
     * The CPU id in the header, {@code struct cpuid}: version 0x00, identification 0x0a1b2c, machine type
     * 0x8561 (z15), format bit 0x8000.
     */
    public static final long CPU_ID = 0x000a1b2c85618000L;

    private ZcoreView() {
    }

    /** The header zcore/mem shows: mem_size the RAM's size, mem_end its end, as zcore_header_init sets them. */
    public static S390DumpHeader kernelHeader(Machine machine) {
        long ramSize = machine.system().ramSize();
        return header(machine, ramSize, machine.system().endOfRam(), 0);
    }

    /**
     * The header of the complete dump: memory runs to the end of RAM, holes as zeros, so mem_size = mem_end
     * = the bytes that follow, as zgetdump writes an s390 dump (the end marker sits at header + mem_size).
     */
    public static S390DumpHeader completeHeader(Machine machine) {
        long end = machine.system().endOfRam();
        return header(machine, end, end, 0);
    }

    private static S390DumpHeader header(Machine machine, long memSize, long memEnd, int dumpLevel) {
        if (machine.architecture() != Architecture.S390X) {
            throw new IllegalArgumentException("an s390 dump needs an s390x machine, not " + machine.architecture());
        }
        List<CpuState> dumped = S390Notes.dumpedCpus(machine.cpus());
        long[] lc = dumped.stream().mapToLong(c -> c.get("prefix")).toArray();
        return new S390DumpHeader(S390DumpHeader.VERSION, dumpLevel, machine.architecture().pageSize(), memSize, 0,
                memEnd, (int) (memSize / machine.architecture().pageSize()), tod(machine), CPU_ID,
                S390DumpHeader.ARCH_S390X, 0, S390DumpHeader.ARCH_S390X, machine.system().ramSize(), 0,
                machine.cpus().size(), lc);
    }

    /** The TOD clock at dump start: the crash time. */
    static long tod(Machine machine) {
        return S390DumpHeader.tod(machine.system().crashTime());
    }

    /**
     * Old memory with every dumped CPU's registers over the register fields of its lowcore save area, as
     * zcore_add_lc copies them into the read buffer after the memory has been read: the memory read is
     * one piece, so an HSA block holding a lowcore is still fetched once.
     */
    public static PhysicalMemory withLowcores(Machine machine) {
        List<long[]> areas = new ArrayList<>();
        List<byte[]> bytes = new ArrayList<>();
        Set<Long> seen = new HashSet<>();
        for (CpuState cpu : S390Notes.dumpedCpus(machine.cpus())) {
            if (seen.add(cpu.get("prefix"))) { // a replayed dump may list a prefix twice; the first CPU's stands
                areas.add(new long[] {cpu.get("prefix") + S390SaveArea.BASE});
                bytes.add(S390SaveArea.of(cpu));
            }
        }
        PhysicalMemory old = machine.oldMemory();
        return (address, dst) -> {
            int at = dst.position();
            int n = dst.remaining();
            old.read(address, dst);
            for (int i = 0; i < areas.size(); i++) {
                long base = areas.get(i)[0];
                if (base >= address + n || base + S390SaveArea.SIZE <= address) {
                    continue;
                }
                for (MemoryRange f : S390SaveArea.REGISTER_FIELDS) {
                    long from = Math.max(address, base + f.start());
                    long to = Math.min(address + n, base + f.end());
                    for (long a = from; a < to; a++) {
                        dst.put(at + (int) (a - address), bytes.get(i)[(int) (a - base)]);
                    }
                }
            }
        };
    }

    /** zcore/mem: header, then memory from address 0 to the end of RAM; holes fail as real storage does. */
    public static Layout mem(Machine machine) {
        Layout.Builder b = Layout.builder().bytes(kernelHeader(machine).toBuffer(), "s390 dump header");
        addMemory(b, machine, false);
        return b.build();
    }

    /** The complete s390 dump: zcore/mem's memory with holes as zeros, then the end marker. */
    public static Layout complete(Machine machine) {
        Layout.Builder b = Layout.builder().bytes(completeHeader(machine).toBuffer(), "s390 dump header");
        addMemory(b, machine, true);
        return b.bytes(new S390EndMarker(tod(machine)).toBuffer(), "end marker").build();
    }

    private static void addMemory(Layout.Builder b, Machine machine, boolean holesAsZeros) {
        PhysicalMemory memory = withLowcores(machine);
        long at = 0;
        for (MemoryRange r : machine.system().ram()) {
            if (r.start() > at) {
                hole(b, MemoryRange.ofEnd(at, r.start()), holesAsZeros);
            }
            b.memory(memory, r.start(), r.size(), "memory " + r);
            at = r.end();
        }
    }

    private static void hole(Layout.Builder b, MemoryRange hole, boolean asZeros) {
        if (asZeros) {
            b.zeros(hole.size());
            return;
        }
        // memcpy_real of storage that is not there takes an addressing exception: the read fails with EFAULT.
        b.add(hole.size(), (offset, dst) -> {
            throw new DumpException(Errno.EFAULT, String.format("no storage at 0x%x (hole %s)",
                    hole.start() + offset, hole));
        }, "hole " + hole);
    }

    /** zcore/memmap's text: one record per RAM range. */
    public static byte[] memmap(Machine machine) {
        return ZcoreMemmapText.render(machine.system().ram()).getBytes(StandardCharsets.US_ASCII);
    }

    /** /proc/vmcore of the zfcpdump kernel: s390 notes, one PT_LOAD per RAM range (p_vaddr = p_paddr), p_align 4096. */
    public static Layout vmcore(Machine machine) {
        Architecture arch = machine.architecture();
        ByteBuffer notes = CoreNotes.encode(S390Notes.of(machine), arch);
        return VmcoreView.layout(arch, notes, VmcoreView.loads(machine), machine.oldMemory(), arch.pageSize());
    }
}
