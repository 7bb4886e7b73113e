package org.vmcorefs.format.struct;

import org.vmcorefs.format.FormatException;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.vmcorefs.machine.Architecture;
import org.vmcorefs.machine.CpuState;
import org.vmcorefs.machine.DumpException;
import org.vmcorefs.machine.KernelInfo;

/** Golden bytes of every on-disk struct, and write-then-read round trips. */
class ElfStructsGoldenTest {
    private static byte[] hex(String s) {
        return HexFormat.of().parseHex(s.replaceAll("[\\s|]", ""));
    }

    private static byte[] bytes(ByteBuffer b) {
        byte[] out = new byte[b.position()];
        b.get(0, out);
        return out;
    }

    @Test
    void ehdrLittleEndianCore() throws DumpException {
        ByteBuffer b = ByteBuffer.allocate(Elf64Ehdr.SIZE);
        Elf64Ehdr.core(ByteOrder.LITTLE_ENDIAN, 62, 5).writeTo(b);
        assertArrayEquals(hex(""
                + "7f454c46 02 01 01 00 0000000000000000"     // magic, ELFCLASS64, LSB, EV_CURRENT, SYSV
                + "0400 3e00 01000000"                        // ET_CORE, EM_X86_64, e_version
                + "0000000000000000"                          // e_entry
                + "4000000000000000"                          // e_phoff 64
                + "0000000000000000"                          // e_shoff
                + "00000000"                                  // e_flags
                + "4000 3800 0500 0000 0000 0000"),           // ehsize, phentsize, phnum 5, no sections
                bytes(b));
        Elf64Ehdr back = Elf64Ehdr.readFrom(b.flip());
        assertEquals(Elf64Ehdr.core(ByteOrder.LITTLE_ENDIAN, 62, 5), back);
    }

    @Test
    void ehdrBigEndianWithExtendedNumbering() throws DumpException {
        ByteBuffer b = ByteBuffer.allocate(Elf64Ehdr.SIZE);
        Elf64Ehdr h = new Elf64Ehdr(ByteOrder.BIG_ENDIAN, Elf64Ehdr.ET_CORE, 22, 0, 64, 0x123456L, 0,
                Elf64Ehdr.PN_XNUM, 1, 0);
        h.writeTo(b);
        assertArrayEquals(hex(""
                + "7f454c46 02 02 01 00 0000000000000000"
                + "0004 0016 00000001"
                + "0000000000000000"
                + "0000000000000040"
                + "0000000000123456"
                + "00000000"
                + "0040 0038 ffff 0040 0001 0000"),
                bytes(b));
        assertEquals(h, Elf64Ehdr.readFrom(b.flip()));
    }

    @Test
    void ehdrRejectsWhatIsNotAn64BitElf() {
        assertTrue(assertThrows(DumpException.class, () -> Elf64Ehdr.readFrom(ByteBuffer.allocate(10)))
                .getMessage().contains("too short"));
        ByteBuffer b = ByteBuffer.allocate(64);
        assertTrue(assertThrows(DumpException.class, () -> Elf64Ehdr.readFrom(b)).getMessage().contains("magic"));
        b.put(0, hex("7f454c46 01 01 01"));
        assertTrue(assertThrows(DumpException.class, () -> Elf64Ehdr.readFrom(b)).getMessage().contains("64-bit"));
        b.put(0, hex("7f454c46 02 03 01"));
        assertTrue(assertThrows(DumpException.class, () -> Elf64Ehdr.readFrom(b)).getMessage()
                .contains("data encoding"));
    }

    @Test
    void phdrKernelTextLoad() {
        ByteBuffer b = ByteBuffer.allocate(Elf64Phdr.SIZE);
        Elf64Phdr p = new Elf64Phdr(Elf64Phdr.PT_LOAD, Elf64Phdr.PF_RWX, 0x2000, 0xffffffff81000000L, 0x1000000,
                0x2000000, 0x2000000, 0);
        p.writeTo(b, ByteOrder.LITTLE_ENDIAN);
        assertArrayEquals(hex(""
                + "01000000 07000000"       // PT_LOAD, RWX
                + "0020000000000000"        // p_offset
                + "00000081ffffffff"        // p_vaddr
                + "0000000100000000"        // p_paddr
                + "0000000200000000"        // p_filesz
                + "0000000200000000"        // p_memsz
                + "0000000000000000"),      // p_align
                bytes(b));
        assertEquals(p, Elf64Phdr.readFrom(b.flip(), ByteOrder.LITTLE_ENDIAN));
    }

    @Test
    void phdrNoteBigEndian() {
        ByteBuffer b = ByteBuffer.allocate(Elf64Phdr.SIZE);
        Elf64Phdr p = new Elf64Phdr(Elf64Phdr.PT_NOTE, 0, 0x1000, 0, 0, 0x430, 0x430, 4);
        p.writeTo(b, ByteOrder.BIG_ENDIAN);
        assertArrayEquals(hex("00000004 00000000 0000000000001000 0000000000000000 0000000000000000"
                + "0000000000000430 0000000000000430 0000000000000004"), bytes(b));
        assertEquals(p, Elf64Phdr.readFrom(b.flip(), ByteOrder.BIG_ENDIAN));
    }

    @Test
    void shdrZeroCarriesTheProgramHeaderCount() {
        ByteBuffer b = ByteBuffer.allocate(Elf64Shdr.SIZE);
        for (int i = 0; i < b.capacity(); i++) {
            b.put(i, (byte) 0xee);
        }
        new Elf64Shdr(70001).writeTo(b, ByteOrder.LITTLE_ENDIAN);
        byte[] expected = new byte[64];
        System.arraycopy(hex("71110100"), 0, expected, 0x2c, 4);   // sh_info = 70001 at 0x2c
        assertArrayEquals(expected, bytes(b));
        assertEquals(70001, Elf64Shdr.readFrom(b.flip(), ByteOrder.LITTLE_ENDIAN).info());
    }

    @Test
    void noteFramingPadsNameAndDescToFourBytes() throws FormatException {
        ElfNote n = new ElfNote("CORE", ElfNote.NT_PRSTATUS, new byte[] {1, 2, 3});
        assertEquals(24, n.size());
        ByteBuffer b = ByteBuffer.allocate(n.size());
        n.writeTo(b, ByteOrder.LITTLE_ENDIAN);
        assertArrayEquals(hex("05000000 03000000 01000000 434f5245 00000000 01020300"), bytes(b));
        List<ElfNote> back = ElfNote.readAll(b.flip(), ByteOrder.LITTLE_ENDIAN);
        assertEquals(1, back.size());
        assertEquals("CORE", back.get(0).name());
        assertEquals(1, back.get(0).type());
        assertArrayEquals(new byte[] {1, 2, 3}, back.get(0).desc());
    }

    @Test
    void vmcoreinfoNote() throws FormatException {
        ElfNote n = new ElfNote(ElfNote.VMCOREINFO, ElfNote.NT_VMCOREINFO,
                "OSRELEASE=6.1\n".getBytes(StandardCharsets.US_ASCII));
        ByteBuffer b = ByteBuffer.allocate(n.size());
        n.writeTo(b, ByteOrder.BIG_ENDIAN);
        assertArrayEquals(hex("0000000b 0000000e 00000000"          // namesz 11, descsz 14, type 0
                + "564d434f5245494e464f0000"                         // "VMCOREINFO\0" + pad
                + "4f5352454c454153453d362e310a0000"), bytes(b));    // "OSRELEASE=6.1\n" + pad
        ElfNote back = ElfNote.readAll(b.flip(), ByteOrder.BIG_ENDIAN).get(0);
        assertEquals("VMCOREINFO", back.name());
        assertEquals("OSRELEASE=6.1\n", new String(back.desc(), StandardCharsets.US_ASCII));
    }

    @Test
    void notesEndAtAnEmptyHeaderOrTheSegmentEnd() throws FormatException {
        ByteBuffer b = ByteBuffer.allocate(24 + 12 + 24);
        new ElfNote("A", 7, new byte[4]).writeTo(b, ByteOrder.LITTLE_ENDIAN);
        b.position(b.position() + 12);   // an empty header: the end
        new ElfNote("B", 8, new byte[4]).writeTo(b, ByteOrder.LITTLE_ENDIAN);
        List<ElfNote> notes = ElfNote.readAll(b.flip(), ByteOrder.LITTLE_ENDIAN);
        assertEquals(1, notes.size());
        assertEquals("A", notes.get(0).name());
    }

    @Test
    void noteOverrunningItsSegmentFailsClearly() {
        ByteBuffer b = ByteBuffer.allocate(20).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(5).putInt(100).putInt(1).put("CORE".getBytes(StandardCharsets.US_ASCII)).put((byte) 0);
        FormatException e = assertThrows(FormatException.class, () -> ElfNote.readAll(b.clear(),
                ByteOrder.LITTLE_ENDIAN));
        assertTrue(e.getMessage().contains("overruns"), e.getMessage());
    }

    @Test
    void noteWithAHugeNameSizeFailsClearly() {
        ByteBuffer b = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0x7ffffffd).putInt(4).putInt(1);
        FormatException e = assertThrows(FormatException.class, () -> ElfNote.readAll(b.clear(),
                ByteOrder.LITTLE_ENDIAN));
        assertTrue(e.getMessage().contains("overruns"), e.getMessage());
        b.clear();
        b.putInt(5).putInt(0x7ffffffe).putInt(1);
        e = assertThrows(FormatException.class, () -> ElfNote.readAll(b.clear(), ByteOrder.LITTLE_ENDIAN));
        assertTrue(e.getMessage().contains("overruns"), e.getMessage());
    }

    /** Registers 0x0101010101010101 * (i + 1) in x86_64 pr_reg order: each recognisable at its offset. */
    private static CpuState x86Cpu(int index) {
        long[] r = new long[27];
        for (int i = 0; i < r.length; i++) {
            r[i] = 0x0101010101010101L * (i + 1) + index;
        }
        return new CpuState(Architecture.X86_64, index, r, new byte[0]);
    }

    private static void putLe(byte[] b, int at, long v, int size) {
        for (int i = 0; i < size; i++) {
            b[at + i] = (byte) (v >>> (8 * i));
        }
    }

    @Test
    void prstatusX86_64Is336BytesWithRegistersAtTheDocumentedOffsets() throws FormatException {
        CpuState cpu = x86Cpu(3);
        byte[] desc = ElfPrstatus.of(cpu, 4);
        assertEquals(336, desc.length);
        byte[] expected = new byte[336];
        putLe(expected, 0x20, 4, 4);                           // pr_pid @32
        String[] order = {"r15", "r14", "r13", "r12", "rbp", "rbx", "r11", "r10", "r9", "r8", "rax", "rcx", "rdx",
            "rsi", "rdi", "orig_rax", "rip", "cs", "eflags", "rsp", "ss", "fs_base", "gs_base", "ds", "es", "fs",
            "gs"};
        for (int i = 0; i < order.length; i++) {
            putLe(expected, 112 + 8 * i, cpu.get(order[i]), 8);     // pr_reg @112
        }
        // pr_fpvalid @328 and the tail stay zero.
        assertArrayEquals(expected, desc);
        assertEquals(0x1111111111111111L + 3, ByteBuffer.wrap(desc).order(ByteOrder.LITTLE_ENDIAN).getLong(240),
                "rip, the 17th register, at 112 + 16 * 8");
        assertEquals(0x1414141414141414L + 3, ByteBuffer.wrap(desc).order(ByteOrder.LITTLE_ENDIAN).getLong(264),
                "rsp at 264");
        assertEquals(4, ElfPrstatus.pid(desc, Architecture.X86_64));
        assertArrayEquals(cpu.registers(), ElfPrstatus.registers(desc, Architecture.X86_64, new long[27]));
    }

    @Test
    void prstatusTooShortFailsClearly() {
        FormatException e = assertThrows(FormatException.class,
                () -> ElfPrstatus.registers(new byte[200], Architecture.X86_64, new long[27]));
        assertTrue(e.getMessage().contains("too short"), e.getMessage());
    }

    @Test
    void synthesizedVmcoreinfoText() {
        KernelInfo k = new KernelInfo("6.1.0-test", 0xffffffff81000000L + 0x1e00000, 0x1000000 + 0x1e00000,
                0x2000000, 0x1e00000, "");
        String text = Vmcoreinfo.synthesize(Architecture.X86_64, k, Instant.ofEpochSecond(1767225600L));
        assertEquals(""
                + "OSRELEASE=6.1.0-test\n"
                + "BUILD-ID=0000000000000000000000000000000000000000\n"
                + "PAGESIZE=4096\n"
                + "SYMBOL(init_uts_ns)=ffffffff84815380\n"
                + "SYMBOL(_stext)=ffffffff82e00000\n"
                + "SYMBOL(swapper_pg_dir)=ffffffff8460a000\n"
                + "SYMBOL(node_online_map)=ffffffff8494f4a0\n"
                + "NUMBER(phys_base)=0\n"
                + "NUMBER(pgtable_l5_enabled)=0\n"
                + "KERNELOFFSET=1e00000\n"
                + "CRASHTIME=1767225600\n", text);
        var parsed = Vmcoreinfo.parse(text);
        assertEquals("4096", parsed.get("PAGESIZE"));
        assertEquals("ffffffff8460a000", parsed.get("SYMBOL(swapper_pg_dir)"));
    }

    @Test
    void mergedNotesAreEveryCpusPrstatusThenVmcoreinfoWithNoTerminator() throws FormatException {
        List<ElfNote> notes = List.of(new ElfNote("CORE", 1, ElfPrstatus.of(x86Cpu(0), 1)),
                new ElfNote("CORE", 1, ElfPrstatus.of(x86Cpu(1), 2)),
                new ElfNote("VMCOREINFO", 0, "A=1\n".getBytes(StandardCharsets.US_ASCII)));
        ByteBuffer merged = CoreNotes.encode(notes, Architecture.X86_64);
        assertEquals(2 * (12 + 8 + 336) + 12 + 12 + 4, merged.remaining());
        ByteBuffer le = merged.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(5, le.getInt(0));
        assertEquals(336, le.getInt(4));
        assertEquals(1, le.getInt(8));
        assertEquals(2, le.getInt(356 + 12 + 8 + 0x20), "second CPU's pr_pid");
        assertEquals(11, le.getInt(712));
        List<ElfNote> back = ElfNote.readAll(merged, ByteOrder.LITTLE_ENDIAN);
        assertEquals(3, back.size());
        assertEquals("VMCOREINFO", back.get(2).name());
    }
}
