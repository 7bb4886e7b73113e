package org.vmcorefs.format.env.ppc64kdump;

import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.vmcorefs.format.ByteSize;
import org.vmcorefs.format.DumpPaths;
import org.vmcorefs.format.MachineSpec;
import org.vmcorefs.format.env.CaptureEnvironment;
import org.vmcorefs.format.env.EnvironmentOption;
import org.vmcorefs.format.env.KernelLeniency;
import org.vmcorefs.format.env.kdump.X86Kdump;
import org.vmcorefs.format.input.ElfCoreReader;
import org.vmcorefs.format.input.ImageFile;
import org.vmcorefs.format.struct.Elf64Phdr;
import org.vmcorefs.format.view.DumpTree;
import org.vmcorefs.format.view.LayoutFile;
import org.vmcorefs.format.view.OldmemView;
import org.vmcorefs.format.view.VmcoreView;
import org.vmcorefs.machine.Architecture;
import org.vmcorefs.machine.CrashedSystem;
import org.vmcorefs.machine.DumpException;
import org.vmcorefs.machine.Errno;
import org.vmcorefs.machine.Machine;
import org.vmcorefs.machine.MemoryRange;
import org.vmcorefs.machine.mechanism.Kdump;
import org.vmcorefs.machine.memory.PhysicalMemory;
import org.vmcorefs.machine.memory.SyntheticMemory;
import org.vmcorefs.machine.synthetic.SyntheticPowerSystem;

/**
 * kexec-based kdump on 64-bit POWER (pSeries, no hypervisor or firmware help), big- or little-endian: the
 * capture kernel's /proc/vmcore and /dev/oldmem. As kexec-tools (kexec/arch/ppc64/crashdump-ppc64.c) lays the
 * elfcorehdr out: the first 64 KiB as a PT_LOAD of their own, read from the backup purgatory made of them
 * (the capture kernel puts its exception vectors there), then RAM without the reservation by address, then the
 * RTAS firmware's pages where they lie inside the reservation; p_vaddr 0xc000000000000000 + p_paddr. The
 * kernel (fs/proc/vmcore.c with 64 KiB pages) puts the merged notes at the first 64 KiB boundary.
 */
public final class PowerKdump implements CaptureEnvironment {
    /** The same option as x86_64's, placed as the ppc64 kernel places it. */
    public static final EnvironmentOption CRASHKERNEL = X86Kdump.CRASHKERNEL;
    /**
     * Where a crashkernel=SIZE reservation starts on an LPAR: min(ppc64_rma_size / 2, 512 MiB), the RMA being
     * unlimited under radix (arch/powerpc/kexec/core.c reserve_crashkernel; "Reserving 320MB of memory at
     * 512MB" in the real guest's log).
     */
    public static final long LPAR_CRASH_BASE = 512L << 20;
    /** The first 64 KiB that purgatory backs up (kexec-tools' BACKUP_SRC_START..BACKUP_SRC_END). */
    public static final MemoryRange BACKUP_SOURCE = new MemoryRange(0, 0x10000);
    /**
     * Where kexec-tools put the backup: the first free 64 KiB behind the capture kernel, which it loads at the
     * reservation's start; Debian's 6.1 ppc64el kernel takes 0x2880000 bytes there (the real guest's kexec -d:
     * kernel at 0x20000000, backup_start 0x22880000).
     */
    public static final long BACKUP_OFFSET = 0x2880000L;
    /**
     * Where prom_init put RTAS: allocated down from the top of the first 768 MiB (prom_init.c caps rmo_top at
     * 0x30000000), page-aligned, rtas-size 0x83c as QEMU's pseries has it (the real guest: 0x2fff0000).
     */
    public static final long RTAS_TOP = 0x30000000L;
    public static final long RTAS_SIZE = 0x83c;

    private final Architecture architecture;

    /** @param architecture {@link Architecture#PPC64} or {@link Architecture#PPC64LE} */
    public PowerKdump(Architecture architecture) {
        this.architecture = architecture;
    }

    @Override
    public String id() {
        return architecture.linuxName() + "-kdump";
    }

    @Override
    public Architecture architecture() {
        return architecture;
    }

    @Override
    public List<EnvironmentOption> options() {
        return List.of(CRASHKERNEL);
    }

    @Override
    public List<String> help() {
        // One block for both byte orders: --help shows a block once.
        return List.of("Files of profiles ppc64le-kdump, ppc64-kdump (64 KiB pages; --crashkernel SIZE at 512M):",
                "  MOUNTPOINT/proc/vmcore           the crashed kernel's memory as an ELF core, the first 64 KiB",
                "                                   from kexec's backup (0400)",
                "  MOUNTPOINT/dev/oldmem            physical memory as it is now, offset = address (0400)",
                "  MOUNTPOINT/.vmcorefs/stats.json  what was served and fetched (0400)",
                "  MOUNTPOINT/.vmcorefs/zero-ranges proc/vmcore's ranges known to be zero, for save --exclude-zero "
                        + "(0400)");
    }

    @Override
    public void validate(MachineSpec spec) {
        if (spec.option(CRASHKERNEL.name()) != null) {
            crashkernel(spec, spec.image() == null ? List.of(new MemoryRange(0, spec.memorySize())) : null);
        }
    }

    @Override
    public CrashedSystem synthetic(MachineSpec spec, SyntheticMemory memory, Instant crashTime) {
        return SyntheticPowerSystem.system(architecture, spec.memorySize(), spec.cpus(), memory, crashTime);
    }

    @Override
    public Machine build(CrashedSystem system, MachineSpec spec, PhysicalMemory captureKernel) throws DumpException {
        MemoryRange ck = spec.option(CRASHKERNEL.name()) != null ? crashkernel(spec, system.ram())
                : spec.image() == null ? defaultCrashkernel(system.ram()) : new MemoryRange(0, 0);
        if (!ck.isEmpty() && ck.size() < BACKUP_OFFSET + BACKUP_SOURCE.size()) {
            throw new IllegalArgumentException(String.format("%s: a reservation of 0x%x bytes cannot hold the "
                    + "capture kernel (0x%x bytes) and the 64 KiB backup", CRASHKERNEL.name(), ck.size(),
                    BACKUP_OFFSET));
        }
        List<MemoryRange> rtas = new ArrayList<>();
        if (spec.image() == null && !ck.isEmpty()) {
            MemoryRange r = rtas(system.ram());
            if (r.overlaps(ck)) {
                // The part inside the reservation, its end rounded up to a page (makedumpfile reads whole pages).
                long start = Math.max(r.start(), ck.start());
                long end = Math.min(r.end(), ck.end());
                rtas.add(MemoryRange.ofEnd(start, roundUp(end, architecture.pageSize())));
            }
        }
        Machine m = Kdump.build(id(), system, ck, captureKernel, spec.faults(),
                new Kdump.Backup(BACKUP_SOURCE, BACKUP_OFFSET), rtas);
        if (spec.image() == null) {
            return m;
        }
        return new Machine(m.profile(), m.system(), m.currentMemory(), m.oldMemory(),
                inImageOrder(m.dumpRanges(), spec.image()), m.reserved(), m.savedArea(), m.events());
    }

    /** RTAS as prom_init places it in {@code ram}: just below the top of the first 768 MiB. */
    static MemoryRange rtas(List<MemoryRange> ram) {
        long top = Math.min(RTAS_TOP, ram.get(0).end());
        long page = Architecture.PPC64.pageSize();
        return new MemoryRange((top - RTAS_SIZE) / page * page, RTAS_SIZE);
    }

    /** The reservation a distribution's kdump asks for (128M/256M), at 512 MiB; none if it does not fit in RAM. */
    static MemoryRange defaultCrashkernel(List<MemoryRange> ram) {
        long size = Kdump.defaultCrashkernelSize(ram);
        MemoryRange r = new MemoryRange(LPAR_CRASH_BASE, size);
        return size > 0 && MemoryRange.insideOne(ram, r) ? r : new MemoryRange(0, 0);
    }

    /**
     * The reservation --crashkernel gives, as the ppc64 kernel reads it: SIZE@START, or SIZE alone at 512 MiB;
     * START and SIZE rounded up to a 64 KiB page; inside one RAM range and clear of the kernel's own image
     * (checked when {@code ram} is known).
     */
    static MemoryRange crashkernel(MachineSpec spec, List<MemoryRange> ram) {
        String value = spec.option(CRASHKERNEL.name());
        String[] parts = value.split("@", 2);
        long page = Architecture.PPC64.pageSize();
        try {
            long size = roundUp(ByteSize.parse(parts[0]), page);
            if (size == 0) {
                return new MemoryRange(0, 0);
            }
            long start = parts.length == 2 ? roundUp(ByteSize.parse(parts[1]), page) : LPAR_CRASH_BASE;
            MemoryRange r = new MemoryRange(start, size);
            if (ram != null && !MemoryRange.insideOne(ram, r)) {
                throw new IllegalArgumentException(String.format("0x%x-0x%x is not inside the RAM "
                        + "(the kernel would not reserve it)", r.start(), r.end()));
            }
            if (r.start() < SyntheticPowerSystem.TEXT_SIZE) {
                throw new IllegalArgumentException("the reservation would overlap the running kernel's image "
                        + "(\"Crash kernel can not overlap current kernel\")");
            }
            return r;
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(CRASHKERNEL.name() + ": " + e.getMessage(), e);
        }
    }

    private static long roundUp(long v, long a) {
        return (v + a - 1) / a * a;
    }

    /**
     * {@code ranges} in the order an ELF image lists its PT_LOADs: a replayed kdump vmcore keeps kexec-tools'
     * order (the RTAS pages last). Other images keep the order by address.
     */
    static List<MemoryRange> inImageOrder(List<MemoryRange> ranges, Path image) throws DumpException {
        ImageFile f = ImageFile.open(image);
        try {
            if (!ElfCoreReader.isElf(f.head(16))) {
                return ranges;
            }
            List<Elf64Phdr> loads = ElfCoreReader.readHeaders(f).phdrs().stream()
                    .filter(p -> p.type() == Elf64Phdr.PT_LOAD && p.memsz() > 0).toList();
            List<MemoryRange> ordered = new ArrayList<>(ranges);
            ordered.sort(Comparator.comparingInt(r -> {
                for (int i = 0; i < loads.size(); i++) {
                    Elf64Phdr p = loads.get(i);
                    if (Long.compareUnsigned(r.start() - p.paddr(), p.memsz()) < 0) {
                        return i;
                    }
                }
                return loads.size();
            }));
            return ordered;
        } finally {
            f.close();
        }
    }

    @Override
    public void addFiles(DumpTree tree, Machine machine, KernelLeniency leniency) {
        tree.add(DumpPaths.VMCORE, new LayoutFile(VmcoreView.layout(machine), Errno.EIO));
        tree.add(DumpPaths.OLDMEM, new LayoutFile(OldmemView.layout(machine), Errno.EINVAL));
    }

    @Override
    public String toString() {
        return id();
    }
}
