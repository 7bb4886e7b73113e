package org.vmcorefs.format.input;

import org.vmcorefs.format.FormatException;
import org.vmcorefs.format.struct.ElfNote;
import org.vmcorefs.format.struct.S390Notes;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.vmcorefs.machine.Architecture;
import org.vmcorefs.machine.CpuState;
import org.vmcorefs.machine.MemoryRange;
import org.vmcorefs.machine.memory.PhysicalMemory;

/**
 * The reading code some architectures need beyond their data in {@link Architecture}, as a registry: an
 * architecture that is not listed reads generically (CPUs from NT_PRSTATUS, kernel mappings as the dump
 * gives them).
 *
 * @param mappings completes the kernel mappings a dump gives
 * @param cpus the CPUs of a dump's notes, given those NT_PRSTATUS alone gives
 */
record ArchitectureHooks(Mappings mappings, Cpus cpus) {
    /** Completes a dump's kernel mappings from its VMCOREINFO ({@code info}) and memory. */
    interface Mappings {
        KernelMappings complete(Path path, Map<String, String> info, PhysicalMemory memory, List<MemoryRange> ram,
                KernelMappings given);
    }

    /** The CPUs of a dump's notes, given {@code prstatus}, those its NT_PRSTATUS notes alone describe. */
    interface Cpus {
        List<CpuState> of(List<ElfNote> notes, List<CpuState> prstatus) throws FormatException;
    }

    static final ArchitectureHooks GENERIC = new ArchitectureHooks((path, info, memory, ram, given) -> given,
            (notes, prstatus) -> prstatus);

    private static final Map<Architecture, ArchitectureHooks> HOOKS = Map.of(
            Architecture.X86_64, new ArchitectureHooks(X86KernelMappings::derive, GENERIC.cpus()),
            Architecture.ARM64, new ArchitectureHooks(Arm64KernelMappings::derive, GENERIC.cpus()),
            // s390x cores hold every register: NT_PRFPREG and the s390 notes complete each NT_PRSTATUS.
            Architecture.S390X, new ArchitectureHooks(GENERIC.mappings(), (notes, prstatus) -> {
                List<CpuState> all = S390Notes.cpus(notes);
                return all.isEmpty() ? prstatus : all;
            }));

    static ArchitectureHooks of(Architecture arch) {
        return HOOKS.getOrDefault(arch, GENERIC);
    }
}
