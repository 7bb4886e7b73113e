package org.vmcorefs.machine.synthetic;

import org.vmcorefs.machine.Architecture;
import org.vmcorefs.machine.CpuState;
import org.vmcorefs.machine.CrashedSystem;
import org.vmcorefs.machine.KernelInfo;
import org.vmcorefs.machine.MemoryRange;
import org.vmcorefs.machine.mechanism.S390SaveArea;
import org.vmcorefs.machine.memory.BytesMemory;
import org.vmcorefs.machine.memory.LayeredMemory;
import org.vmcorefs.machine.memory.PhysicalMemory;
import org.vmcorefs.machine.memory.SyntheticMemory;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Crashed s390x systems described by a few numbers: RAM with a hole, CPUs each with a lowcore (prefix page)
 * holding its saved registers, as a store status leaves them, and vector registers.
 */
public final class SyntheticS390 {
    /** Where the s390x kernel text starts (identity mapped). */
    public static final long TEXT_PHYSICAL = 0x100000;
    /** The synthetic kernel image's size (_end - _text). */
    public static final long TEXT_SIZE = 0x1000000;
    /** The boot CPU's prefix: a lowcore inside the HSA, so that its registers come through SCLP. */
    public static final long BOOT_PREFIX = 0x800000;
    /** An s390x lowcore is two pages; prefixes are 8 KiB aligned. */
    public static final long LOWCORE_SIZE = 0x2000;
    /** A kernel-mode PSW mask: DAT, I/O, external and machine-check interrupts on, 64-bit addressing. */
    public static final long KERNEL_PSW_MASK = 0x0704c00180000000L;
    private static final long MIB = 1L << 20;

    private SyntheticS390() {
    }

    /**
     * The RAM map for {@code size} bytes: three quarters from address 0, then a hole of a quarter, then the
     * rest (as storage increments left offline leave a gap), 1 MiB granular.
     */
    public static List<MemoryRange> ram(long size) {
        if (size < 64 * MIB) {
            throw new IllegalArgumentException("an s390x machine needs at least 64 MiB of RAM");
        }
        long low = size / 4 * 3 / MIB * MIB;
        long gapEnd = (size + MIB - 1) / MIB * MIB;
        return List.of(new MemoryRange(0, low), new MemoryRange(gapEnd, size - low));
    }

    /** The prefix of CPU {@code position} (0 = boot CPU): the boot CPU's in low memory, the others mid-RAM. */
    static long prefix(int position, MemoryRange first) {
        if (position == 0) {
            return BOOT_PREFIX;
        }
        long base = Math.min(first.end(), 1L << 31) / 2 / MIB * MIB;
        long p = base + (position - 1) * LOWCORE_SIZE;
        if (p + LOWCORE_SIZE > first.end() || p + LOWCORE_SIZE > 1L << 31) {
            throw new IllegalArgumentException("no room for the lowcore of CPU " + position);
        }
        return p;
    }

    /**
     * A crashed s390x system with synthetic memory, whose lowcores hold every CPU's registers in their save
     * areas, and whose absolute lowcore holds the boot CPU's (stored by the hardware at the dump IPL).
     */
    public static CrashedSystem s390x(long size, int cpus, SyntheticMemory memory, Instant crashTime) {
        List<MemoryRange> ram = ram(size);
        List<CpuState> states = new ArrayList<>();
        for (int i = 0; i < cpus; i++) {
            states.add(cpu(memory.seed(), i, prefix(i, ram.get(0)), ram));
        }
        KernelInfo kernel = new KernelInfo(SyntheticSystem.OS_RELEASE, TEXT_PHYSICAL, TEXT_PHYSICAL, TEXT_SIZE, 0, "");
        return new CrashedSystem(Architecture.S390X, ram, withSaveAreas(memory, states), states, kernel, crashTime,
                String.format("synthetic s390x, seed %d, %d bytes", memory.seed(), size));
    }

    /**
     * {@code memory} with each CPU's registers in its lowcore save area and the first CPU's also in the
     * absolute lowcore; only the register fields are laid over, the pads between them keep memory's bytes.
     */
    public static PhysicalMemory withSaveAreas(PhysicalMemory memory, List<CpuState> cpus) {
        LayeredMemory.Builder b = LayeredMemory.over(memory);
        for (int i = 0; i < cpus.size(); i++) {
            CpuState cpu = cpus.get(i);
            BytesMemory area = new BytesMemory(S390SaveArea.of(cpu));
            List<Long> bases = new ArrayList<>(List.of(cpu.get("prefix")));
            if (i == 0 && cpu.get("prefix") != 0) {
                bases.add(0L);
            }
            for (long base : bases) {
                for (MemoryRange f : S390SaveArea.REGISTER_FIELDS) {
                    // Distinct 8 KiB-aligned lowcores never overlap: append, checked by build().
                    b.append(base + S390SaveArea.BASE + f.start(), f.size(), area, f.start());
                }
            }
        }
        return b.build();
    }

    /** Plausible kernel-mode registers: PSW in the kernel text, r15 a stack in RAM, the CPU's prefix. */
    static CpuState cpu(long seed, int index, long prefix, List<MemoryRange> ram) {
        Architecture a = Architecture.S390X;
        long[] r = new long[a.registerNames().size()];
        for (int i = 0; i < r.length; i++) {
            r[i] = SyntheticMemory.mix(seed * 31 + index * 1009L + i + 0x5339);
        }
        MemoryRange stackRange = ram.get(0);
        r[a.registerIndex("psw_mask")] = KERNEL_PSW_MASK;
        r[a.registerIndex("psw_addr")] = TEXT_PHYSICAL
                + (Long.remainderUnsigned(r[a.registerIndex("psw_addr")], TEXT_SIZE / 2) & ~1L);
        r[a.registerIndex("r15")] = stackRange.start()
                + (Long.remainderUnsigned(r[a.registerIndex("r15")], stackRange.size()) & ~7L);
        for (int i = 0; i < 16; i++) {
            r[a.registerIndex("a" + i)] &= 0xffffffffL;
        }
        r[a.registerIndex("orig_gpr2")] = 0;
        r[a.registerIndex("fpc")] &= 0xf8f8ff03L;
        r[a.registerIndex("todpreg")] &= 0xffffL;
        r[a.registerIndex("prefix")] = prefix;
        byte[] vx = new byte[32 * 16];
        for (int v = 0; v < 32; v++) {
            for (int half = 0; half < 2; half++) {
                long value = v < 16 && half == 0 ? r[a.registerIndex("f" + v)]
                        : SyntheticMemory.mix(seed * 37 + index * 4099L + v * 2 + half);
                for (int k = 0; k < 8; k++) {
                    vx[v * 16 + half * 8 + k] = (byte) (value >>> (56 - 8 * k));
                }
            }
        }
        return new CpuState(a, index, r, vx);
    }
}
