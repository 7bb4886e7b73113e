package org.vmcorefs.format.input;

import java.util.List;
import org.vmcorefs.machine.Architecture;
import org.vmcorefs.machine.CpuState;

/**
 * QEMU writes the dump of a little-endian POWER guest big-endian, headers and registers alike (its dump code
 * takes the byte order of the CPU model, not of the guest; see shared/tools/README.md). The guest's byte order
 * is in its registers: MSR_LE, set while a ppc64le kernel runs. Such a dump is read with the file's byte order
 * and describes a {@link Architecture#PPC64LE} system; its memory is the guest's, bytes as they were.
 */
final class PowerGuestByteOrder {
    /** MSR_LE: the CPU runs little-endian (arch/powerpc/include/asm/reg.h, bit 0). */
    static final long MSR_LE = 1;

    private PowerGuestByteOrder() {
    }

    /**
     * The architecture of the guest whose dump, written as {@code written}, holds {@code cpus}. Any CPU with MSR_LE
     * tells: after a panic the other CPUs may sit in firmware (real mode, MSR_LE clear), and which CPU comes first
     * depends on which one crashed.
     */
    static Architecture guest(Architecture written, List<CpuState> cpus) {
        if (written == Architecture.PPC64 && cpus.stream().anyMatch(c -> (c.get("msr") & MSR_LE) != 0)) {
            return Architecture.PPC64LE;
        }
        return written;
    }

    /** {@code cpus} as CPUs of {@code arch} (the same registers, in the same order). */
    static List<CpuState> as(Architecture arch, List<CpuState> cpus) {
        return cpus.stream().map(c -> c.architecture() == arch ? c
                : new CpuState(arch, c.index(), c.registers(), c.vectorRegisters(), c.pid())).toList();
    }
}
