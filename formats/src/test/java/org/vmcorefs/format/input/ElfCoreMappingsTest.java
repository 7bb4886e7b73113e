package org.vmcorefs.format.input;

import org.vmcorefs.format.FormatException;
import org.vmcorefs.format.struct.CoreNotes;
import org.vmcorefs.format.struct.Elf64Ehdr;
import org.vmcorefs.format.struct.Elf64Phdr;
import org.vmcorefs.format.struct.ElfNote;
import org.vmcorefs.format.struct.ElfPrstatus;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vmcorefs.machine.Architecture;
import org.vmcorefs.machine.CpuState;
import org.vmcorefs.machine.CrashedSystem;
import org.vmcorefs.machine.KernelInfo;
import org.vmcorefs.machine.MemoryRange;

/** ElfCoreReader on small cores shaped like the kernel's /proc/vmcore and QEMU's dumps, with and without paging. */
class ElfCoreMappingsTest {
    private static final Architecture X86 = Architecture.X86_64;
    private static final int MEMORY = 8 << 20;
    private static final long LINEAR = 0xffff8c3280000000L;
    private static final long KERNEL_MAP = 0xffffffff80000000L;
    private static final long PRESENT_RW = 0x3;
    private static final long PS = 0x80;

    @TempDir
    Path tmp;

    /** One PT_LOAD of the core to write: {@code size} bytes of physical memory at {@code paddr}. */
    private record Load(long vaddr, long paddr, long size) {
    }

    /** Physical memory [0, 8 MiB): a recognizable word everywhere, page tables where {@code tables} says. */
    private static ByteBuffer memory(ByteBuffer tables) {
        ByteBuffer m = ByteBuffer.allocate(MEMORY).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < MEMORY; i += 8) {
            m.putLong(i, 0x6d656d0000000000L | i);
        }
        if (tables != null) {
            m.put(0x100000, tables, 0, tables.capacity());
        }
        return m;
    }

    /**
     * Writes an x86_64 ELF core: the notes, then physical memory once; every PT_LOAD points into that one
     * copy at its p_paddr, as QEMU writes a paging dump.
     */
    private Path core(List<ElfNote> notes, List<Load> loads, ByteBuffer memory) throws Exception {
        ByteBuffer noteBytes = CoreNotes.encode(notes, X86);
        int phnum = 1 + loads.size();
        long notesAt = Elf64Ehdr.SIZE + (long) phnum * Elf64Phdr.SIZE;
        long memoryAt = notesAt + noteBytes.remaining();
        ByteBuffer head = ByteBuffer.allocate((int) memoryAt);
        new Elf64Ehdr(ByteOrder.LITTLE_ENDIAN, Elf64Ehdr.ET_CORE, 62, 0, Elf64Ehdr.SIZE, 0, 0, phnum, 0, 0)
                .writeTo(head);
        new Elf64Phdr(Elf64Phdr.PT_NOTE, 0, notesAt, 0, 0, noteBytes.remaining(), noteBytes.remaining(), 0)
                .writeTo(head, ByteOrder.LITTLE_ENDIAN);
        for (Load l : loads) {
            new Elf64Phdr(Elf64Phdr.PT_LOAD, Elf64Phdr.PF_RWX, memoryAt + l.paddr(), l.vaddr(), l.paddr(), l.size(),
                    l.size(), 0).writeTo(head, ByteOrder.LITTLE_ENDIAN);
        }
        head.put(noteBytes).flip();
        Path p = tmp.resolve("core" + System.nanoTime());
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ch.write(head, 0);
            ch.write(memory.duplicate().clear(), memoryAt);
        }
        return p;
    }

    private final List<FileChannel> open = new ArrayList<>();

    @AfterEach
    void close() throws Exception {
        for (FileChannel ch : open) {
            ch.close();
        }
    }

    /** The crashed system in core {@code p}; its memory reads the file until the test ends. */
    private CrashedSystem read(Path p) throws Exception {
        FileChannel ch = FileChannel.open(p, StandardOpenOption.READ);
        open.add(ch);
        return ElfCoreReader.read(ImageFile.of(p, ch));
    }

    private static ElfNote prstatus(int index, int pid, long rip) {
        long[] regs = new long[X86.registerNames().size()];
        regs[X86.registerIndex("rip")] = rip;
        return new ElfNote(ElfNote.CORE, ElfNote.NT_PRSTATUS, ElfPrstatus.of(new CpuState(X86, index, regs,
                new byte[0]), pid));
    }

    private static ElfNote vmcoreinfo(String text) {
        return new ElfNote(ElfNote.VMCOREINFO, ElfNote.NT_VMCOREINFO, text.getBytes(StandardCharsets.US_ASCII));
    }

    private static byte[] bytes(CrashedSystem s, long address, int length) throws Exception {
        ByteBuffer b = ByteBuffer.allocate(length);
        s.memory().read(address, b);
        return b.array();
    }

    private static byte[] bytes(ByteBuffer memory, long address, int length) {
        byte[] b = new byte[length];
        memory.get((int) address, b);
        return b;
    }

    @Test
    void aKernelVmcoreKeepsItsTextSegmentLinearMapAndPids() throws Exception {
        long linear = 0xffff889e80000000L;
        ByteBuffer mem = memory(null);
        Path p = core(List.of(prstatus(0, 7, 0xffffffff81234567L), prstatus(1, 0, 0xffffffff81000042L),
                vmcoreinfo("OSRELEASE=6.1.0-test\nPAGESIZE=4096\nCRASHTIME=1795415009\n")),
                List.of(new Load(0xffffffff81200000L, 0x200000, 0x100000), new Load(linear + 0x1000, 0x1000, 0x9ec00),
                        new Load(linear + 0x100000, 0x100000, MEMORY - 0x100000)), mem);
        CrashedSystem s = read(p);
        KernelInfo k = s.kernel();
        assertEquals(0xffffffff81200000L, k.textVirtual());
        assertEquals(0x200000, k.textPhysical());
        assertEquals(0x100000, k.textSize());
        assertEquals(linear, k.directMapBase(), "the dump's own p_vaddr - p_paddr");
        assertEquals("6.1.0-test", k.osRelease());
        assertEquals(List.of(7, 0), s.cpus().stream().map(CpuState::pid).toList(), "pr_pid as the kernel wrote it");
        assertEquals(0xffffffff81000042L, s.cpus().get(1).get("rip"));
        assertEquals(List.of(new MemoryRange(0x1000, 0x9ec00), new MemoryRange(0x100000, MEMORY - 0x100000)), s.ram(),
                "the text segment is a view of RAM, not more RAM");
        assertArrayEquals(bytes(mem, 0x212340, 4096), bytes(s, 0x212340, 4096));
    }

    /**
     * Page tables of a KASLR kernel: text _stext 0xffffffff83000000 at physical 4 MiB, mapped with two 2 MiB
     * entries (the second split into 4 KiB pages, as freed init memory leaves it) then nothing; the linear
     * map at {@link #LINEAR} as one 1 GiB page. The top table is at physical 1 MiB.
     */
    private static ByteBuffer kaslrPageTables() {
        ByteBuffer t = ByteBuffer.allocate(5 * 4096).order(ByteOrder.LITTLE_ENDIAN);
        long pgd = 0x100000;
        long pudLinear = 0x101000;
        long pudKernel = 0x102000;
        long pmdKernel = 0x103000;
        long pte = 0x104000;
        long text = 0xffffffff83000000L;
        t.putLong((int) (index(LINEAR, 39) * 8), pudLinear | PRESENT_RW);
        t.putLong((int) (pudLinear - pgd + index(LINEAR, 30) * 8), PS | PRESENT_RW);
        t.putLong((int) (index(text, 39) * 8), pudKernel | PRESENT_RW);
        t.putLong((int) (pudKernel - pgd + index(text, 30) * 8), pmdKernel | PRESENT_RW);
        t.putLong((int) (pmdKernel - pgd + index(text, 21) * 8), 0x400000 | PS | PRESENT_RW);
        t.putLong((int) (pmdKernel - pgd + (index(text, 21) + 1) * 8), pte | PRESENT_RW);
        for (int i = 0; i < 512; i += 2) {
            t.putLong((int) (pte - pgd + i * 8), (0x600000 + i * 4096L) | PRESENT_RW);
        }
        return t;
    }

    private static long index(long vaddr, int shift) {
        return (vaddr >>> shift) & 511;
    }

    private static String qemuVmcoreinfo() {
        long physBase = 0x400000 - (0xffffffff83000000L - KERNEL_MAP);
        return "OSRELEASE=6.1.0-test\nPAGESIZE=4096\nSYMBOL(_stext)=ffffffff83000000\n"
                + "SYMBOL(swapper_pg_dir)=" + Long.toHexString(KERNEL_MAP + 0x100000 - physBase) + "\n"
                + "NUMBER(phys_base)=" + physBase + "\nNUMBER(pgtable_l5_enabled)=0\nKERNELOFFSET=2000000\n";
    }

    @Test
    void aQemuDumpGetsItsKernelMappingsFromThePageTables() throws Exception {
        ByteBuffer mem = memory(kaslrPageTables());
        List<ElfNote> notes = new ArrayList<>(List.of(prstatus(0, 1, 1), prstatus(1, 2, 2)));
        notes.add(new ElfNote("QEMU", 0, new byte[0x1b8]));
        notes.add(vmcoreinfo(qemuVmcoreinfo()));
        Path p = core(notes, List.of(new Load(0, 0, 0xa0000), new Load(0xc0000, 0xc0000, MEMORY - 0xc0000)), mem);
        KernelInfo k = read(p).kernel();
        assertEquals(0xffffffff83000000L, k.textVirtual());
        assertEquals(0x400000, k.textPhysical());
        assertEquals(0x400000, k.textSize(), "mapped up to the first empty PMD");
        assertEquals(LINEAR, k.directMapBase());
    }

    @Test
    void withoutUsablePageTablesTheDefaultsStay() throws Exception {
        ByteBuffer mem = memory(null);
        Path p = core(List.of(prstatus(0, 1, 1), vmcoreinfo(qemuVmcoreinfo())),
                List.of(new Load(0, 0, MEMORY)), mem);
        KernelInfo k = read(p).kernel();
        assertEquals(0x400000, k.textPhysical());
        assertEquals(MEMORY - 0x400000, k.textSize(), "64 MiB clipped to the RAM holding the text");
        assertEquals(0, k.directMapBase());
        assertEquals(X86.directMapBase(), k.directMapBase(X86));
    }

    @Test
    void aPagingDumpNamesThePhysicalPagesOfEveryMapping() throws Exception {
        ByteBuffer mem = memory(kaslrPageTables());
        Path p = core(List.of(prstatus(0, 1, 1), vmcoreinfo(qemuVmcoreinfo())), List.of(
                new Load(LINEAR, 0, 0xa0000), new Load(LINEAR + 0xc0000, 0xc0000, MEMORY - 0xc0000),
                new Load(0xffffffff83000000L, 0x400000, 0x200000), new Load(0xffffffff83200000L, 0x600000, 0x1000),
                new Load(0xffffc90000000000L, 0x7ff000, 0x1000)), mem);
        CrashedSystem s = read(p);
        assertEquals(List.of(new MemoryRange(0, 0xa0000), new MemoryRange(0xc0000, MEMORY - 0xc0000)), s.ram());
        assertEquals(LINEAR, s.kernel().directMapBase(), "from the page tables: the PT_LOADs disagree");
        assertEquals(0xffffffff83000000L, s.kernel().textVirtual());
        assertArrayEquals(bytes(mem, 0x3ff000, 0x401000), bytes(s, 0x3ff000, 0x401000));
    }

    @Test
    void pagingDumpsWithTwoContentsForOnePageAreRefused() throws Exception {
        ByteBuffer mem = memory(null);
        Path p = core(List.of(vmcoreinfo("OSRELEASE=x\n")), List.of(new Load(LINEAR, 0, 0x200000),
                new Load(0xffffc90000000000L, 0x100000, 0x1000)), mem);
        // Rewrite the second PT_LOAD's p_offset to other bytes of the file.
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer off = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            long phdr2 = Elf64Ehdr.SIZE + 2L * Elf64Phdr.SIZE;
            ch.read(off, phdr2 + 8);
            long offset = off.getLong(0);
            ch.write(off.clear().putLong(0, offset + 0x1000), phdr2 + 8);
        }
        FormatException e = assertThrows(FormatException.class, () -> read(p));
        assertTrue(e.getMessage().contains("two different file offsets"), e.getMessage());
    }

    @Test
    void aGarbledPhysBaseLeavesTheKernelMappingsUnknown() throws Exception {
        Path p = core(List.of(vmcoreinfo("OSRELEASE=x\nNUMBER(phys_base)=zz\nSYMBOL(_stext)=ffffffff81000000\n")),
                List.of(new Load(0, 0, MEMORY)), memory(kaslrPageTables()));
        KernelInfo k = read(p).kernel();
        assertEquals(0, k.textSize());
        assertEquals(0, k.directMapBase());
    }
}
