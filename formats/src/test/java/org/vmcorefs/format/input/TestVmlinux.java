package org.vmcorefs.format.input;

import org.vmcorefs.format.struct.Elf64Ehdr;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small vmlinux-shaped ELF written by the tests: section headers, .notes with a GNU build-id, a .BTF of
 * the structs the replay reads (task_struct.pid, rq.curr, pcpu_hot's current_task inside an anonymous union
 * and struct, and a struct with bit fields), .symtab and .strtab.
 */
final class TestVmlinux {
    /** A symbol of the table: its name, value and whether it is local. */
    record Symbol(String name, long value, boolean local) {
    }

    static final String BUILD_ID = "0123456789abcdef0123456789abcdef01234567";
    /** task_struct.pid's offset in the test BTF. */
    static final int PID_OFFSET = 0x5a0;
    static final int RQ_CURR_OFFSET = 0x80;
    static final int PCPU_HOT_CURRENT_OFFSET = 8;

    private final int machine;
    private final ByteOrder order;
    private final List<Symbol> symbols = new ArrayList<>();
    private boolean withSymtab = true;
    private boolean withBtf = true;
    private String buildId = BUILD_ID;
    private boolean elf32;

    TestVmlinux(int machine, ByteOrder order) {
        this.machine = machine;
        this.order = order;
    }

    TestVmlinux symbol(String name, long value) {
        symbols.add(new Symbol(name, value, false));
        return this;
    }

    TestVmlinux local(String name, long value) {
        symbols.add(new Symbol(name, value, true));
        return this;
    }

    TestVmlinux withoutSymtab() {
        withSymtab = false;
        return this;
    }

    /** An ELF32 vmlinux (i386's): 16-byte symbols and 40-byte section headers. */
    TestVmlinux elf32() {
        elf32 = true;
        return this;
    }

    TestVmlinux withoutBtf() {
        withBtf = false;
        return this;
    }

    TestVmlinux buildId(String id) {
        buildId = id;
        return this;
    }

    /** The BTF: types 1 int, 2 pointer, 3 task_struct, 4 rq, 5 pcpu_hot, 6 its anonymous union, 7 struct, 8 bits. */
    static byte[] btf(ByteOrder order) {
        Strings s = new Strings();
        ByteBuffer t = ByteBuffer.allocate(4096).order(order);
        type(t, s.of("int"), Btf.KIND_INT, 0, false, 4).putInt(32);
        type(t, 0, 2, 0, false, 3);
        type(t, s.of("task_struct"), Btf.KIND_STRUCT, 2, false, 0x1000);
        member(t, s.of("__state"), 1, 0);
        member(t, s.of("pid"), 1, PID_OFFSET * 8L);
        type(t, s.of("rq"), Btf.KIND_STRUCT, 1, false, 0x100);
        member(t, s.of("curr"), 2, RQ_CURR_OFFSET * 8L);
        type(t, s.of("pcpu_hot"), Btf.KIND_STRUCT, 1, false, 64);
        member(t, 0, 6, 0);
        type(t, 0, Btf.KIND_UNION, 2, false, 64);
        member(t, s.of("pad"), 1, 0);
        member(t, 0, 7, 0);
        type(t, 0, Btf.KIND_STRUCT, 2, false, 16);
        member(t, s.of("cpu_number"), 1, 0);
        member(t, s.of("current_task"), 2, PCPU_HOT_CURRENT_OFFSET * 8L);
        type(t, s.of("bits"), Btf.KIND_STRUCT, 2, true, 8);
        member(t, s.of("flag"), 1, (3L << 24) | 5);
        member(t, s.of("whole"), 1, (8L << 24) | 8);
        t.flip();
        byte[] strings = s.bytes();
        ByteBuffer b = ByteBuffer.allocate(Btf.HEADER_SIZE + t.remaining() + strings.length).order(order);
        b.putShort((short) Btf.MAGIC).put((byte) 1).put((byte) 0).putInt(Btf.HEADER_SIZE);
        b.putInt(0).putInt(t.remaining()).putInt(t.remaining()).putInt(strings.length);
        b.put(t).put(strings);
        return b.array();
    }

    private static ByteBuffer type(ByteBuffer t, int name, int kind, int vlen, boolean kindFlag, int sizeOrType) {
        return t.putInt(name).putInt((kindFlag ? 1 << 31 : 0) | kind << 24 | vlen).putInt(sizeOrType);
    }

    private static void member(ByteBuffer t, int name, int type, long offset) {
        t.putInt(name).putInt(type).putInt((int) offset);
    }

    /** A string table: "\0" first, each string once. */
    static final class Strings {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();
        private final Map<String, Integer> at = new LinkedHashMap<>();

        Strings() {
            out.write(0);
        }

        int of(String s) {
            return at.computeIfAbsent(s, k -> {
                int p = out.size();
                out.writeBytes(k.getBytes(StandardCharsets.US_ASCII));
                out.write(0);
                return p;
            });
        }

        byte[] bytes() {
            return out.toByteArray();
        }
    }

    /** Writes the vmlinux to {@code path}. */
    Path write(Path path) throws Exception {
        Strings shstr = new Strings();
        Strings str = new Strings();
        List<Object[]> sections = new ArrayList<>();
        ByteBuffer notes = ByteBuffer.allocate(12 + 4 + buildId.length() / 2 + 3 & ~3).order(order);
        notes.putInt(4).putInt(buildId.length() / 2).putInt(KernelSymbols.NT_GNU_BUILD_ID);
        notes.put("GNU\0".getBytes(StandardCharsets.US_ASCII)).put(HexFormat.of().parseHex(buildId));
        sections.add(new Object[] {".notes", KernelSymbols.SHT_NOTE, notes.array(), 0});
        if (withBtf) {
            sections.add(new Object[] {".BTF", 1, btf(order), 0});
        }
        if (withSymtab) {
            int symSize = elf32 ? KernelSymbols.SYM_SIZE_32 : KernelSymbols.SYM_SIZE;
            ByteBuffer sym = ByteBuffer.allocate((symbols.size() + 1) * symSize).order(order);
            sym.position(symSize);
            for (Symbol s : symbols) {
                byte info = (byte) ((s.local() ? 0 : 1) << 4 | 1);
                if (elf32) {
                    sym.putInt(str.of(s.name())).putInt((int) s.value()).putInt(4).put(info).put((byte) 0)
                            .putShort((short) 1);
                } else {
                    sym.putInt(str.of(s.name())).put(info).put((byte) 0).putShort((short) 1).putLong(s.value())
                            .putLong(8);
                }
            }
            // .symtab's sh_link: the next section, .strtab (index = position + 1 for the null section).
            sections.add(new Object[] {".symtab", KernelSymbols.SHT_SYMTAB, sym.array(), sections.size() + 2});
            sections.add(new Object[] {".strtab", 3, str.bytes(), 0});
        }
        for (Object[] s : sections) {
            shstr.of((String) s[0]);
        }
        shstr.of(".shstrtab");
        byte[] shstrtab = shstr.bytes();
        sections.add(new Object[] {".shstrtab", 3, shstrtab, 0});
        ByteArrayOutputStream data = new ByteArrayOutputStream();
        data.writeBytes(new byte[Elf64Ehdr.SIZE]);
        long[] offsets = new long[sections.size()];
        for (int i = 0; i < sections.size(); i++) {
            while (data.size() % 8 != 0) {
                data.write(0);
            }
            offsets[i] = data.size();
            data.writeBytes((byte[]) sections.get(i)[2]);
        }
        while (data.size() % 8 != 0) {
            data.write(0);
        }
        long shoff = data.size();
        int shnum = sections.size() + 1;
        int shdrSize = elf32 ? KernelSymbols.SHDR_SIZE_32 : KernelSymbols.SHDR_SIZE;
        ByteBuffer sh = ByteBuffer.allocate(shnum * shdrSize).order(order);
        sh.position(shdrSize);
        for (int i = 0; i < sections.size(); i++) {
            Object[] s = sections.get(i);
            boolean symtab = (Integer) s[1] == KernelSymbols.SHT_SYMTAB;
            if (elf32) {
                sh.putInt(shstr.of((String) s[0])).putInt((Integer) s[1]).putInt(0).putInt(0).putInt((int) offsets[i])
                        .putInt(((byte[]) s[2]).length).putInt((Integer) s[3]).putInt(0).putInt(4)
                        .putInt(symtab ? KernelSymbols.SYM_SIZE_32 : 0);
            } else {
                sh.putInt(shstr.of((String) s[0])).putInt((Integer) s[1]).putLong(0).putLong(0).putLong(offsets[i])
                        .putLong(((byte[]) s[2]).length).putInt((Integer) s[3]).putInt(0).putLong(8)
                        .putLong(symtab ? KernelSymbols.SYM_SIZE : 0);
            }
        }
        data.writeBytes(sh.array());
        byte[] file = data.toByteArray();
        ByteBuffer head = ByteBuffer.wrap(file);
        new Elf64Ehdr(order, Elf64Ehdr.ET_EXEC, machine, 0, 0, shoff, 0, 0, shnum, shnum - 1, elf32 ? 32 : 64)
                .writeTo(head);
        Files.write(path, file);
        return path;
    }
}
