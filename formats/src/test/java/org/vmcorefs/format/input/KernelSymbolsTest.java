package org.vmcorefs.format.input;

import org.vmcorefs.format.FormatException;
import org.vmcorefs.format.struct.CoreNotes;
import org.vmcorefs.format.struct.Elf64Ehdr;
import org.vmcorefs.format.struct.Elf64Phdr;
import org.vmcorefs.format.struct.ElfNote;
import org.vmcorefs.format.struct.ElfPrstatus;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
import java.util.OptionalLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vmcorefs.machine.Architecture;
import org.vmcorefs.machine.CpuState;
import org.vmcorefs.machine.CrashedSystem;
import org.vmcorefs.machine.KernelInfo;

/** KernelSymbols and Btf on small vmlinux files built here, and the replay they complete (KernelLayout). */
class KernelSymbolsTest {
    private static final Architecture X86 = Architecture.X86_64;
    private static final int MEMORY = 8 << 20;
    private static final long KERNEL_MAP = 0xffffffff80000000L;
    private static final long LINEAR = 0xffff8c3280000000L;
    private static final long PRESENT_RW = 0x3;
    private static final long PS = 0x80;
    /** The test kernel: linked at 0xffffffff81000000, KASLR moves it by 0x2000000, to physical 4 MiB. */
    private static final long TEXT = 0xffffffff81000000L;
    private static final long KASLR = 0x2000000;
    private static final long END = TEXT + 0x2a3000;
    private static final long PER_CPU_OFFSET = TEXT + 0x100000;
    private static final long INIT_TASK = TEXT + 0x200000;
    private static final long CURRENT_TASK = 0x1fb80;

    @TempDir
    Path tmp;

    private final List<FileChannel> open = new ArrayList<>();

    @AfterEach
    void close() throws Exception {
        for (FileChannel ch : open) {
            ch.close();
        }
    }

    private TestVmlinux x86Vmlinux() {
        return new TestVmlinux(62, ByteOrder.LITTLE_ENDIAN).symbol("_text", TEXT).symbol("_stext", TEXT)
                .local("_end", 0x1234).symbol("_end", END).symbol("__per_cpu_offset", PER_CPU_OFFSET)
                .symbol("__per_cpu_start", 0).symbol("__per_cpu_end", 0x30000)
                .symbol("current_task", CURRENT_TASK).symbol("init_task", INIT_TASK)
                .symbol("unrelated_symbol", 42).local("runqueues", 0x31c40);
    }

    @Test
    void readsTheWantedSymbolsGlobalBeforeLocal() throws Exception {
        KernelSymbols s = KernelSymbols.read(x86Vmlinux().write(tmp.resolve("vmlinux")));
        assertEquals(X86, s.architecture());
        assertEquals(OptionalLong.of(TEXT), s.symbol("_text"));
        assertEquals(OptionalLong.of(END), s.symbol("_end"), "the global _end, not the local one before it");
        assertEquals(OptionalLong.of(0x31c40), s.symbol("runqueues"), "a local symbol when there is no global one");
        assertEquals(OptionalLong.of(CURRENT_TASK), s.symbol("current_task"));
        assertEquals(OptionalLong.empty(), s.symbol("__entry_task"));
        assertEquals(OptionalLong.empty(), s.symbol("unrelated_symbol"), "only the wanted symbols are kept");
        assertEquals(TestVmlinux.BUILD_ID, s.buildId());
    }

    @Test
    void readsAnElf32VmlinuxOfI386() throws Exception {
        // i386's vmlinux: ELF32, 16-byte Elf32_Sym (value before info), 40-byte section headers.
        KernelSymbols s = KernelSymbols.read(new TestVmlinux(3, ByteOrder.LITTLE_ENDIAN).elf32()
                .symbol("_text", 0xc1000000L).local("_end", 0x1234).symbol("_end", 0xc2345000L)
                .symbol("current_task", 0xc2200040L).symbol("unrelated_symbol", 42)
                .write(tmp.resolve("vmlinux-i386")));
        assertEquals(org.vmcorefs.machine.Architecture.I386, s.architecture());
        assertEquals(OptionalLong.of(0xc1000000L), s.symbol("_text"), "32-bit values, unsigned");
        assertEquals(OptionalLong.of(0xc2345000L), s.symbol("_end"), "the global _end, not the local one before it");
        assertEquals(OptionalLong.of(0xc2200040L), s.symbol("current_task"));
        assertEquals(OptionalLong.empty(), s.symbol("unrelated_symbol"));
        assertEquals(OptionalLong.of(TestVmlinux.PID_OFFSET), s.offset("task_struct", "pid"));
        assertEquals(TestVmlinux.BUILD_ID, s.buildId());
    }

    @Test
    void readsStructOffsetsFromTheBtfThroughAnonymousMembers() throws Exception {
        KernelSymbols s = KernelSymbols.read(x86Vmlinux().write(tmp.resolve("vmlinux")));
        assertTrue(s.hasBtf());
        assertEquals(OptionalLong.of(TestVmlinux.PID_OFFSET), s.offset("task_struct", "pid"));
        assertEquals(OptionalLong.of(TestVmlinux.RQ_CURR_OFFSET), s.offset("rq", "curr"));
        assertEquals(OptionalLong.of(TestVmlinux.PCPU_HOT_CURRENT_OFFSET), s.offset("pcpu_hot", "current_task"),
                "inside an anonymous union and struct");
    }

    @Test
    void btfBitFieldsAndUnknownNames() throws Exception {
        for (ByteOrder order : List.of(ByteOrder.LITTLE_ENDIAN, ByteOrder.BIG_ENDIAN)) {
            Btf btf = Btf.read(ByteBuffer.wrap(TestVmlinux.btf(order)));
            assertEquals(8, btf.typeCount());
            assertEquals(OptionalLong.of(1), btf.memberOffset("bits", "whole"), "kind_flag: offset in the low 24 bits");
            assertEquals(OptionalLong.empty(), btf.memberOffset("bits", "flag"), "not on a byte boundary");
            assertEquals(OptionalLong.empty(), btf.memberOffset("task_struct", "no_such_member"));
            assertEquals(OptionalLong.empty(), btf.memberOffset("task", "pid"), "a prefix of a name is not the name");
            assertEquals(OptionalLong.of(TestVmlinux.PID_OFFSET), btf.memberOffset("task_struct", "pid"));
        }
    }

    @Test
    void badBtfIsRefused() {
        byte[] b = TestVmlinux.btf(ByteOrder.LITTLE_ENDIAN);
        b[0] = 0;
        assertThrows(FormatException.class, () -> Btf.read(ByteBuffer.wrap(b)));
        byte[] cut = java.util.Arrays.copyOf(TestVmlinux.btf(ByteOrder.LITTLE_ENDIAN), 40);
        assertThrows(FormatException.class, () -> Btf.read(ByteBuffer.wrap(cut)));
    }

    @Test
    void aVmlinuxWithoutSymbolsIsRefusedWithoutBtfItHasSymbolsOnly() throws Exception {
        Path stripped = x86Vmlinux().withoutSymtab().write(tmp.resolve("stripped"));
        FormatException e = assertThrows(FormatException.class, () -> KernelSymbols.read(stripped));
        assertTrue(e.getMessage().contains("no symbol table"), e.getMessage());
        KernelSymbols noBtf = KernelSymbols.read(x86Vmlinux().withoutBtf().write(tmp.resolve("nobtf")));
        assertFalse(noBtf.hasBtf());
        assertEquals(OptionalLong.of(END), noBtf.symbol("_end"));
        assertEquals(OptionalLong.empty(), noBtf.offset("task_struct", "pid"));
    }

    @Test
    void notAnElfOrAMissingFileIsRefused() throws Exception {
        Path text = tmp.resolve("text");
        java.nio.file.Files.writeString(text, "not a vmlinux at all, just some text to fill sixty-four bytes....");
        assertThrows(FormatException.class, () -> KernelSymbols.read(text));
        assertThrows(org.vmcorefs.machine.DumpException.class, () -> KernelSymbols.read(tmp.resolve("absent")));
    }

    // ---- the replay of a QEMU-style x86_64 core with the vmlinux ----

    private static long index(long vaddr, int shift) {
        return (vaddr >>> shift) & 511;
    }

    /**
     * Physical memory of the test kernel: page tables at 1 MiB mapping the text (runtime 0xffffffff83000000
     * at 4 MiB) with two 2 MiB pages and the linear map at {@link #LINEAR} with a 1 GiB page; per-CPU areas
     * at 7 MiB and 7.25 MiB whose current_task are init_task (the idle task, pid 0, in the image) and a task in
     * the linear map with pid 1234.
     */
    private static ByteBuffer memory() {
        ByteBuffer m = ByteBuffer.allocate(MEMORY).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < MEMORY; i += 8) {
            m.putLong(i, 0x6d656d0000000000L | i);
        }
        long text = TEXT + KASLR;
        int pgd = 0x100000;
        int pudLinear = 0x101000;
        int pudKernel = 0x102000;
        int pmdKernel = 0x103000;
        m.putLong(pgd + (int) index(LINEAR, 39) * 8, pudLinear | PRESENT_RW);
        m.putLong(pudLinear + (int) index(LINEAR, 30) * 8, PS | PRESENT_RW);
        m.putLong(pgd + (int) index(text, 39) * 8, pudKernel | PRESENT_RW);
        m.putLong(pudKernel + (int) index(text, 30) * 8, pmdKernel | PRESENT_RW);
        m.putLong(pmdKernel + (int) index(text, 21) * 8, 0x400000 | PS | PRESENT_RW);
        m.putLong(pmdKernel + (int) (index(text, 21) + 1) * 8, 0x600000 | PS | PRESENT_RW);
        for (int i = 2; i < 8; i++) {
            m.putLong(pmdKernel + (int) (index(text, 21) + i) * 8, 0);
        }
        long[] areas = {0x700000, 0x740000};
        int perCpuOffset = (int) (PER_CPU_OFFSET - TEXT + 0x400000);
        long idle = INIT_TASK + KASLR;
        long task = LINEAR + 0x780000;
        for (int cpu = 0; cpu < 2; cpu++) {
            m.putLong(perCpuOffset + cpu * 8, LINEAR + areas[cpu]);
            m.putLong((int) (areas[cpu] + CURRENT_TASK), cpu == 0 ? idle : task);
        }
        m.putInt((int) (INIT_TASK - TEXT + 0x400000) + TestVmlinux.PID_OFFSET, 0);
        m.putInt(0x780000 + TestVmlinux.PID_OFFSET, 1234);
        return m;
    }

    private static String vmcoreinfo(String buildId) {
        long physBase = 0x400000 - (TEXT + KASLR - KERNEL_MAP);
        return "OSRELEASE=6.1.0-test\nBUILD-ID=" + buildId + "\nPAGESIZE=4096\nSYMBOL(_stext)="
                + Long.toHexString(TEXT + KASLR) + "\nSYMBOL(swapper_pg_dir)="
                + Long.toHexString(KERNEL_MAP + 0x100000 - physBase) + "\nNUMBER(phys_base)=" + physBase
                + "\nNUMBER(pgtable_l5_enabled)=0\nKERNELOFFSET=" + Long.toHexString(KASLR) + "\n";
    }

    private static ElfNote prstatus(int index, int pid) {
        return new ElfNote(ElfNote.CORE, ElfNote.NT_PRSTATUS, ElfPrstatus.of(new CpuState(X86, index,
                new long[X86.registerNames().size()], new byte[0]), pid));
    }

    /** A QEMU-style core: p_vaddr = p_paddr, no text PT_LOAD; pr_pid = cpu + 1. */
    private Path qemuCore(String buildId, boolean kernelText) throws Exception {
        ByteBuffer noteBytes = CoreNotes.encode(List.of(prstatus(0, 1), prstatus(1, 2),
                new ElfNote(ElfNote.VMCOREINFO, 0, vmcoreinfo(buildId).getBytes(StandardCharsets.US_ASCII))), X86);
        int phnum = kernelText ? 3 : 2;
        long notesAt = Elf64Ehdr.SIZE + (long) phnum * Elf64Phdr.SIZE;
        long memoryAt = notesAt + noteBytes.remaining();
        ByteBuffer head = ByteBuffer.allocate((int) memoryAt);
        new Elf64Ehdr(ByteOrder.LITTLE_ENDIAN, Elf64Ehdr.ET_CORE, 62, 0, Elf64Ehdr.SIZE, 0, 0, phnum, 0, 0)
                .writeTo(head);
        new Elf64Phdr(Elf64Phdr.PT_NOTE, 0, notesAt, 0, 0, noteBytes.remaining(), noteBytes.remaining(), 0)
                .writeTo(head, ByteOrder.LITTLE_ENDIAN);
        if (kernelText) {
            new Elf64Phdr(Elf64Phdr.PT_LOAD, Elf64Phdr.PF_RWX, memoryAt + 0x400000, TEXT + KASLR, 0x400000, 0x100000,
                    0x100000, 0).writeTo(head, ByteOrder.LITTLE_ENDIAN);
        }
        new Elf64Phdr(Elf64Phdr.PT_LOAD, Elf64Phdr.PF_RWX, memoryAt, kernelText ? LINEAR : 0, 0, MEMORY, MEMORY, 0)
                .writeTo(head, ByteOrder.LITTLE_ENDIAN);
        head.put(noteBytes).flip();
        Path p = tmp.resolve("core" + System.nanoTime());
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ch.write(head, 0);
            ch.write(memory(), memoryAt);
        }
        return p;
    }

    private CrashedSystem read(Path core, KernelSymbols symbols) throws Exception {
        FileChannel ch = FileChannel.open(core, StandardOpenOption.READ);
        open.add(ch);
        return ElfCoreReader.read(ImageFile.of(core, ch), symbols);
    }

    private static List<Integer> pids(CrashedSystem s) {
        return s.cpus().stream().map(CpuState::pid).toList();
    }

    @Test
    void withTheVmlinuxTheTextEndsAtEndAndPrPidIsTheCurrentTask() throws Exception {
        Path core = qemuCore(TestVmlinux.BUILD_ID, false);
        KernelSymbols symbols = KernelSymbols.read(x86Vmlinux().write(tmp.resolve("vmlinux")));
        CrashedSystem s = read(core, symbols);
        KernelInfo k = s.kernel();
        assertEquals(TEXT + KASLR, k.textVirtual());
        assertEquals(0x400000, k.textPhysical());
        assertEquals(END - TEXT, k.textSize(), "[_text, _end), as the kernel's elfcorehdr has it");
        assertEquals(LINEAR, k.directMapBase());
        assertEquals(List.of(0, 1234), pids(s), "CPU 0 idle (init_task), CPU 1 running pid 1234");

        CrashedSystem without = read(core, null);
        assertEquals(0x400000, without.kernel().textSize(), "without: up to the first empty PMD, as before");
        assertEquals(List.of(1, 2), pids(without), "without: QEMU's cpu + 1");
    }

    @Test
    void theRuntimeQueueGivesTheCurrentTaskWithoutAPerCpuPointer() throws Exception {
        // No current_task: runqueues.curr. Put the rq of each CPU where current_task was, minus rq.curr's offset.
        Path core = qemuCore(TestVmlinux.BUILD_ID, false);
        TestVmlinux v = new TestVmlinux(62, ByteOrder.LITTLE_ENDIAN).symbol("_text", TEXT).symbol("_stext", TEXT)
                .symbol("_end", END).symbol("__per_cpu_offset", PER_CPU_OFFSET).symbol("__per_cpu_start", 0)
                .symbol("__per_cpu_end", 0x30000).symbol("runqueues", CURRENT_TASK - TestVmlinux.RQ_CURR_OFFSET);
        CrashedSystem s = read(core, KernelSymbols.read(v.write(tmp.resolve("vmlinux-rq"))));
        assertEquals(List.of(0, 1234), pids(s));
    }

    @Test
    void whatTheCurrentTasksCannotGiveLeavesTheDumpsPids() throws Exception {
        Path core = qemuCore(TestVmlinux.BUILD_ID, false);
        CrashedSystem s = read(core, KernelSymbols.read(x86Vmlinux().withoutBtf().write(tmp.resolve("v"))));
        assertEquals(List.of(1, 2), pids(s), "no task_struct.pid offset: the dump's pids stay");
        assertEquals(END - TEXT, s.kernel().textSize(), "the text segment needs only the symbols");
    }

    @Test
    void aKernelVmcoreIsLeftAsTheKernelWroteIt() throws Exception {
        Path core = qemuCore(TestVmlinux.BUILD_ID, true);
        CrashedSystem s = read(core, KernelSymbols.read(x86Vmlinux().write(tmp.resolve("vmlinux"))));
        assertEquals(0x100000, s.kernel().textSize(), "the elfcorehdr's own text segment");
        assertEquals(List.of(1, 2), pids(s), "the kernel's own pr_pid");
    }

    @Test
    void anotherKernelsVmlinuxIsRefused() throws Exception {
        Path core = qemuCore(TestVmlinux.BUILD_ID, false);
        KernelSymbols other = KernelSymbols.read(x86Vmlinux().buildId("ffffffffffffffffffffffffffffffffffffffff")
                .write(tmp.resolve("other")));
        FormatException e = assertThrows(FormatException.class, () -> read(core, other));
        assertTrue(e.getMessage().contains("build-id"), e.getMessage());
        KernelSymbols moved = KernelSymbols.read(new TestVmlinux(62, ByteOrder.LITTLE_ENDIAN)
                .symbol("_text", TEXT).symbol("_stext", TEXT + 0x1000).symbol("_end", END).write(tmp.resolve("m")));
        e = assertThrows(FormatException.class, () -> read(core, moved));
        assertTrue(e.getMessage().contains("_stext"), e.getMessage());
        KernelSymbols arm = KernelSymbols.read(new TestVmlinux(183, ByteOrder.LITTLE_ENDIAN)
                .symbol("_text", TEXT).symbol("_end", END).write(tmp.resolve("arm")));
        e = assertThrows(FormatException.class, () -> read(core, arm));
        assertTrue(e.getMessage().contains("aarch64") || e.getMessage().contains("arm64"), e.getMessage());
    }
}
