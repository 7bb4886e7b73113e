package org.vmcorefs.format.input;

import org.vmcorefs.format.FormatException;
import org.vmcorefs.format.struct.Elf64Ehdr;
import org.vmcorefs.format.struct.ElfNote;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vmcorefs.machine.Architecture;
import org.vmcorefs.machine.DumpException;
import org.vmcorefs.machine.Errno;

/**
 * What a dump replay needs of the dumped kernel's vmlinux (debug or stripped of its debug info): a few
 * symbols of its ELF symbol table (link-time addresses, before KASLR), the struct member offsets of its
 * .BTF section, and its GNU build-id, to check that it is the dumped kernel. Only the section headers,
 * .symtab, .strtab, .notes and .BTF are read, mapped from the file: nothing else of the (often 600 MiB)
 * file is touched. A vmlinux without .symtab (objcopy -S, as inside a bzImage) cannot give {@code _end}
 * and is refused; one without .BTF gives symbols only.
 */
public final class KernelSymbols {
    private static final Logger LOG = LoggerFactory.getLogger(KernelSymbols.class);
    /** The symbols the replay uses: the text segment's bounds and each architecture's current task. */
    static final Set<String> WANTED = Set.of("_text", "_stext", "_end", "__per_cpu_offset", "__per_cpu_start",
            "__per_cpu_end", "current_task", "pcpu_hot", "__entry_task", "runqueues", "init_task", "vmcoreinfo_note",
            "paca_ptrs");
    /** The struct members the replay uses, as "struct.member". */
    static final Set<String> MEMBERS = Set.of("task_struct.pid", "rq.curr", "pcpu_hot.current_task",
            "paca_struct.__current", "lowcore.current_task");
    static final int SHT_SYMTAB = 2;
    static final int SHT_NOTE = 7;
    static final int SHDR_SIZE = 64;
    static final int SYM_SIZE = 24;
    /** ELF32 (i386's vmlinux): a section header and a symbol are smaller, their fields in another order. */
    static final int SHDR_SIZE_32 = 40;
    static final int SYM_SIZE_32 = 16;
    static final int NT_GNU_BUILD_ID = 3;
    static final int STB_LOCAL = 0;

    private final Path path;
    private final Architecture architecture;
    private final Map<String, Long> symbols;
    private final Map<String, Long> offsets;
    private final String buildId;
    private final boolean hasBtf;

    KernelSymbols(Path path, Architecture architecture, Map<String, Long> symbols, Map<String, Long> offsets,
            String buildId, boolean hasBtf) {
        this.path = path;
        this.architecture = architecture;
        this.symbols = Map.copyOf(symbols);
        this.offsets = Map.copyOf(offsets);
        this.buildId = buildId;
        this.hasBtf = hasBtf;
    }

    /** Reads what the replay needs of the vmlinux at {@code path}. */
    public static KernelSymbols read(Path path) throws DumpException {
        if (!Files.isRegularFile(path)) {
            throw new DumpException(Errno.ENOENT, path + ": no such vmlinux");
        }
        long start = System.nanoTime();
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            KernelSymbols s = read(path, ch);
            LOG.info("read {} in {} ms: {} of the wanted symbols, struct offsets {}", s, (System.nanoTime() - start)
                    / 1_000_000, s.symbols.size(), s.offsets);
            return s;
        } catch (DumpException e) {
            throw e;
        } catch (IOException e) {
            throw new DumpException(Errno.EACCES, path + ": cannot read the vmlinux: " + e.getMessage(), e);
        }
    }

    private static KernelSymbols read(Path path, FileChannel ch) throws IOException, DumpException {
        long size = ch.size();
        Elf64Ehdr ehdr;
        try {
            ehdr = Elf64Ehdr.readAnyFrom(readAt(ch, 0, (int) Math.min(size, Elf64Ehdr.SIZE), path, size));
        } catch (FormatException e) {
            throw new FormatException(path + ": not a vmlinux: " + e.getMessage(), e);
        }
        ByteOrder order = ehdr.order();
        boolean elf32 = ehdr.elfClass() == 32;
        Architecture arch = Architecture.ofElf(ehdr.elfClass(), ehdr.machine(), order).orElseThrow(() -> new FormatException(
                path + ": not a vmlinux of a known architecture (ELF machine " + ehdr.machine() + ")"));
        if (ehdr.shoff() <= 0 || ehdr.shnum() == 0) {
            throw new FormatException(path + ": no section headers: not a vmlinux with a symbol table");
        }
        int shdrSize = elf32 ? SHDR_SIZE_32 : SHDR_SIZE;
        ByteBuffer sh = readAt(ch, ehdr.shoff(), ehdr.shnum() * shdrSize, path, size).order(order);
        Section[] sections = new Section[ehdr.shnum()];
        for (int i = 0; i < sections.length; i++) {
            int at = i * shdrSize;
            sections[i] = elf32
                    ? new Section(sh.getInt(at), sh.getInt(at + 4), Integer.toUnsignedLong(sh.getInt(at + 0x10)),
                            Integer.toUnsignedLong(sh.getInt(at + 0x14)), sh.getInt(at + 0x18))
                    : new Section(sh.getInt(at), sh.getInt(at + 4), sh.getLong(at + 0x18), sh.getLong(at + 0x20),
                            sh.getInt(at + 0x28));
            if (sections[i].type != 8 && (sections[i].offset < 0 || sections[i].size < 0
                    || sections[i].size > size - sections[i].offset)) {
                throw new FormatException(path + ": section " + i + " runs past the end of the file: truncated?");
            }
        }
        if (ehdr.shstrndx() >= sections.length) {
            throw new FormatException(path + ": bad e_shstrndx " + ehdr.shstrndx());
        }
        Section names = sections[ehdr.shstrndx()];
        ByteBuffer shstrtab = readAt(ch, names.offset, (int) Math.min(names.size, 1 << 20), path, size);
        Section symtab = null;
        Section btf = null;
        Section notes = null;
        Map<String, Section> debug = new HashMap<>();
        for (Section s : sections) {
            String name = cString(shstrtab, s.name);
            if (name.equals(".debug_info") || name.equals(".debug_abbrev") || name.equals(".debug_str")
                    || name.equals(".debug_line_str")) {
                debug.putIfAbsent(name, s);
            }
            if (s.type == SHT_SYMTAB && symtab == null) {
                symtab = s;
            } else if (".BTF".equals(name)) {
                btf = s;
            } else if (s.type == SHT_NOTE && ".notes".equals(name)) {
                notes = s;
            }
        }
        if (symtab == null || symtab.link <= 0 || symtab.link >= sections.length) {
            throw new FormatException(path + ": no symbol table (.symtab): a vmlinux stripped of its symbols "
                    + "cannot give _end; give the debug vmlinux or one stripped with --strip-debug");
        }
        Section strtab = sections[symtab.link];
        Map<String, Long> symbols = symbols(map(ch, symtab).order(order), map(ch, strtab), elf32);
        Map<String, Long> offsets = new HashMap<>();
        if (btf != null) {
            Btf types = Btf.read(map(ch, btf));
            for (String m : MEMBERS) {
                int dot = m.indexOf('.');
                types.memberOffset(m.substring(0, dot), m.substring(dot + 1)).ifPresent(o -> offsets.put(m, o));
            }
        }
        if (offsets.isEmpty() && debug.containsKey(".debug_info") && debug.containsKey(".debug_abbrev")) {
            // No BTF (Debian builds i386, ppc64el and s390x without it): the debug vmlinux's DWARF says.
            try {
                Dwarf dwarf = new Dwarf(map(ch, debug.get(".debug_info")), map(ch, debug.get(".debug_abbrev")),
                        debug.containsKey(".debug_str") ? map(ch, debug.get(".debug_str")) : null,
                        debug.containsKey(".debug_line_str") ? map(ch, debug.get(".debug_line_str")) : null, order);
                offsets.putAll(dwarf.memberOffsets(dwarfMembers(arch)));
            } catch (FormatException e) {
                LOG.warn("{}: no .BTF, and its DWARF cannot be read: {}", path, e.getMessage());
            }
        }
        String buildId = null;
        if (notes != null && notes.size <= 1 << 20) {
            for (ElfNote n : ElfNote.readAll(readAt(ch, notes.offset, (int) notes.size, path, size), order)) {
                if (n.name().equals("GNU") && n.type() == NT_GNU_BUILD_ID) {
                    buildId = HexFormat.of().formatHex(n.desc());
                }
            }
        }
        return new KernelSymbols(path, arch, symbols, offsets, buildId, btf != null);
    }

    /**
     * The members the replay reads on {@code arch} when it has to find them in DWARF: those of its own current
     * task pointer (a walk of the whole .debug_info for a struct the kernel does not have would take seconds).
     */
    static Set<String> dwarfMembers(Architecture arch) {
        return switch (arch) {
            case PPC64, PPC64LE -> Set.of("task_struct.pid", "paca_struct.__current");
            case S390X -> Set.of("task_struct.pid", "lowcore.current_task");
            case X86_64, I386 -> Set.of("task_struct.pid");
            default -> Set.of("task_struct.pid", "rq.curr");
        };
    }

    /** The {@link #WANTED} symbols of an ELF64 {@code symtab}: a global definition before a local one. */
    static Map<String, Long> symbols(ByteBuffer symtab, ByteBuffer strtab) {
        return symbols(symtab, strtab, false);
    }

    /**
     * The {@link #WANTED} symbols of {@code symtab} (Elf32_Sym: name, value, size, info, other, shndx; Elf64_Sym:
     * name, info, other, shndx, value, size): a global definition before a local one.
     */
    static Map<String, Long> symbols(ByteBuffer symtab, ByteBuffer strtab, boolean elf32) {
        int symSize = elf32 ? SYM_SIZE_32 : SYM_SIZE;
        int infoAt = elf32 ? 12 : 4;
        int shndxAt = elf32 ? 14 : 6;
        Set<Integer> lengths = new HashSet<>();
        WANTED.forEach(w -> lengths.add(w.length()));
        int longest = lengths.stream().mapToInt(Integer::intValue).max().orElse(0);
        Map<String, Long> found = new HashMap<>();
        Set<String> global = new HashSet<>();
        byte[] name = new byte[longest];
        for (int at = 0; at + symSize <= symtab.limit(); at += symSize) {
            long nameOff = Integer.toUnsignedLong(symtab.getInt(at));
            int shndx = Short.toUnsignedInt(symtab.getShort(at + shndxAt));
            if (nameOff == 0 || shndx == 0 || nameOff >= strtab.limit()) {
                continue;
            }
            int len = 0;
            while (len <= longest && nameOff + len < strtab.limit() && strtab.get((int) nameOff + len) != 0) {
                if (len < longest) {
                    name[len] = strtab.get((int) nameOff + len);
                }
                len++;
            }
            if (len > longest || !lengths.contains(len)) {
                continue;
            }
            String s = new String(name, 0, len, StandardCharsets.US_ASCII);
            if (!WANTED.contains(s) || global.contains(s)) {
                continue;
            }
            boolean isGlobal = ((symtab.get(at + infoAt) & 0xff) >>> 4) != STB_LOCAL;
            if (isGlobal || !found.containsKey(s)) {
                found.put(s, elf32 ? Integer.toUnsignedLong(symtab.getInt(at + 4)) : symtab.getLong(at + 8));
            }
            if (isGlobal) {
                global.add(s);
            }
        }
        return found;
    }

    private static ByteBuffer map(FileChannel ch, Section s) throws IOException {
        return ch.map(FileChannel.MapMode.READ_ONLY, s.offset, s.size);
    }

    private static ByteBuffer readAt(FileChannel ch, long offset, int length, Path path, long size)
            throws IOException, FormatException {
        if (offset < 0 || length < 0 || length > size - offset) {
            throw new FormatException(path + ": ends before offset " + (offset + length) + ": truncated?");
        }
        ByteBuffer b = ByteBuffer.allocate(length);
        while (b.hasRemaining()) {
            if (ch.read(b, offset + b.position()) < 0) {
                throw new FormatException(path + ": ends before offset " + (offset + length) + ": truncated?");
            }
        }
        return b.flip();
    }

    private static String cString(ByteBuffer b, int at) {
        if (at < 0 || at >= b.limit()) {
            return "";
        }
        int end = at;
        while (end < b.limit() && b.get(end) != 0) {
            end++;
        }
        byte[] s = new byte[end - at];
        b.get(at, s);
        return new String(s, StandardCharsets.US_ASCII);
    }

    private record Section(int name, int type, long offset, long size, int link) {
    }

    public Path path() {
        return path;
    }

    /** The architecture the vmlinux is built for. */
    public Architecture architecture() {
        return architecture;
    }

    /** The link-time value of {@code name}, one of {@link #WANTED}, if the symbol table has it. */
    public OptionalLong symbol(String name) {
        Long v = symbols.get(name);
        return v == null ? OptionalLong.empty() : OptionalLong.of(v);
    }

    /** The byte offset of {@code member} in {@code struct}, one of {@link #MEMBERS}, if the BTF has it. */
    public OptionalLong offset(String struct, String member) {
        Long v = offsets.get(struct + "." + member);
        return v == null ? OptionalLong.empty() : OptionalLong.of(v);
    }

    /** Whether the vmlinux has a .BTF section (struct offsets). */
    public boolean hasBtf() {
        return hasBtf;
    }

    /** The GNU build-id in hex, as VMCOREINFO's BUILD-ID writes it, or null. */
    public String buildId() {
        return buildId;
    }

    @Override
    public String toString() {
        return path + " (" + architecture.linuxName() + ", " + symbols.size() + " symbols, build-id " + buildId + ")";
    }
}
