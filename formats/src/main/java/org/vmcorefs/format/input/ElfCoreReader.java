package org.vmcorefs.format.input;

import org.vmcorefs.format.FormatException;
import org.vmcorefs.format.struct.Elf64Ehdr;
import org.vmcorefs.format.struct.Elf64Phdr;
import org.vmcorefs.format.struct.Elf64Shdr;
import org.vmcorefs.format.struct.ElfNote;
import org.vmcorefs.format.struct.Vmcoreinfo;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.vmcorefs.machine.Architecture;
import org.vmcorefs.machine.CpuState;
import org.vmcorefs.machine.CrashedSystem;
import org.vmcorefs.machine.DumpException;
import org.vmcorefs.machine.memory.FileMemory;
import org.vmcorefs.machine.KernelInfo;
import org.vmcorefs.machine.memory.LayeredMemory;
import org.vmcorefs.machine.MemoryRange;
import org.vmcorefs.machine.memory.PhysicalMemory;

/**
 * Reads an ELF core (QEMU's dump-guest-memory, virsh dump, a copy of a real /proc/vmcore) as a crashed
 * system: memory by p_paddr (data packed or page-aligned, p_filesz may be less than p_memsz, p_offset -1
 * for ranges not saved), CPU registers from NT_PRSTATUS (and the notes that complete it where
 * {@link ArchitectureHooks} says so: s390x), VMCOREINFO passed through. Nothing of the
 * memory is read here: the segments become extents of a lazily read memory.
 */
public final class ElfCoreReader {
    /** The input format: an ELF file, read as a core, with synthetic CPUs if it has no CPU notes. */
    static final InputFormat FORMAT = InputFormat.of("ELF core", ElfCoreReader::isElf,
            (image, context) -> context.withSyntheticCpus(read(image, context.symbols())), ElfCoreReader::architecture);
    private static final long MAX_NOTES = 64L << 20;

    private ElfCoreReader() {
    }

    /** The parsed headers of an ELF core, before its memory is touched. */
    public record Headers(Elf64Ehdr ehdr, Architecture architecture, List<Elf64Phdr> phdrs, List<ElfNote> notes) {
    }

    /** Whether a file starting with {@code start} is an ELF file (its magic; the class is checked on reading). */
    public static boolean isElf(ByteBuffer start) {
        return start.remaining() >= 4 && start.get(0) == 0x7f && start.get(1) == 'E' && start.get(2) == 'L'
                && start.get(3) == 'F';
    }

    /** The headers of {@code path}, open as {@code ch}. */
    public static Headers readHeaders(Path path, FileChannel ch) throws DumpException {
        return readHeaders(ImageFile.of(path, ch));
    }

    public static Headers readHeaders(ImageFile image) throws DumpException {
        Path path = image.path();
        long fileSize = image.size();
        Elf64Ehdr ehdr;
        try {
            ehdr = Elf64Ehdr.readAnyFrom(image.head(Elf64Ehdr.SIZE));
        } catch (FormatException e) {
            throw new FormatException(path + ": " + e.getMessage(), e);
        }
        int phentsize = Elf64Phdr.size(ehdr.elfClass());
        if (ehdr.type() != Elf64Ehdr.ET_CORE) {
            throw new FormatException(path + ": ELF type " + ehdr.type() + " is not a core file (ET_CORE)");
        }
        Architecture arch = architecture(path, ehdr);
        long phnum = ehdr.phnum();
        if (phnum == Elf64Ehdr.PN_XNUM && ehdr.elfClass() == 32) {
            throw new FormatException(path + ": an ELF32 core with PN_XNUM program headers is not supported");
        }
        if (phnum == Elf64Ehdr.PN_XNUM) {
            if (ehdr.shoff() <= 0 || Elf64Shdr.SIZE > fileSize - ehdr.shoff()) {
                throw new FormatException(path + ": PN_XNUM without a section header 0");
            }
            phnum = Integer.toUnsignedLong(
                    Elf64Shdr.readFrom(image.readAt(ehdr.shoff(), Elf64Shdr.SIZE), ehdr.order()).info());
        }
        if (phnum == 0) {
            throw new FormatException(path + ": no program headers");
        }
        // Compared as sizes, not as end offsets: a corrupt e_phoff near 2^63 must not wrap around.
        if (ehdr.phoff() < 0 || phnum * phentsize > fileSize - ehdr.phoff() || phnum > (1 << 24)) {
            throw new FormatException(path + ": " + phnum + " program headers at offset " + ehdr.phoff()
                    + " run past the end of the file (" + fileSize + " bytes): truncated?");
        }
        ByteBuffer ph = image.readAt(ehdr.phoff(), (int) (phnum * phentsize));
        List<Elf64Phdr> phdrs = new ArrayList<>();
        List<ElfNote> notes = new ArrayList<>();
        long noteBytes = 0;
        for (int i = 0; i < phnum; i++) {
            Elf64Phdr p = Elf64Phdr.readFrom(ph, ehdr.order(), ehdr.elfClass());
            phdrs.add(p);
            if (p.type() == Elf64Phdr.PT_NOTE && p.filesz() > 0) {
                noteBytes += p.filesz();
                if (p.offset() < 0 || p.filesz() < 0 || p.filesz() > fileSize - p.offset() || noteBytes > MAX_NOTES) {
                    throw new FormatException(path + ": note segment at " + p.offset() + " (" + p.filesz()
                            + " bytes) runs past the end of the file: truncated?");
                }
                try {
                    notes.addAll(ElfNote.readAll(image.readAt(p.offset(), (int) p.filesz()), ehdr.order()));
                } catch (FormatException e) {
                    throw new FormatException(path + ": note segment at " + p.offset() + ": " + e.getMessage(), e);
                }
            }
        }
        return new Headers(ehdr, arch, phdrs, notes);
    }

    /** Reads {@code image} as a crashed system. */
    public static CrashedSystem read(ImageFile image) throws DumpException {
        return read(image, null);
    }

    /** Reads {@code image} as a crashed system, what it lacks of the kernel's layout from {@code symbols} if given. */
    public static CrashedSystem read(ImageFile image, KernelSymbols symbols) throws DumpException {
        Headers h = readHeaders(image);
        Path path = image.path();
        Architecture arch = h.architecture();
        Architecture.KernelMap kernelMap = arch.kernelMap();
        long fileSize = image.size();
        FileMemory file = image.memory();
        LayeredMemory.Builder memory = LayeredMemory.over(PhysicalMemory.ZEROS);
        List<MemoryRange> ram = new ArrayList<>();
        long textVirtual = 0;
        long textPhysical = 0;
        long textSize = 0;
        Set<Long> linearOffsets = new HashSet<>();
        List<Elf64Phdr> loads = new ArrayList<>();
        List<Elf64Phdr> textLoads = new ArrayList<>();
        for (Elf64Phdr p : h.phdrs()) {
            if (p.type() != Elf64Phdr.PT_LOAD || p.memsz() == 0) {
                continue;
            }
            if (p.memsz() < 0 || p.paddr() < 0 || p.paddr() + p.memsz() < 0 || Long.compareUnsigned(p.filesz(), p.memsz()) > 0) {
                throw new FormatException(String.format("%s: bad PT_LOAD paddr 0x%x filesz 0x%x memsz 0x%x", path,
                        p.paddr(), p.filesz(), p.memsz()));
            }
            boolean saved = p.offset() != -1 && p.filesz() > 0;
            if (saved && (p.offset() < 0 || p.filesz() > fileSize - p.offset())) {
                throw new FormatException(String.format("%s: PT_LOAD paddr 0x%x needs file bytes [%d, %d) but the "
                        + "file has %d: truncated?", path, p.paddr(), p.offset(), p.offset() + p.filesz(), fileSize));
            }
            if (kernelMap != null && kernelMap.contains(p.vaddr()) && p.vaddr() != p.paddr()) {
                textLoads.add(p);
            } else if (p.vaddr() != p.paddr() && p.vaddr() != 0 && !noVirtualAddress(p, h.ehdr())) {
                // A RAM PT_LOAD of the kernel's elfcorehdr: p_vaddr is the linear map's address of p_paddr.
                linearOffsets.add(p.vaddr() - p.paddr());
            }
            loads.add(p);
        }
        if (textLoads.size() == 1) {
            // The kernel's elfcorehdr: one text segment, a second view of RAM that other PT_LOADs hold.
            Elf64Phdr t = textLoads.get(0);
            textVirtual = t.vaddr();
            textPhysical = t.paddr();
            textSize = t.memsz();
            loads.remove(t);
        }
        // By physical address. A dump with virtual PT_LOADs (QEMU's paging dump) has one per mapping, so
        // the same physical page can be in several; they must then point to the same file bytes.
        loads.sort(Comparator.comparingLong(Elf64Phdr::paddr));
        long coveredEnd = -1;
        long coveredDelta = 0;
        for (Elf64Phdr p : loads) {
            ram.add(new MemoryRange(p.paddr(), p.memsz()));
            if (p.offset() == -1 || p.filesz() <= 0) {
                continue;
            }
            long from = p.paddr();
            long to = p.paddr() + p.filesz();
            if (from < coveredEnd) {
                if (p.offset() - p.paddr() != coveredDelta) {
                    throw new FormatException(String.format("%s: overlapping PT_LOADs give physical 0x%x two "
                            + "different file offsets (0x%x and 0x%x)", path, from, from + coveredDelta, p.offset()));
                }
                from = coveredEnd;
            }
            if (to > from) {
                memory.append(from, to - from, file, p.offset() + (from - p.paddr()));
                coveredEnd = to;
                coveredDelta = p.offset() - p.paddr();
            }
        }
        if (ram.isEmpty()) {
            throw new FormatException(path + ": no PT_LOAD segments: no memory to serve");
        }
        PhysicalMemory mem;
        try {
            mem = memory.build();
        } catch (IllegalArgumentException e) {
            throw new FormatException(path + ": " + e.getMessage(), e);
        }

        DumpNotes contents = DumpNotes.decode(h.notes(), arch);
        String vmcoreinfo = contents.vmcoreinfo();
        List<CpuState> cpus = contents.cpus();
        if (PowerGuestByteOrder.guest(arch, cpus) != arch) {
            arch = PowerGuestByteOrder.guest(arch, cpus);
            cpus = PowerGuestByteOrder.as(arch, cpus);
        }
        Map<String, String> info = contents.info();
        long kaslr = Vmcoreinfo.hex(info.get("KERNELOFFSET"), 0);
        long directMap = linearOffsets.size() == 1 ? linearOffsets.iterator().next() : 0;
        KernelMappings mappings = ArchitectureHooks.of(arch).mappings().complete(path, info, mem, ram,
                new KernelMappings(textVirtual, textPhysical, textSize, directMap));
        // A dump with the kernel's text PT_LOAD is the kernel's elfcorehdr: its notes are the kernel's too.
        boolean kernelHeaders = textSize != 0;
        KernelLayout.Result layout = KernelLayout.complete(path, arch, info, mem, ram, mappings, kernelHeaders, cpus,
                kernelHeaders || (!arch.hasKernelTextMapping() && kernelNotes(h.notes())), symbols);
        mappings = layout.mappings();
        cpus = layout.cpus();
        KernelInfo kernel = new KernelInfo(info.getOrDefault("OSRELEASE", "unknown"), mappings.textVirtual(),
                mappings.textPhysical(), mappings.textSize(), kaslr, vmcoreinfo, mappings.directMap());
        Instant crashTime = info.containsKey("CRASHTIME")
                ? Instant.ofEpochSecond(Long.parseLong(info.get("CRASHTIME").trim()))
                : image.modified();
        return PowerQemuDump.complete(S390HypervisorDump.complete(new CrashedSystem(arch, ram, mem, cpus, kernel, crashTime,
                String.format("ELF core %s (%s, %d PT_LOADs, %d CPUs)", path, arch.linuxName(), ram.size(), cpus.size()))), symbols);
    }

    /**
     * Whether {@code notes} are a kernel's crash notes, where an architecture without a kernel text segment
     * (ppc64, i386) leaves nothing else to tell its vmcore from QEMU's: crash_save_cpu writes one "CORE" NT_PRSTATUS per
     * CPU and the kernel adds VMCOREINFO, nothing else; QEMU writes more notes per CPU (NT_PRFPREG and the
     * vector registers on POWER, "QEMU" CPU state on x86) and on POWER no VMCOREINFO.
     */
    static boolean kernelNotes(List<ElfNote> notes) {
        boolean vmcoreinfo = false;
        for (ElfNote n : notes) {
            if (n.name().equals(ElfNote.VMCOREINFO) && n.type() == ElfNote.NT_VMCOREINFO) {
                vmcoreinfo = true;
            } else if (!(n.name().equals(ElfNote.CORE) && n.type() == ElfNote.NT_PRSTATUS)) {
                return false;
            }
        }
        return vmcoreinfo;
    }

    /**
     * Whether {@code p}'s p_vaddr is kexec-tools' -1 for memory outside the linear map (i386 highmem: -1 in
     * the header's own width, 0xffffffff in an ELF32 one; kexec/crashdump-elf.c).
     */
    static boolean noVirtualAddress(Elf64Phdr p, Elf64Ehdr ehdr) {
        return p.vaddr() == -1 || (ehdr.elfClass() == 32 && p.vaddr() == 0xffffffffL);
    }

    /**
     * The architecture {@code image}'s ELF header names: the one of its class, e_machine and byte order (a
     * ppc64le guest's in QEMU's big-endian dump).
     */
    static Architecture architecture(ImageFile image) throws DumpException {
        try {
            Architecture written = architecture(image.path(), Elf64Ehdr.readAnyFrom(image.head(Elf64Ehdr.SIZE)));
            if (written != Architecture.PPC64) {
                return written;
            }
            try {
                return PowerGuestByteOrder.guest(written, DumpNotes.decode(readHeaders(image).notes(), written)
                        .cpus());
            } catch (DumpException unreadable) {
                return written; // the header's word, for a file whose notes cannot be read (read() will say why)
            }
        } catch (FormatException e) {
            throw new FormatException(image.path() + ": " + e.getMessage(), e);
        }
    }

    static Architecture architecture(Path path, Elf64Ehdr ehdr) throws FormatException {
        List<Architecture> candidates = Architecture.ofElfMachine(ehdr.elfClass(), ehdr.machine());
        if (candidates.isEmpty() && !Architecture.ofElfMachine(64, ehdr.machine()).isEmpty()) {
            throw new FormatException(path + ": not a 64-bit ELF file (ELF" + ehdr.elfClass() + "), but ELF machine "
                    + ehdr.machine() + " (" + Architecture.ofElfMachine(64, ehdr.machine()).get(0).linuxName()
                    + ") has 64-bit cores only");
        }
        if (candidates.isEmpty()) {
            throw new FormatException(path + ": unsupported ELF machine " + ehdr.machine());
        }
        for (Architecture a : candidates) {
            if (a.byteOrder() == ehdr.order()) {
                return a;
            }
        }
        throw new FormatException(path + ": ELF machine " + ehdr.machine() + " is " + candidates.get(0).linuxName()
                + ", which is " + candidates.get(0).byteOrder() + ", but the file is " + ehdr.order());
    }
}
