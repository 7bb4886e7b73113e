package org.vmcorefs.machine;

import org.vmcorefs.machine.memory.PhysicalMemory;
import java.time.Instant;
import java.util.List;

/**
 * The crashed system as it was at the moment of the crash, before any dump mechanism acted: its RAM map,
 * its memory, its CPUs and what is known of its kernel. Built from a synthetic description or a replayed
 * dump; a capture environment turns it into a {@link Machine}.
 *
 * @param origin a one-line description of where it came from, for logs and stats
 */
public record CrashedSystem(Architecture architecture, List<MemoryRange> ram, PhysicalMemory memory,
        List<CpuState> cpus, KernelInfo kernel, Instant crashTime, String origin) {

    public CrashedSystem {
        ram = MemoryRange.normalize(ram);
        cpus = List.copyOf(cpus);
        if (ram.isEmpty()) {
            throw new IllegalArgumentException("a machine needs some RAM");
        }
        for (CpuState cpu : cpus) {
            if (cpu.architecture() != architecture) {
                throw new IllegalArgumentException("CPU " + cpu.index() + " is " + cpu.architecture() + ", not "
                        + architecture);
            }
        }
    }

    /** One past the highest RAM address. */
    public long endOfRam() {
        return ram.get(ram.size() - 1).end();
    }

    public long ramSize() {
        return ram.stream().mapToLong(MemoryRange::size).sum();
    }

    public CrashedSystem withMemory(PhysicalMemory newMemory) {
        return new CrashedSystem(architecture, ram, newMemory, cpus, kernel, crashTime, origin);
    }

    public CrashedSystem withKernel(KernelInfo newKernel) {
        return new CrashedSystem(architecture, ram, memory, cpus, newKernel, crashTime, origin);
    }
}
