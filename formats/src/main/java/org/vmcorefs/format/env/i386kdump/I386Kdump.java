package org.vmcorefs.format.env.i386kdump;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.vmcorefs.format.DumpPaths;
import org.vmcorefs.format.MachineSpec;
import org.vmcorefs.format.env.CaptureEnvironment;
import org.vmcorefs.format.env.EnvironmentOption;
import org.vmcorefs.format.env.KernelLeniency;
import org.vmcorefs.format.env.kdump.Crashkernel;
import org.vmcorefs.format.env.kdump.X86Kdump;
import org.vmcorefs.format.struct.CoreNotes;
import org.vmcorefs.format.view.DumpTree;
import org.vmcorefs.format.view.Layout;
import org.vmcorefs.format.view.LayoutFile;
import org.vmcorefs.format.view.OldmemView;
import org.vmcorefs.format.view.VmcoreView;
import org.vmcorefs.machine.Architecture;
import org.vmcorefs.machine.CrashedSystem;
import org.vmcorefs.machine.Errno;
import org.vmcorefs.machine.Machine;
import org.vmcorefs.machine.MemoryRange;
import org.vmcorefs.machine.mechanism.Kdump;
import org.vmcorefs.machine.memory.PhysicalMemory;
import org.vmcorefs.machine.memory.SyntheticMemory;
import org.vmcorefs.machine.synthetic.SyntheticI386;

/**
 * i386 kexec-based kdump, as kexec-tools' user-space loader prepares it (kexec/arch/i386/crashdump-x86.c,
 * kexec/crashdump-elf.c) and the capture kernel serves it (fs/proc/vmcore.c): /proc/vmcore with ELF32 or
 * ELF64 headers, EM_386, no kernel text PT_LOAD, every RAM range outside the crashkernel reservation split
 * at 896 MiB (X86_MAXMEM): lowmem at PAGE_OFFSET + paddr, highmem at p_vaddr -1; the RAM below 640 KiB from the
 * kexec backup region, which kexec-tools places at the top of the reservation; and /dev/oldmem.
 */
public final class I386Kdump implements CaptureEnvironment {
    /** The same option as x86_64's: the reservation, as the crashkernel= boot option. */
    public static final EnvironmentOption CRASHKERNEL = X86Kdump.CRASHKERNEL;
    /** kexec -p --elf32-core-headers. */
    public static final EnvironmentOption ELF32_CORE_HEADERS = EnvironmentOption.flag("--elf32-core-headers",
            "i386-kdump: /proc/vmcore with ELF32 headers, as kexec -p --elf32-core-headers (RAM below 4 GiB "
                    + "only). Without it or --elf64-core-headers, kexec-tools' own choice: ELF32 when all RAM "
                    + "lies below 4 GiB, else ELF64.");
    /** kexec -p --elf64-core-headers. */
    public static final EnvironmentOption ELF64_CORE_HEADERS = EnvironmentOption.flag("--elf64-core-headers",
            "i386-kdump: /proc/vmcore with ELF64 headers, as kexec -p --elf64-core-headers.");
    /**
     * x86_32's reservation (arch/x86 CRASH_ALIGN 16 MiB, CRASH_ADDR_LOW_MAX 512 MiB): SIZE alone at the
     * highest 16 MiB-aligned free place between 16 MiB and 512 MiB.
     */
    static final Kdump.Placement PLACEMENT = new Kdump.Placement("i386", 16L << 20, 16L << 20, 1, 512L << 20);
    private static final long FOUR_GIB = 1L << 32;
    /** get_backup_area's bound: a RAM range whose last byte lies above it is not the low 640 KiB. */
    private static final long BACKUP_SRC_LIMIT = 0xa0000;
    /** load_crashdump_segments' {@code align}: the backup's size is rounded to it. */
    private static final long KEXEC_ALIGN = 1024;
    /** add_buffer rounds a segment's memsz, and locate_hole its alignment, to the page size. */
    private static final long PAGE = 4096;

    @Override
    public String id() {
        return "i386-kdump";
    }

    @Override
    public Architecture architecture() {
        return Architecture.I386;
    }

    @Override
    public List<EnvironmentOption> options() {
        return List.of(CRASHKERNEL, ELF32_CORE_HEADERS, ELF64_CORE_HEADERS);
    }

    @Override
    public List<String> help() {
        return List.of("Files of profile i386-kdump (PAE: RAM below 64 GiB; ELF32 or ELF64 core headers):",
                "  MOUNTPOINT/proc/vmcore           the crashed kernel's memory as an ELF core (0400)",
                "  MOUNTPOINT/dev/oldmem            physical memory as it is now, offset = address (0400)",
                "  MOUNTPOINT/.vmcorefs/stats.json  what was served and fetched (0400)",
                "  MOUNTPOINT/.vmcorefs/zero-ranges proc/vmcore's ranges known to be zero, for save --exclude-zero "
                        + "(0400)");
    }

    @Override
    public void validate(MachineSpec spec) {
        if (spec.option(ELF32_CORE_HEADERS.name()) != null && spec.option(ELF64_CORE_HEADERS.name()) != null) {
            throw new IllegalArgumentException("--elf32-core-headers and --elf64-core-headers: give one of them");
        }
        List<MemoryRange> ram = spec.image() == null ? SyntheticI386.ram(spec.memorySize()) : null;
        if (spec.image() == null && spec.kaslrOffset() != 0) {
            throw new IllegalArgumentException("--kaslr-offset: the i386 machine's kernel runs at its link "
                    + "address (nokaslr, as Debian's 686-pae kdump setup boots it)");
        }
        if (ram != null) {
            elfClass(spec, ram);
        }
        if (spec.option(CRASHKERNEL.name()) != null) {
            MemoryRange ck = crashkernel(spec, ram);
            if (ram != null && ck != null) {
                // A reservation too small for kexec's backup copy is a usage error, as one that cannot be placed.
                backup(ram, ck);
            }
        }
    }

    @Override
    public CrashedSystem synthetic(MachineSpec spec, SyntheticMemory memory, Instant crashTime) {
        return SyntheticI386.system(spec.memorySize(), spec.cpus(), memory, crashTime);
    }

    @Override
    public Machine build(CrashedSystem system, MachineSpec spec, PhysicalMemory captureKernel) {
        MemoryRange ck = spec.option(CRASHKERNEL.name()) != null ? crashkernel(spec, system.ram())
                : spec.image() == null ? Kdump.defaultCrashkernel(system.ram(), PLACEMENT) : new MemoryRange(0, 0);
        int elfClass = elfClass(spec, system.ram());
        return Kdump.build(id(), system, ck, captureKernel, spec.faults(), backup(system.ram(), ck), List.of())
                .withEnvironmentState(elfClass);
    }

    /**
     * The backup kexec-tools makes (kexec/arch/i386/crashdump-x86.c): get_backup_area() takes the first RAM
     * range of the crash memory ranges that ends at or below 640 KiB (the synthetic PC's 0x1000-0x9fbff, [0,
     * 640 KiB) when there is none); load_crashdump_segments() then adds its copy as the first segment in the
     * reservation, add_buffer(size rounded to 1 KiB, then to a page, align 1 KiB, max -1, end -1), so
     * locate_hole() searches top-down and puts it at the highest page-aligned place that holds it: the end of
     * the reservation less the rounded size (0x1f761000 for the real guest's 160M@344M). The ELF headers
     * come after it, 16 KiB below it. An empty reservation (a replayed dump) keeps no copy.
     */
    static Kdump.Backup backup(List<MemoryRange> ram, MemoryRange crashkernel) {
        MemoryRange source = Kdump.BACKUP;
        for (MemoryRange r : MemoryRange.subtract(ram, crashkernel)) {
            if (!r.isEmpty() && r.end() - 1 <= BACKUP_SRC_LIMIT) {
                source = r;
                break;
            }
        }
        if (crashkernel.isEmpty()) {
            return new Kdump.Backup(source, 0);
        }
        long size = roundUp(roundUp(source.size(), KEXEC_ALIGN), PAGE);
        long at = Math.floorDiv(crashkernel.end() - size, PAGE) * PAGE;
        if (at < roundUp(crashkernel.start(), PAGE)) {
            throw new IllegalArgumentException(String.format("--crashkernel %s: no room for kexec's 0x%x-byte "
                    + "backup of %s (locate_hole fails)", crashkernel, size, source));
        }
        return new Kdump.Backup(source, at - crashkernel.start());
    }

    private static long roundUp(long value, long align) {
        return Math.floorDiv(value + align - 1, align) * align;
    }

    /**
     * The ELF class of the core headers: the one the option names, else kexec-tools' get_core_type(): ELF64
     * when the last RAM range ends above 4 GiB, ELF32 otherwise. ELF32 cannot describe RAM above 4 GiB
     * (kexec-tools would cut its p_paddr to 32 bits), so it is refused there.
     */
    static int elfClass(MachineSpec spec, List<MemoryRange> ram) {
        long end = ram.isEmpty() ? 0 : ram.get(ram.size() - 1).end();
        if (spec.option(ELF64_CORE_HEADERS.name()) != null) {
            return 64;
        }
        if (spec.option(ELF32_CORE_HEADERS.name()) != null) {
            if (end > FOUR_GIB) {
                throw new IllegalArgumentException(String.format("--elf32-core-headers: RAM ends at 0x%x, above "
                        + "4 GiB, where ELF32 program headers cannot reach (kexec-tools would cut p_paddr to 32 "
                        + "bits); use --elf64-core-headers", end));
            }
            return 32;
        }
        return end > FOUR_GIB ? 64 : 32;
    }

    /** The reservation --crashkernel gives, placed in {@code ram} as x86_32 places it (null: not placed). */
    static MemoryRange crashkernel(MachineSpec spec, List<MemoryRange> ram) {
        return Crashkernel.of(CRASHKERNEL.name(), spec.option(CRASHKERNEL.name()), ram, PLACEMENT);
    }

    /**
     * The PT_LOADs kexec-tools writes: one per dump range, each split at X86_MAXMEM (896 MiB,
     * segregate_lowmem_region); p_vaddr PAGE_OFFSET + paddr (phys_to_virt, a 32-bit unsigned long) below it,
     * -1 for a range that ends above it (highmem, not in the linear map).
     */
    public static List<VmcoreView.Load> loads(Machine machine) {
        long pageOffset = machine.kernel().directMapBase(machine.architecture());
        List<VmcoreView.Load> loads = new ArrayList<>();
        for (MemoryRange r : machine.dumpRanges()) {
            long limit = SyntheticI386.LOWMEM_LIMIT;
            if (r.start() < limit && r.end() > limit) {
                loads.add(new VmcoreView.Load(pageOffset + r.start(), r.start(), limit - r.start()));
                loads.add(new VmcoreView.Load(-1, limit, r.end() - limit));
            } else {
                loads.add(new VmcoreView.Load(r.end() > limit ? -1 : pageOffset + r.start(), r.start(), r.size()));
            }
        }
        return loads;
    }

    /** /proc/vmcore of {@code machine} with core headers of ELF class {@code elfClass}. */
    public static Layout vmcore(Machine machine, int elfClass) {
        Architecture arch = machine.architecture();
        return VmcoreView.layout(arch, elfClass, CoreNotes.encode(CoreNotes.of(machine), arch), loads(machine),
                machine.oldMemory(), arch.loadAlign());
    }

    @Override
    public void addFiles(DumpTree tree, Machine machine, KernelLeniency leniency) {
        int elfClass = machine.environmentState() instanceof Integer c ? c : 32;
        tree.add(DumpPaths.VMCORE, new LayoutFile(vmcore(machine, elfClass), Errno.EIO));
        tree.add(DumpPaths.OLDMEM, new LayoutFile(OldmemView.layout(machine), Errno.EINVAL));
    }

    @Override
    public String toString() {
        return id();
    }
}
