package org.vmcorefs.machine.synthetic;

import org.vmcorefs.machine.Architecture;
import org.vmcorefs.machine.CpuState;
import org.vmcorefs.machine.CrashedSystem;
import org.vmcorefs.machine.KernelInfo;
import org.vmcorefs.machine.MemoryRange;
import org.vmcorefs.machine.memory.SyntheticMemory;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** Crashed 64-bit POWER systems described by a few numbers: RAM size, CPU count and a seed. */
public final class SyntheticPowerSystem {
    /** Where the ppc64 kernel's text starts: KERNELBASE, the start of the linear map. */
    public static final long KERNEL_BASE = 0xc000000000000000L;
    /** The synthetic kernel image's size (_end - _stext). */
    public static final long TEXT_SIZE = 0x2000000;
    /** MSR of a 64-bit kernel with translation and interrupts on: SF | EE | ME | IR | DR | RI. */
    static final long KERNEL_MSR = 0x8000000000009032L;
    /** MSR_LE: little-endian mode. */
    static final long MSR_LE = 1;
    /** The trap a kernel crash leaves: 0x700, program check (BUG()). */
    static final long TRAP_PROGRAM_CHECK = 0x700;

    private SyntheticPowerSystem() {
    }

    /** A crashed POWER system of {@code size} bytes of RAM from address 0, with synthetic memory and registers. */
    public static CrashedSystem system(Architecture arch, long size, int cpus, SyntheticMemory memory,
            Instant crashTime) {
        if (arch != Architecture.PPC64 && arch != Architecture.PPC64LE) {
            throw new IllegalArgumentException(arch + " is not a POWER architecture");
        }
        if (size < (256L << 20) || size % arch.pageSize() != 0) {
            throw new IllegalArgumentException("a POWER machine needs at least 256 MiB of RAM in whole "
                    + arch.pageSize() / 1024 + " KiB pages");
        }
        List<MemoryRange> ram = List.of(new MemoryRange(0, size));
        KernelInfo kernel = new KernelInfo(SyntheticSystem.OS_RELEASE, KERNEL_BASE, 0, TEXT_SIZE, 0, "");
        List<CpuState> states = new ArrayList<>();
        for (int i = 0; i < cpus; i++) {
            states.add(cpu(arch, memory.seed(), i, size));
        }
        return new CrashedSystem(arch, ram, memory, states, kernel, crashTime,
                String.format("synthetic %s, seed %d, %d bytes", arch.linuxName(), memory.seed(), size));
    }

    /** Plausible kernel-mode pt_regs: nip and link in the kernel text, r1 a stack in the linear map. */
    static CpuState cpu(Architecture a, long seed, int index, long ramSize) {
        long[] r = new long[a.registerNames().size()];
        for (int i = 0; i < r.length; i++) {
            r[i] = SyntheticMemory.mix(seed * 37 + index * 1013L + i);
        }
        r[a.registerIndex("r1")] = KERNEL_BASE + (Long.remainderUnsigned(r[1], ramSize) & ~0xfL);
        r[a.registerIndex("r2")] = KERNEL_BASE + 0x1500000L;
        r[a.registerIndex("r13")] = KERNEL_BASE + 0x3000000L + index * 0x400L;
        r[a.registerIndex("nip")] = KERNEL_BASE + (Long.remainderUnsigned(r[a.registerIndex("nip")], TEXT_SIZE) & ~3L);
        r[a.registerIndex("link")] = KERNEL_BASE
                + (Long.remainderUnsigned(r[a.registerIndex("link")], TEXT_SIZE) & ~3L);
        r[a.registerIndex("msr")] = KERNEL_MSR | (a == Architecture.PPC64LE ? MSR_LE : 0);
        r[a.registerIndex("ccr")] &= 0xffffffffL;
        r[a.registerIndex("xer")] &= 0xe000007fL;
        r[a.registerIndex("softe")] = 1;
        r[a.registerIndex("trap")] = TRAP_PROGRAM_CHECK;
        r[a.registerIndex("dsisr")] &= 0xffffffffL;
        r[a.registerIndex("result")] = 0;
        for (int i = a.registerIndex("padding"); i < r.length; i++) {
            r[i] = 0;
        }
        return new CpuState(a, index, r, new byte[0]);
    }
}
