package org.vmcorefs.machine.mechanism;

import org.vmcorefs.machine.Architecture;
import org.vmcorefs.machine.CpuState;
import org.vmcorefs.machine.CrashedSystem;
import org.vmcorefs.machine.EventLog;
import org.vmcorefs.machine.FaultInjection;
import org.vmcorefs.machine.Machine;
import org.vmcorefs.machine.MemoryRange;
import org.vmcorefs.machine.memory.LayeredMemory;
import org.vmcorefs.machine.memory.PhysicalMemory;
import org.vmcorefs.machine.memory.ReclaimableMemory;
import org.vmcorefs.machine.memory.ReservedMemory;
import org.vmcorefs.machine.memory.SavedArea;
import java.nio.ByteBuffer;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds the machine that the POWER hypervisor leaves after a crash: it saved the CPU state, the HPTEs and a
 * copy of the low memory into the area the crashed kernel had registered, reset the partition without
 * clearing RAM, and booted the normal kernel into the low memory, which keeps everything above reserved.
 * Phyp-assisted dump (POWER6) puts that area at the top of RAM; fadump right above the boot memory.
 */
public final class PowerDump {
    private static final Logger LOG = LoggerFactory.getLogger(PowerDump.class);
    /** The real mode region phyp-assisted dump copies: PHYP_DUMP_RMR_START..PHYP_DUMP_RMR_END. */
    public static final MemoryRange RMR = new MemoryRange(0, 1L << 28);
    /** Bytes of the hypervisor's register save entry per CPU in the CPU state area. */
    static final int CPU_STATE_BYTES = 1024;
    /** How the save area is reached: the area the crashed kernel registered with the hypervisor. */
    static final String SAVE_INTERFACE = "hypervisor dump area";

    private PowerDump() {
    }

    /**
     * The memory the kernel boots into and keeps: 5% of RAM rounded down to 256 MiB, at least 256 MiB
     * (phyp_dump_calculate_reserve_size, fadump_calculate_reserve_size).
     */
    public static long bootMemorySize(long ramSize) {
        long fivePercent = (ramSize / 20) & ~0x0FFFFFFFL;
        return Math.max(fivePercent, RMR.size());
    }

    /** The CPU state area: one register save entry per CPU, in whole pages. */
    static long cpuStateSize(int cpus, long page) {
        return roundUp((long) cpus * CPU_STATE_BYTES, page);
    }

    /** Phyp-assisted dump: the save area (CPU state, HPTEs, the 256 MiB RMR copy) sits at the top of RAM. */
    public static Machine phyp(String profile, CrashedSystem system, PhysicalMemory running, FaultInjection faults) {
        Architecture arch = checkPower(system);
        long page = arch.pageSize();
        long end = system.endOfRam();
        long boot = bootMemorySize(end);
        long cpuSize = cpuStateSize(system.cpus().size(), page);
        long hpteSize = page;
        long scratchSize = cpuSize + hpteSize + RMR.size();
        long scratchBase = end - scratchSize;
        if (scratchBase < boot + page) {
            throw new IllegalArgumentException(String.format("phyp-assisted dump needs more than 0x%x bytes of RAM "
                    + "(boot memory 0x%x, save area 0x%x)", boot + scratchSize, boot, scratchSize));
        }
        MemoryRange cpu = new MemoryRange(scratchBase, cpuSize);
        MemoryRange hpte = new MemoryRange(cpu.end(), hpteSize);
        MemoryRange copy = new MemoryRange(hpte.end(), RMR.size());
        MemoryRange scratch = MemoryRange.ofEnd(scratchBase, end);
        MemoryRange inPlace = MemoryRange.ofEnd(boot, scratchBase);
        return assemble(profile, FirmwareDump.Kind.PHYP, system, running, faults, RMR, boot, cpu, hpte,
                copy, scratch, inPlace);
    }

    /**
     * fadump: the registered area sits right above the boot memory (fadump_locate_reserve_mem) and holds the CPU
     * state, the HPTEs, the copy of the whole boot memory and one page of crash info and ELF headers.
     */
    public static Machine fadump(String profile, CrashedSystem system, PhysicalMemory running,
            FaultInjection faults) {
        Architecture arch = checkPower(system);
        long page = arch.pageSize();
        long end = system.endOfRam();
        long boot = bootMemorySize(end);
        long cpuSize = cpuStateSize(system.cpus().size(), page);
        MemoryRange cpu = new MemoryRange(boot, cpuSize);
        MemoryRange hpte = new MemoryRange(cpu.end(), page);
        MemoryRange copy = new MemoryRange(hpte.end(), boot);
        MemoryRange area = MemoryRange.ofEnd(boot, copy.end() + page);
        if (area.end() + page > end) {
            throw new IllegalArgumentException(String.format("fadump needs more than 0x%x bytes of RAM (boot memory "
                    + "0x%x, dump area 0x%x)", area.end(), boot, area.size()));
        }
        MemoryRange inPlace = MemoryRange.ofEnd(area.end(), end);
        return assemble(profile, FirmwareDump.Kind.FADUMP, system, running, faults, new MemoryRange(0, boot), boot,
                cpu, hpte, copy, area, inPlace);
    }

    private static Machine assemble(String profile, FirmwareDump.Kind kind, CrashedSystem system,
            PhysicalMemory running, FaultInjection faults, MemoryRange copied, long boot, MemoryRange cpu,
            MemoryRange hpte, MemoryRange copy, MemoryRange dumpArea, MemoryRange inPlace) {
        Architecture arch = system.architecture();
        EventLog events = new EventLog();
        SavedArea saved = new SavedArea("boot memory copy", SAVE_INTERFACE, copied, arch.pageSize(), 0,
                system.memory(), faults, events);
        ReservedMemory reservations = new ReservedMemory(
                List.of(MemoryRange.ofEnd(boot, system.endOfRam())), arch.pageSize(), events);
        // Memory as it is now, had nothing been released: the running kernel in the boot memory, the crashed
        // system's bytes where they stayed, and what the hypervisor wrote into the registered area.
        PhysicalMemory preserved = LayeredMemory.over(system.memory())
                .put(new MemoryRange(0, boot), running)
                .put(dumpArea, running)
                .put(cpu, cpuStateArea(system, cpu.start()))
                .put(copy.start(), copy.size(), saved, copied.start())
                .build();
        PhysicalMemory current = new ReclaimableMemory(preserved, reservations, running, "memory");
        PhysicalMemory guarded = new ReclaimableMemory(preserved, reservations, null, "crashed system's memory");
        // The dump reads the boot memory from the hypervisor's copy: a PT_LOAD whose data lives elsewhere.
        PhysicalMemory old = LayeredMemory.over(guarded).put(copied.start(), copied.size(), guarded, copy.start())
                .build();
        FirmwareDump dump = new FirmwareDump(kind, copied, cpu, hpte, copy, dumpArea, inPlace, reservations, saved,
                events);
        List<MemoryRange> ranges = List.of(copied, inPlace);
        LOG.info("{} machine: {} of RAM, boot memory 0x{}, dump area {}, {} CPUs, {}", profile, system.ramSize(),
                Long.toHexString(boot), dumpArea, system.cpus().size(), system.origin());
        return new Machine(profile, system, current, old, ranges, new MemoryRange(0, boot), saved, events, dump);
    }

    private static Architecture checkPower(CrashedSystem system) {
        Architecture arch = system.architecture();
        if (arch != Architecture.PPC64 && arch != Architecture.PPC64LE) {
            throw new IllegalArgumentException("the POWER hypervisor's dump needs a POWER machine, not " + arch);
        }
        if (system.ram().size() != 1 || system.ram().get(0).start() != 0) {
            throw new IllegalArgumentException("the POWER hypervisor's dump needs one RAM range from address 0");
        }
        return arch;
    }

    /**
     * The hypervisor's CPU state area: per CPU a {@value #CPU_STATE_BYTES}-byte entry starting with its 48
     * pt_regs words in the machine's byte order, rendered when read.
     */
    static PhysicalMemory cpuStateArea(CrashedSystem system, long base) {
        Architecture arch = system.architecture();
        List<CpuState> cpus = system.cpus();
        return (address, dst) -> {
            while (dst.hasRemaining()) {
                long off = address - base;
                int index = (int) (off / CPU_STATE_BYTES);
                int in = (int) (off % CPU_STATE_BYTES);
                int n = Math.min(CPU_STATE_BYTES - in, dst.remaining());
                ByteBuffer entry = ByteBuffer.allocate(CPU_STATE_BYTES).order(arch.byteOrder());
                if (index < cpus.size()) {
                    for (long r : cpus.get(index).registers()) {
                        entry.putLong(r);
                    }
                }
                dst.put(entry.array(), in, n);
                address += n;
            }
        };
    }

    static long roundUp(long value, long alignment) {
        return (value + alignment - 1) / alignment * alignment;
    }
}
