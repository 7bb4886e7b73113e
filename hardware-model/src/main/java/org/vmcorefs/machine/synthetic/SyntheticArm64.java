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

/**
 * Crashed arm64 systems described by a few numbers, laid out as QEMU's virt machine: RAM in one range from
 * 0x40000000, the kernel image 2 MiB into it, mapped at KIMAGE_VADDR plus the KASLR offset.
 */
public final class SyntheticArm64 {
    /** Where QEMU virt's RAM starts (and so PHYS_OFFSET, memstart_addr, without linear-map randomization). */
    public static final long RAM_START = 0x40000000L;
    /** Where the EFI stub or the boot loader puts the image on QEMU virt: 2 MiB into RAM. */
    public static final long TEXT_PHYSICAL = 0x40200000L;
    /** The synthetic kernel image's size (_end - _text), as Debian's 6.1 arm64 kernel. */
    public static final long TEXT_SIZE = 0x2010000L;
    /** The arm64 kernel's KASLR offsets are multiples of 2 MiB (its image is mapped with 2 MiB blocks). */
    public static final long KASLR_ALIGN = 2L << 20;
    /** The most RAM the 48-bit linear map holds: half the kernel's address space. */
    public static final long MAX_RAM = 1L << 47;
    /** PSR_MODE_EL1h with interrupts masked (D, A, I, F): the kernel at the crash. */
    static final long PSTATE_EL1H = 0x3c5;
    private static final long MIB = 1L << 20;

    private SyntheticArm64() {
    }

    /** QEMU virt's RAM map for {@code size} bytes: one range from 0x40000000. */
    public static List<MemoryRange> ram(long size) {
        if (size < 256 * MIB || size % 4096 != 0) {
            throw new IllegalArgumentException("an arm64 machine needs at least 256 MiB of RAM in whole 4 KiB pages");
        }
        if (size > MAX_RAM) {
            throw new IllegalArgumentException("an arm64 machine with 48-bit virtual addresses maps at most 128 TiB of RAM");
        }
        return List.of(new MemoryRange(RAM_START, size));
    }

    /** A crashed arm64 system with synthetic memory and registers, its kernel moved by {@code kaslrOffset}. */
    public static CrashedSystem system(long size, int cpus, SyntheticMemory memory, long kaslrOffset,
            Instant crashTime) {
        if (kaslrOffset % KASLR_ALIGN != 0 || kaslrOffset < 0 || kaslrOffset > (1L << 46)) {
            throw new IllegalArgumentException(String.format("an arm64 KASLR offset is a multiple of 2 MiB below "
                    + "2^46, not 0x%x", kaslrOffset));
        }
        List<MemoryRange> ram = ram(size);
        Architecture a = Architecture.ARM64;
        long textVirtual = a.kernelTextBase() + kaslrOffset;
        KernelInfo kernel = new KernelInfo(SyntheticSystem.OS_RELEASE, textVirtual, TEXT_PHYSICAL, TEXT_SIZE,
                kaslrOffset, "");
        List<CpuState> states = new ArrayList<>();
        for (int i = 0; i < cpus; i++) {
            states.add(cpu(memory.seed(), i, textVirtual, size));
        }
        return new CrashedSystem(a, ram, memory, states, kernel, crashTime,
                String.format("synthetic aarch64, seed %d, %d bytes", memory.seed(), size));
    }

    /** Plausible EL1 registers: pc and lr (x30) in the kernel text, sp and fp (x29) in the linear map. */
    static CpuState cpu(long seed, int index, long textVirtual, long ramSize) {
        Architecture a = Architecture.ARM64;
        long[] r = new long[a.registerNames().size()];
        for (int i = 0; i < r.length; i++) {
            r[i] = SyntheticMemory.mix(seed * 41 + index * 1019L + i);
        }
        long linear = a.directMapBase() + RAM_START;
        long stack = linear + (Long.remainderUnsigned(r[a.registerIndex("sp")], ramSize) & ~0xfL);
        r[a.registerIndex("sp")] = stack;
        r[a.registerIndex("x29")] = stack + 0x40;
        r[a.registerIndex("pc")] = textVirtual + 0x10000
                + (Long.remainderUnsigned(r[a.registerIndex("pc")], TEXT_SIZE / 2) & ~3L);
        r[a.registerIndex("x30")] = textVirtual + 0x10000
                + (Long.remainderUnsigned(r[a.registerIndex("x30")], TEXT_SIZE / 2) & ~3L);
        // NZCV from the seed, EL1h, DAIF masked.
        r[a.registerIndex("pstate")] = (r[a.registerIndex("pstate")] & 0xf0000000L) | PSTATE_EL1H;
        return new CpuState(a, index, r, new byte[0]);
    }
}
