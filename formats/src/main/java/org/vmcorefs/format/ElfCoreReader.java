package org.vmcorefs.format;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vmcorefs.machine.Architecture;
import org.vmcorefs.machine.CpuState;
import org.vmcorefs.machine.CrashedSystem;
import org.vmcorefs.machine.DumpException;
import org.vmcorefs.machine.FileMemory;
import org.vmcorefs.machine.KernelInfo;
import org.vmcorefs.machine.LayeredMemory;
import org.vmcorefs.machine.MemoryRange;
import org.vmcorefs.machine.PhysicalMemory;

/**
 * Reads an ELF core (QEMU's dump-guest-memory, virsh dump, a copy of a real /proc/vmcore) as a crashed
 * system: memory by p_paddr (data packed or page-aligned, p_filesz may be less than p_memsz, p_offset -1
 * for ranges not saved), CPU registers from NT_PRSTATUS, VMCOREINFO passed through. Nothing of the
 * memory is read here: the segments become extents of a lazily read memory.
 */
public final class ElfCoreReader {
    /** Where x86_64 kernel text mappings start: __START_KERNEL_map. */
    static final long X86_KERNEL_MAP = 0xffffffff80000000L;
    private static final Logger LOG = LoggerFactory.getLogger(ElfCoreReader.class);
    private static final long MAX_NOTES = 64L << 20;

    private ElfCoreReader() {
    }

    /** The parsed headers of an ELF core, before its memory is touched. */
    public record Headers(Elf64Ehdr ehdr, Architecture architecture, List<Elf64Phdr> phdrs, List<ElfNote> notes) {
    }

    public static boolean isElf(ByteBuffer start) {
        return start.remaining() >= 4 && start.get(0) == 0x7f && start.get(1) == 'E' && start.get(2) == 'L'
                && start.get(3) == 'F';
    }

    public static Headers readHeaders(Path path, FileChannel ch) throws DumpException {
        long fileSize = size(path, ch);
        Elf64Ehdr ehdr;
        try {
            ehdr = Elf64Ehdr.readFrom(readAt(path, ch, 0, (int) Math.min(fileSize, Elf64Ehdr.SIZE)));
        } catch (FormatException e) {
            throw new FormatException(path + ": " + e.getMessage(), e);
        }
        if (ehdr.type() != Elf64Ehdr.ET_CORE) {
            throw new FormatException(path + ": ELF type " + ehdr.type() + " is not a core file (ET_CORE)");
        }
        Architecture arch = architecture(path, ehdr);
        long phnum = ehdr.phnum();
        if (phnum == Elf64Ehdr.PN_XNUM) {
            if (ehdr.shoff() <= 0 || Elf64Shdr.SIZE > fileSize - ehdr.shoff()) {
                throw new FormatException(path + ": PN_XNUM without a section header 0");
            }
            phnum = Integer.toUnsignedLong(
                    Elf64Shdr.readFrom(readAt(path, ch, ehdr.shoff(), Elf64Shdr.SIZE), ehdr.order()).info());
        }
        if (phnum == 0) {
            throw new FormatException(path + ": no program headers");
        }
        // Compared as sizes, not as end offsets: a corrupt e_phoff near 2^63 must not wrap around.
        if (ehdr.phoff() < 0 || phnum * Elf64Phdr.SIZE > fileSize - ehdr.phoff() || phnum > (1 << 24)) {
            throw new FormatException(path + ": " + phnum + " program headers at offset " + ehdr.phoff()
                    + " run past the end of the file (" + fileSize + " bytes): truncated?");
        }
        ByteBuffer ph = readAt(path, ch, ehdr.phoff(), (int) (phnum * Elf64Phdr.SIZE));
        List<Elf64Phdr> phdrs = new ArrayList<>();
        List<ElfNote> notes = new ArrayList<>();
        long noteBytes = 0;
        for (int i = 0; i < phnum; i++) {
            Elf64Phdr p = Elf64Phdr.readFrom(ph, ehdr.order());
            phdrs.add(p);
            if (p.type() == Elf64Phdr.PT_NOTE && p.filesz() > 0) {
                noteBytes += p.filesz();
                if (p.offset() < 0 || p.filesz() < 0 || p.filesz() > fileSize - p.offset() || noteBytes > MAX_NOTES) {
                    throw new FormatException(path + ": note segment at " + p.offset() + " (" + p.filesz()
                            + " bytes) runs past the end of the file: truncated?");
                }
                try {
                    notes.addAll(ElfNote.readAll(readAt(path, ch, p.offset(), (int) p.filesz()), ehdr.order()));
                } catch (FormatException e) {
                    throw new FormatException(path + ": note segment at " + p.offset() + ": " + e.getMessage(), e);
                }
            }
        }
        return new Headers(ehdr, arch, phdrs, notes);
    }

    /** Reads {@code path} as a crashed system. */
    public static CrashedSystem read(Path path, FileChannel ch) throws DumpException {
        Headers h = readHeaders(path, ch);
        Architecture arch = h.architecture();
        long fileSize = size(path, ch);
        FileMemory file = new FileMemory(path, ch);
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
            if (arch == Architecture.X86_64 && isKernelImage(p.vaddr()) && p.vaddr() != p.paddr()) {
                textLoads.add(p);
            } else if (p.vaddr() != p.paddr() && p.vaddr() != 0) {
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

        NoteContents contents = NoteContents.of(h.notes(), arch);
        String vmcoreinfo = contents.vmcoreinfo();
        List<CpuState> cpus = contents.cpus();
        Map<String, String> info = Vmcoreinfo.parse(vmcoreinfo);
        long kaslr = hex(info.get("KERNELOFFSET"), 0);
        long directMap = linearOffsets.size() == 1 ? linearOffsets.iterator().next() : 0;
        if (arch == Architecture.X86_64 && (textSize == 0 || directMap == 0)) {
            long[] derived = deriveX86Mappings(path, info, mem, ram, textVirtual, textPhysical, textSize, directMap);
            textVirtual = derived[0];
            textPhysical = derived[1];
            textSize = derived[2];
            directMap = derived[3];
        }
        KernelInfo kernel = new KernelInfo(info.getOrDefault("OSRELEASE", "unknown"), textVirtual, textPhysical,
                textSize, kaslr, vmcoreinfo, directMap);
        Instant crashTime = info.containsKey("CRASHTIME")
                ? Instant.ofEpochSecond(Long.parseLong(info.get("CRASHTIME").trim()))
                : modified(path);
        return new CrashedSystem(arch, ram, mem, cpus, kernel, crashTime,
                String.format("ELF core %s (%s, %d PT_LOADs, %d CPUs)", path, arch.linuxName(), ram.size(), cpus.size()));
    }

    /** Whether {@code vaddr} is in x86_64's kernel image mapping: [__START_KERNEL_map, + KERNEL_IMAGE_SIZE). */
    static boolean isKernelImage(long vaddr) {
        return Long.compareUnsigned(vaddr, X86_KERNEL_MAP) >= 0
                && Long.compareUnsigned(vaddr, X86_KERNEL_MAP + X86PageTables.KERNEL_IMAGE_MAX) < 0;
    }

    /**
     * What an x86_64 dump without virtual addresses (QEMU's dump-guest-memory) leaves out, as the kernel's
     * elfcorehdr would have it: the kernel text segment ({@code _text} from SYMBOL(_stext), else
     * KERNELOFFSET; its physical address from NUMBER(phys_base); its size from the kernel's own page tables)
     * and the linear map's base, which KASLR randomizes, found by walking swapper_pg_dir. Returns {text
     * virtual, text physical, text size, linear map base}; what cannot be derived stays as given (0).
     */
    static long[] deriveX86Mappings(Path path, Map<String, String> info, PhysicalMemory mem, List<MemoryRange> ram,
            long textVirtual, long textPhysical, long textSize, long directMap) {
        long physBase;
        if (textSize != 0) {
            physBase = textPhysical - (textVirtual - X86_KERNEL_MAP);
        } else if (info.getOrDefault("NUMBER(phys_base)", "").trim().matches("-?[0-9]+")) {
            physBase = Long.parseLong(info.get("NUMBER(phys_base)").trim());
            textVirtual = info.containsKey("SYMBOL(_stext)") ? hex(info.get("SYMBOL(_stext)"), 0)
                    : Architecture.X86_64.kernelTextBase() + hex(info.get("KERNELOFFSET"), 0);
            textPhysical = textVirtual - X86_KERNEL_MAP + physBase;
        } else {
            LOG.info("{}: no kernel text segment and no usable NUMBER(phys_base): kernel mappings unknown", path);
            return new long[] {textVirtual, textPhysical, textSize, directMap};
        }
        long pgdVirtual = hex(info.get("SYMBOL(swapper_pg_dir)"), 0);
        X86PageTables tables = null;
        if (pgdVirtual != 0 && !"1".equals(info.getOrDefault("NUMBER(pgtable_l5_enabled)", "0").trim())) {
            tables = new X86PageTables(mem, pgdVirtual - X86_KERNEL_MAP + physBase);
        }
        try {
            if (textSize == 0) {
                textSize = tables == null ? 0 : tables.kernelImageSize(textVirtual, textPhysical);
                if (textSize == 0) {
                    textSize = defaultTextSize(ram, textPhysical);
                    LOG.info("{}: kernel text at 0x{} not found in the page tables: assuming 0x{} bytes", path,
                            Long.toHexString(textVirtual), Long.toHexString(textSize));
                } else {
                    LOG.info("{}: kernel text 0x{} -> 0x{}, 0x{} bytes mapped", path, Long.toHexString(textVirtual),
                            Long.toHexString(textPhysical), Long.toHexString(textSize));
                }
            }
            if (directMap == 0 && tables != null) {
                long probe = ram.stream().filter(r -> r.size() >= 4096).mapToLong(MemoryRange::start).findFirst()
                        .orElse(0);
                directMap = tables.linearMapBase(textPhysical > probe ? textPhysical : probe).orElse(0);
                LOG.info("{}: linear map base {}", path, directMap == 0 ? "not found in the page tables, default"
                        : "0x" + Long.toHexString(directMap) + " from the page tables");
            }
        } catch (DumpException e) {
            LOG.info("{}: cannot walk the kernel's page tables: {}", path, e.getMessage());
            if (textSize == 0) {
                textSize = defaultTextSize(ram, textPhysical);
            }
        }
        return new long[] {textVirtual, textPhysical, textSize, directMap};
    }

    /** The kernel image size to assume when a dump does not say: 64 MiB, clipped to the RAM holding it. */
    static long defaultTextSize(List<MemoryRange> ram, long textPhysical) {
        for (MemoryRange r : MemoryRange.normalize(ram)) {
            if (r.contains(textPhysical)) {
                return Math.min(64L << 20, r.end() - textPhysical);
            }
        }
        return 0;
    }

    static Architecture architecture(Path path, Elf64Ehdr ehdr) throws FormatException {
        return switch (ehdr.machine()) {
            case 62 -> Architecture.X86_64;
            case 22 -> Architecture.S390X;
            case 21 -> ehdr.order() == ByteOrder.BIG_ENDIAN ? Architecture.PPC64 : Architecture.PPC64LE;
            default -> throw new FormatException(path + ": unsupported ELF machine " + ehdr.machine());
        };
    }

    /**
     * What a dump's notes say of the crashed system: a CPU per "CORE" NT_PRSTATUS, in note order, with its
     * pr_pid, and the VMCOREINFO text ("" without one). Shared by every reader of kernel-written notes.
     */
    record NoteContents(List<CpuState> cpus, String vmcoreinfo) {
        static NoteContents of(List<ElfNote> notes, Architecture arch) throws FormatException {
            String vmcoreinfo = "";
            List<CpuState> cpus = new ArrayList<>();
            long[] blank = new long[arch.registerNames().size()];
            for (ElfNote n : notes) {
                if (n.name().equals(ElfNote.VMCOREINFO)) {
                    vmcoreinfo = new String(n.desc(), StandardCharsets.US_ASCII).replace("\0", "");
                } else if (n.name().equals(ElfNote.CORE) && n.type() == ElfNote.NT_PRSTATUS) {
                    cpus.add(new CpuState(arch, cpus.size(), ElfPrstatus.registers(n.desc(), arch, blank),
                            new byte[0], ElfPrstatus.pid(n.desc(), arch)));
                }
            }
            return new NoteContents(List.copyOf(cpus), vmcoreinfo);
        }
    }

    /** A hex VMCOREINFO value (KERNELOFFSET), or {@code fallback} when absent or garbled. */
    static long hex(String value, long fallback) {
        if (value == null) {
            return fallback;
        }
        try {
            return Long.parseUnsignedLong(value.trim(), 16);
        } catch (NumberFormatException e) {
            return fallback;
        }
    }

    static long size(Path path, FileChannel ch) throws DumpException {
        try {
            return ch.size();
        } catch (IOException e) {
            throw new DumpException(org.vmcorefs.machine.Errno.EIO, path + ": " + e.getMessage(), e);
        }
    }

    static Instant modified(Path path) {
        try {
            return Files.getLastModifiedTime(path).toInstant();
        } catch (IOException e) {
            return Instant.EPOCH;
        }
    }

    static ByteBuffer readAt(Path path, FileChannel ch, long offset, int length) throws DumpException {
        ByteBuffer b = ByteBuffer.allocate(length);
        new FileMemory(path, ch).read(offset, b);
        return b.flip();
    }
}
