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

/** Crashed systems described by a few numbers: RAM size, CPU count and a seed for every byte and register. */
public final class SyntheticSystem {
    /** The kernel release synthetic machines report. */
    public static final String OS_RELEASE = "6.1.0-vmcorefs-synthetic";
    /** Where x86_64 loads the kernel: LOAD_PHYSICAL_ADDR. */
    public static final long X86_TEXT_PHYSICAL = 0x1000000;
    /** The synthetic kernel image's size (_end - _text). */
    public static final long X86_TEXT_SIZE = 0x2000000;
    private static final long MIB = 1L << 20;

    private SyntheticSystem() {
    }

    /**
     * An x86_64 PC's RAM map for {@code size} bytes of RAM: the low 640 KiB, then from 1 MiB up to the PCI
     * hole at 3 GiB, then the rest from 4 GiB.
     */
    public static List<MemoryRange> x86Ram(long size) {
        if (size < 64 * MIB) {
            throw new IllegalArgumentException("an x86_64 machine needs at least 64 MiB of RAM");
        }
        List<MemoryRange> ram = new ArrayList<>();
        ram.add(new MemoryRange(0, 0xa0000));
        long rest = size - 0xa0000;
        long low = Math.min(rest, (3L << 30) - MIB);
        ram.add(new MemoryRange(MIB, low));
        if (rest > low) {
            ram.add(new MemoryRange(1L << 32, rest - low));
        }
        return ram;
    }

    /** A crashed x86_64 system with synthetic memory and registers (and no kernel data: see the overload). */
    public static CrashedSystem x86_64(long size, int cpus, SyntheticMemory memory, long kaslrOffset,
            Instant crashTime) {
        return x86_64(size, cpus, memory, kaslrOffset, crashTime, null);
    }

    /**
     * A crashed x86_64 system with synthetic memory and registers; with {@code crashkernel} (its reservation,
     * possibly empty) also the kernel's data that dump tools read ({@link SyntheticX86Kernel}: page tables,
     * struct pages, the printk log) and the VMCOREINFO that points at it.
     */
    public static CrashedSystem x86_64(long size, int cpus, SyntheticMemory memory, long kaslrOffset,
            Instant crashTime, MemoryRange crashkernel) {
        CrashedSystem plain = x86_64Plain(size, cpus, memory, kaslrOffset, crashTime);
        SyntheticX86Kernel data = crashkernel == null ? null
                : SyntheticX86Kernel.of(memory, plain.ram(), crashkernel, plain.kernel(), crashTime);
        if (data == null) {
            return plain;
        }
        return plain.withMemory(data.over(memory)).withKernel(plain.kernel().withVmcoreinfo(data.vmcoreinfo()));
    }

    /**
     * The kernel data {@link #x86_64(long, int, SyntheticMemory, long, Instant, MemoryRange)} lays over
     * {@code memory}, or null where there is none: the reference whose {@code byteAt} tests check reads against.
     */
    public static SyntheticX86Kernel x86Kernel(long size, SyntheticMemory memory, long kaslrOffset,
            Instant crashTime, MemoryRange crashkernel) {
        CrashedSystem plain = x86_64Plain(size, 1, memory, kaslrOffset, crashTime);
        return SyntheticX86Kernel.of(memory, plain.ram(), crashkernel, plain.kernel(), crashTime);
    }

    private static CrashedSystem x86_64Plain(long size, int cpus, SyntheticMemory memory, long kaslrOffset,
            Instant crashTime) {
        List<MemoryRange> ram = x86Ram(size);
        long textVirtual = Architecture.X86_64.kernelTextBase() + kaslrOffset;
        long textPhysical = X86_TEXT_PHYSICAL + kaslrOffset;
        KernelInfo kernel = new KernelInfo(OS_RELEASE, textVirtual, textPhysical, X86_TEXT_SIZE, kaslrOffset, "");
        List<CpuState> states = new ArrayList<>();
        for (int i = 0; i < cpus; i++) {
            states.add(x86Cpu(memory.seed(), i, textVirtual, ram));
        }
        return new CrashedSystem(Architecture.X86_64, ram, memory, states, kernel, crashTime,
                String.format("synthetic x86_64, seed %d, %d bytes", memory.seed(), size));
    }

    /** Plausible kernel-mode registers: rip in the kernel text, rsp in the direct map, kernel segments. */
    static CpuState x86Cpu(long seed, int index, long textVirtual, List<MemoryRange> ram) {
        Architecture a = Architecture.X86_64;
        long[] r = new long[a.registerNames().size()];
        for (int i = 0; i < r.length; i++) {
            r[i] = SyntheticMemory.mix(seed * 31 + index * 1009L + i);
        }
        MemoryRange stackRange = ram.get(ram.size() - 1);
        long stack = stackRange.start() + Long.remainderUnsigned(r[a.registerIndex("rsp")], stackRange.size());
        r[a.registerIndex("rip")] = textVirtual + (Long.remainderUnsigned(r[a.registerIndex("rip")], X86_TEXT_SIZE / 2)
                & ~0xfL);
        r[a.registerIndex("rsp")] = a.directMapBase() + (stack & ~0xfL);
        r[a.registerIndex("orig_rax")] = -1;
        r[a.registerIndex("cs")] = 0x10;
        r[a.registerIndex("ss")] = 0x18;
        r[a.registerIndex("eflags")] = 0x246;
        r[a.registerIndex("fs_base")] = 0;
        r[a.registerIndex("gs_base")] = a.directMapBase() + 0x7e000000L + index * 0x40000L;
        for (String seg : List.of("ds", "es", "fs", "gs")) {
            r[a.registerIndex(seg)] = 0;
        }
        return new CpuState(a, index, r, new byte[0]);
    }
}
