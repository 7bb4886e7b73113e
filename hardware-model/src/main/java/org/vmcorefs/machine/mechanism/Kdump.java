package org.vmcorefs.machine.mechanism;

import org.vmcorefs.machine.CrashedSystem;
import org.vmcorefs.machine.EventLog;
import org.vmcorefs.machine.FaultInjection;
import org.vmcorefs.machine.Machine;
import org.vmcorefs.machine.MemoryRange;
import org.vmcorefs.machine.memory.LayeredMemory;
import org.vmcorefs.machine.memory.PhysicalMemory;
import org.vmcorefs.machine.memory.SavedArea;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * kexec-based kdump on x86_64: the first kernel reserved a crashkernel region and loaded the capture
 * kernel there; at the crash, purgatory copied the low 640 KiB into a backup region inside the reservation
 * (the capture kernel then runs over the low memory), and the capture kernel serves the rest of the old
 * memory where it lies.
 */
public final class Kdump {
    private static final Logger LOG = LoggerFactory.getLogger(Kdump.class);
    /** The low memory that kexec backs up: [0, 640 KiB). */
    public static final MemoryRange BACKUP = new MemoryRange(0, 0xa0000);
    private static final long MIB = 1L << 20;
    private static final long FOUR_GIB = 1L << 32;

    private Kdump() {
    }

    /**
     * Where an architecture's kernel puts a crashkernel= reservation: for SIZE alone the highest
     * {@code align}-aligned place below {@code ceiling} (4 GiB unless said) at or above {@code floor}; a
     * SIZE@START must have START a multiple of {@code startAlign}.
     */
    public record Placement(String architecture, long align, long floor, long startAlign, long ceiling) {
        /** A placement below 4 GiB. */
        public Placement(String architecture, long align, long floor, long startAlign) {
            this(architecture, align, floor, startAlign, FOUR_GIB);
        }
    }

    /** x86_64: 16 MiB-aligned, above 64 MiB; any START. */
    public static final Placement X86_64 = new Placement("x86_64", 16 * MIB, 64 * MIB, 1);

    /** The reservation a distribution's x86_64 kdump would make for this much RAM: none below 512 MiB. */
    public static MemoryRange defaultCrashkernel(List<MemoryRange> ram) {
        return defaultCrashkernel(ram, X86_64);
    }

    /** What a distribution's kdump reserves: 128M for 512 MiB-2 GiB of RAM, 256M above, placed as {@code p} says. */
    public static MemoryRange defaultCrashkernel(List<MemoryRange> ram, Placement p) {
        long size = defaultCrashkernelSize(ram);
        return size == 0 ? new MemoryRange(0, 0) : placeCrashkernel(ram, size, p);
    }

    /** The size of the reservation a distribution's kdump makes: 128M for 512 MiB-2 GiB of RAM, 256M above, else 0. */
    public static long defaultCrashkernelSize(List<MemoryRange> ram) {
        long total = ram.stream().mapToLong(MemoryRange::size).sum();
        return total >= 2048 * MIB ? 256 * MIB : total >= 512 * MIB ? 128 * MIB : 0;
    }

    /** The highest 16 MiB-aligned place below 4 GiB, above 64 MiB, where {@code size} bytes of RAM are free. */
    public static MemoryRange placeCrashkernel(List<MemoryRange> ram, long size) {
        return placeCrashkernel(ram, size, X86_64.align(), X86_64.floor());
    }

    /** The highest {@code align}-aligned place below 4 GiB, at or above {@code floor}, with {@code size} bytes free. */
    public static MemoryRange placeCrashkernel(List<MemoryRange> ram, long size, long align, long floor) {
        return placeCrashkernel(ram, size, align, floor, FOUR_GIB);
    }

    /** Where {@code p} places {@code size} bytes in {@code ram}. */
    public static MemoryRange placeCrashkernel(List<MemoryRange> ram, long size, Placement p) {
        return placeCrashkernel(ram, size, p.align(), p.floor(), p.ceiling());
    }

    private static MemoryRange placeCrashkernel(List<MemoryRange> ram, long size, long align, long floor,
            long ceiling) {
        for (int i = ram.size() - 1; i >= 0; i--) {
            MemoryRange r = ram.get(i);
            long top = Math.min(r.end(), ceiling);
            long start = Math.floorDiv(top - size, align) * align;
            if (start >= Math.max(r.start(), floor)) {
                return new MemoryRange(start, size);
            }
        }
        throw new IllegalArgumentException("no room for a crashkernel reservation of " + size / MIB + " MiB");
    }

    /**
     * Builds the machine as a capture kernel finds it where kexec keeps no backup region (arm64): the capture
     * kernel ran only inside its reservation, so every other byte of RAM is as the crash left it, and
     * /proc/vmcore shows RAM without the reservation.
     */
    public static Machine buildWithoutBackup(String profile, CrashedSystem system, MemoryRange crashkernel,
            PhysicalMemory captureKernel) {
        checkInsideRam(system, crashkernel);
        PhysicalMemory current = LayeredMemory.over(system.memory()).put(crashkernel, captureKernel).build();
        List<MemoryRange> dump = MemoryRange.subtract(system.ram(), crashkernel);
        LOG.info("kdump machine: {} of RAM in {} ranges, crashkernel {}, {} CPUs, {}", system.ramSize(),
                system.ram().size(), crashkernel, system.cpus().size(), system.origin());
        return new Machine(profile, system, current, system.memory(), dump, crashkernel, null, new EventLog());
    }

    private static void checkInsideRam(CrashedSystem system, MemoryRange crashkernel) {
        if (!crashkernel.isEmpty() && !MemoryRange.insideOne(system.ram(), crashkernel)) {
            throw new IllegalArgumentException("crashkernel " + crashkernel + " is not inside one RAM range");
        }
    }

    /**
     * What kexec's purgatory copies away before the capture kernel runs over it: {@code source}, copied to
     * {@code offset} bytes into the reservation (x86_64: 640 KiB to its start; i386: the RAM below 640 KiB to the
     * top, where kexec-tools' locate_hole puts it; ppc64: 64 KiB behind the capture kernel's image).
     */
    public record Backup(MemoryRange source, long offset) {
    }

    /** x86_64: the low 640 KiB, copied to the start of the reservation. */
    public static final Backup X86_64_BACKUP = new Backup(BACKUP, 0);

    /**
     * Builds the machine as the capture kernel finds it.
     *
     * @param profile the name of the capture environment, for the machine's description
     * @param crashkernel the reservation (may be empty for a replayed dump that had none)
     * @param captureKernel what the capture kernel wrote over its region and the low memory
     */
    public static Machine build(String profile, CrashedSystem system, MemoryRange crashkernel, PhysicalMemory captureKernel,
            FaultInjection faults) {
        return build(profile, system, crashkernel, captureKernel, faults, X86_64_BACKUP, List.of());
    }

    /**
     * Builds the machine as the capture kernel finds it, {@code backup} copied away by purgatory.
     *
     * @param keptInReservation ranges inside the reservation that the capture kernel leaves as they were
     *     (ppc64: the RTAS firmware) and that kexec-tools lists after the RAM ranges
     */
    public static Machine build(String profile, CrashedSystem system, MemoryRange crashkernel,
            PhysicalMemory captureKernel, FaultInjection faults, Backup backup, List<MemoryRange> keptInReservation) {
        checkInsideRam(system, crashkernel);
        MemoryRange low = backup.source();
        EventLog events = new EventLog();
        SavedArea saved = new SavedArea("backup", "kexec backup region", low, system.architecture().pageSize(), 0,
                system.memory(), faults, events);
        long backupAt = crashkernel.isEmpty() ? -1 : crashkernel.start() + backup.offset();
        LayeredMemory.Builder now = LayeredMemory.over(system.memory())
                .put(low, captureKernel)
                .put(crashkernel, captureKernel);
        if (backupAt >= 0) {
            now.put(backupAt, low.size(), system.memory(), low.start());
        }
        for (MemoryRange kept : keptInReservation) {
            now.put(kept.start(), kept.size(), system.memory(), kept.start());
        }
        PhysicalMemory current = now.build();
        PhysicalMemory old = LayeredMemory.over(current).put(low, saved).build();

        List<MemoryRange> dump = new ArrayList<>();
        for (MemoryRange r : MemoryRange.subtract(system.ram(), crashkernel)) {
            if (r.overlaps(low) && r.end() > low.end()) {
                dump.add(MemoryRange.ofEnd(r.start(), low.end()));
                dump.add(MemoryRange.ofEnd(low.end(), r.end()));
            } else {
                dump.add(r);
            }
        }
        dump.addAll(keptInReservation);
        LOG.info("kdump machine: {} of RAM in {} ranges, crashkernel {}, {} CPUs, {}", system.ramSize(),
                system.ram().size(), crashkernel, system.cpus().size(), system.origin());
        return new Machine(profile, system, current, old, dump, crashkernel, saved, events);
    }
}
