package org.vmcorefs.machine.synthetic;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.vmcorefs.machine.Architecture;
import org.vmcorefs.machine.CpuState;
import org.vmcorefs.machine.CrashedSystem;
import org.vmcorefs.machine.KernelInfo;
import org.vmcorefs.machine.MemoryRange;
import org.vmcorefs.machine.memory.SyntheticMemory;

/**
 * Crashed i386 (PAE) systems described by a few numbers, laid out as a QEMU PC with a 6.1 686-pae kernel
 * shows it in /proc/iomem: System RAM from 0x1000 to 0x9fc00 (the kernel keeps page 0, the BIOS the EBDA),
 * then from 1 MiB up to QEMU's PCI hole (3.5 GiB, or 3 GiB for 3.5 GiB of RAM and more), then the rest from
 * 4 GiB; the kernel loaded at 16 MiB and running from its linear map at 0xc1000000.
 */
public final class SyntheticI386 {
    /** The first RAM range: /proc/iomem's "00001000-0009fbff : System RAM". */
    public static final MemoryRange LOW_RAM = MemoryRange.ofEnd(0x1000, 0x9fc00);
    /** LOAD_PHYSICAL_ADDR of Debian's 686-pae kernel: "01000000-... : Kernel code". */
    public static final long TEXT_PHYSICAL = 0x1000000;
    /** _end - _text of the synthetic kernel, about Debian's 6.1 686-pae one (0x1000000-0x1f19000). */
    public static final long TEXT_SIZE = 0xf19000;
    /** PAE's physical address width: 36 bits, so RAM ends at 64 GiB at most. */
    public static final long MAX_PHYSICAL = 1L << 36;
    /** The direct map's end (896 MiB: PAGE_OFFSET's 1 GiB less the 128 MiB vmalloc reserve), kexec's X86_MAXMEM. */
    public static final long LOWMEM_LIMIT = 0x38000000L;
    private static final long MIB = 1L << 20;
    private static final long FOUR_GIB = 1L << 32;

    private SyntheticI386() {
    }

    /** The RAM map of a QEMU PC with {@code size} bytes of RAM (its low 1 MiB holes not counted). */
    public static List<MemoryRange> ram(long size) {
        if (size < 64 * MIB || size % 4096 != 0) {
            throw new IllegalArgumentException("an i386 machine needs at least 64 MiB of RAM in whole 4 KiB pages");
        }
        // QEMU's i440fx board: RAM below 4 GiB ends at 3.5 GiB, or at 3 GiB for 3.5 GiB and more.
        long below4g = Math.min(size, size >= 0xe0000000L ? 0xc0000000L : 0xe0000000L);
        long above = size - below4g;
        if (FOUR_GIB + above > MAX_PHYSICAL) {
            throw new IllegalArgumentException(String.format("an i386 PAE machine addresses 64 GiB at most: %d MiB "
                    + "of RAM would end at %d MiB (at most %d MiB of RAM)", size / MIB, (FOUR_GIB + above) / MIB,
                    (MAX_PHYSICAL - FOUR_GIB + 0xc0000000L) / MIB));
        }
        List<MemoryRange> ram = new ArrayList<>();
        ram.add(LOW_RAM);
        ram.add(MemoryRange.ofEnd(MIB, below4g));
        if (above > 0) {
            ram.add(new MemoryRange(FOUR_GIB, above));
        }
        return ram;
    }

    /** A crashed i386 system with synthetic memory and registers. */
    public static CrashedSystem system(long size, int cpus, SyntheticMemory memory, Instant crashTime) {
        List<MemoryRange> ram = ram(size);
        Architecture a = Architecture.I386;
        long textVirtual = a.directMapBase() + TEXT_PHYSICAL;
        KernelInfo kernel = new KernelInfo(SyntheticSystem.OS_RELEASE, textVirtual, TEXT_PHYSICAL, TEXT_SIZE, 0, "");
        List<CpuState> states = new ArrayList<>();
        long lowmemEnd = Math.min(ram.get(1).end(), LOWMEM_LIMIT);
        for (int i = 0; i < cpus; i++) {
            states.add(cpu(memory.seed(), i, textVirtual, lowmemEnd));
        }
        return new CrashedSystem(a, ram, memory, states, kernel, crashTime,
                String.format("synthetic i386, seed %d, %d bytes", memory.seed(), size));
    }

    /**
     * Plausible kernel-mode registers (32 bits each): eip in the kernel text, esp and ebp in lowmem's linear
     * map; the segments, eflags and orig_eax as a real i386 kdump's crashed CPU has them (cs __KERNEL_CS 0x60,
     * ss __KERNEL_DS 0x68, ds and es __USER_DS 0x7b, fs 0, gs 0x33, eflags 0x46, orig_eax 0).
     */
    static CpuState cpu(long seed, int index, long textVirtual, long lowmemEnd) {
        Architecture a = Architecture.I386;
        long[] r = new long[a.registerNames().size()];
        for (int i = 0; i < r.length; i++) {
            r[i] = SyntheticMemory.mix(seed * 37 + index * 1013L + i) & 0xffffffffL;
        }
        long stackSpan = lowmemEnd - 2 * MIB;
        long stack = a.directMapBase() + MIB + (Long.remainderUnsigned(r[a.registerIndex("esp")], stackSpan) & ~0xfL);
        r[a.registerIndex("esp")] = stack;
        r[a.registerIndex("ebp")] = stack + 0x40;
        r[a.registerIndex("eip")] = textVirtual + (Long.remainderUnsigned(r[a.registerIndex("eip")], TEXT_SIZE / 2)
                & ~0xfL);
        r[a.registerIndex("orig_eax")] = 0;
        r[a.registerIndex("cs")] = 0x60;
        r[a.registerIndex("ss")] = 0x68;
        r[a.registerIndex("ds")] = 0x7b;
        r[a.registerIndex("es")] = 0x7b;
        r[a.registerIndex("fs")] = 0;
        r[a.registerIndex("gs")] = 0x33;
        r[a.registerIndex("eflags")] = 0x46;
        return new CpuState(a, index, r, new byte[0]);
    }
}
