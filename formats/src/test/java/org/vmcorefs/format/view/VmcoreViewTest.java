package org.vmcorefs.format.view;

import org.vmcorefs.format.FormatException;
import org.vmcorefs.format.struct.CoreNotes;
import org.vmcorefs.format.struct.Elf64Ehdr;
import org.vmcorefs.format.struct.Elf64Phdr;
import org.vmcorefs.format.struct.Elf64Shdr;
import org.vmcorefs.format.struct.ElfNote;
import org.vmcorefs.format.struct.ElfPrstatus;
import org.vmcorefs.format.struct.Vmcoreinfo;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.vmcorefs.machine.Architecture;
import org.vmcorefs.machine.CrashedSystem;
import org.vmcorefs.machine.DumpException;
import org.vmcorefs.machine.FaultInjection;
import org.vmcorefs.machine.mechanism.Kdump;
import org.vmcorefs.machine.KernelInfo;
import org.vmcorefs.machine.Machine;
import org.vmcorefs.machine.MemoryRange;
import org.vmcorefs.machine.memory.SyntheticMemory;
import org.vmcorefs.machine.synthetic.SyntheticSystem;

/** /proc/vmcore's layout, checked against a rendering built here from the spec and the reference memory. */
public class VmcoreViewTest {
    static final long PAGE = 4096;
    static final long DIRECT_MAP = 0xffff888000000000L;
    static final long TEXT_BASE = 0xffffffff81000000L;

    /**
     * The whole file as Linux 3.11+ lays it out (dump-interfaces.md section 1), written independently of
     * VmcoreView: headers page, notes page(s), then each load's whole pages from {@code memory}.
     */
    static byte[] expectedVmcore(byte[] notes, List<VmcoreView.Load> loads, SyntheticMemory memory) {
        int phnum = 1 + loads.size();
        long notesOffset = Layout.roundUp(64 + 56L * phnum, PAGE);
        long cursor = notesOffset + Layout.roundUp(notes.length, PAGE);
        long size = cursor;
        for (VmcoreView.Load l : loads) {
            size += Layout.roundUp(l.paddr() + l.size(), PAGE) - l.paddr() / PAGE * PAGE;
        }
        byte[] out = new byte[Math.toIntExact(size)];
        ByteBuffer h = ByteBuffer.wrap(out);
        Elf64Ehdr.core(ByteOrder.LITTLE_ENDIAN, 62, phnum).writeTo(h);
        new Elf64Phdr(Elf64Phdr.PT_NOTE, 0, notesOffset, 0, 0, notes.length, notes.length, 0)
                .writeTo(h, ByteOrder.LITTLE_ENDIAN);
        System.arraycopy(notes, 0, out, (int) notesOffset, notes.length);
        for (VmcoreView.Load l : loads) {
            long chunkStart = l.paddr() / PAGE * PAGE;
            long chunkSize = Layout.roundUp(l.paddr() + l.size(), PAGE) - chunkStart;
            new Elf64Phdr(Elf64Phdr.PT_LOAD, 7, cursor + l.paddr() % PAGE, l.vaddr(), l.paddr(), l.size(), l.size(),
                    0).writeTo(h, ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < chunkSize; i++) {
                out[(int) cursor + i] = memory.byteAt(chunkStart + i);
            }
            cursor += chunkSize;
        }
        return out;
    }

    @ParameterizedTest(name = "PT_LOADs of {0} bytes")
    @ValueSource(ints = {1, 2, 8, 128, 4096, 8192})
    void anyReadIsASliceOfTheWholeFile(int size) throws DumpException {
        SyntheticMemory memory = new SyntheticMemory(12, 1.0);
        List<VmcoreView.Load> loads = new ArrayList<>();
        // Starts at, just after, in the middle of and just before a page boundary; a text mapping first.
        long[] paddrs = {0x1000000, 0x0, 0x10001, 0x20800, 0x30fff, 0x41000 - size % 4096, 0x60007};
        for (int k = 0; k < paddrs.length; k++) {
            long vaddr = k == 0 ? TEXT_BASE : DIRECT_MAP + paddrs[k];
            loads.add(new VmcoreView.Load(vaddr, paddrs[k], size));
        }
        byte[] notes = new byte[size * 3 + 4];
        for (int i = 0; i < notes.length; i++) {
            notes[i] = (byte) (i * 7 + 1);
        }
        Layout layout = VmcoreView.layout(Architecture.X86_64, ByteBuffer.wrap(notes), loads, memory, 0);
        byte[] expected = expectedVmcore(notes, loads, memory);
        assertArrayEquals(expected, Reads.render(layout, 1 << 20));
        Reads.assertAnyReadIsASlice(layout, expected, size);
    }

    /** A small x86_64 kdump machine: 640 KiB + 7 MiB of RAM, a 1 MiB crashkernel, a 1 MiB kernel image. */
    static final long SEED = 33;
    static final MemoryRange CRASHKERNEL = new MemoryRange(0x600000, 0x100000);
    public static final SyntheticMemory CRASH_TIME = new SyntheticMemory(SEED, 1.0);
    static final SyntheticMemory CAPTURE = new SyntheticMemory(SEED ^ 0x5a5a, 1.0);

    public static Machine smallMachine() {
        List<MemoryRange> ram = List.of(new MemoryRange(0, 0xa0000), MemoryRange.ofEnd(0x100000, 0x800000));
        KernelInfo kernel = new KernelInfo("6.1.0-test", TEXT_BASE + 0x200000, 0x200000, 0x100000, 0x200000, "");
        List<org.vmcorefs.machine.CpuState> cpus = SyntheticSystem.x86_64(64 << 20, 3, CRASH_TIME, 0, Instant.EPOCH)
                .cpus();
        CrashedSystem s = new CrashedSystem(Architecture.X86_64, ram, CRASH_TIME, cpus, kernel,
                Instant.ofEpochSecond(1700000000L), "test");
        return Kdump.build("x86_64-kdump", s, CRASHKERNEL, CAPTURE, FaultInjection.NONE);
    }

    @Test
    void kdumpMachinesVmcoreIsTheSpecLayoutOfTheCrashTimeMemory() throws DumpException {
        Machine m = smallMachine();
        List<VmcoreView.Load> loads = List.of(
                new VmcoreView.Load(TEXT_BASE + 0x200000, 0x200000, 0x100000),
                new VmcoreView.Load(DIRECT_MAP, 0, 0xa0000),
                new VmcoreView.Load(DIRECT_MAP + 0x100000, 0x100000, 0x500000),
                new VmcoreView.Load(DIRECT_MAP + 0x700000, 0x700000, 0x100000));
        assertEquals(loads, VmcoreView.loads(m), "kernel text first, then RAM without the crashkernel region");
        ByteBuffer notes = CoreNotes.encode(CoreNotes.of(m), Architecture.X86_64);
        byte[] noteBytes = new byte[notes.remaining()];
        notes.get(noteBytes);
        Layout layout = VmcoreView.layout(m);
        byte[] expected = expectedVmcore(noteBytes, loads, CRASH_TIME);
        assertArrayEquals(expected, Reads.render(layout, 128 * 1024));
        Reads.assertAnyReadIsASlice(layout, expected, 5);
    }

    @Test
    void theFirst640KiBAreTheCrashTimeBytesReadThroughTheBackup() throws DumpException {
        Machine m = smallMachine();
        Layout layout = VmcoreView.layout(m);
        assertEquals(0, m.savedArea().counters().requests(), "building the view reads no memory");
        long offset = 0x2000 + 0x100000;   // header page, notes page, the kernel text's pages
        ByteBuffer b = ByteBuffer.allocate(0xa0000);
        layout.read(offset, b);
        for (int i = 0; i < 0xa0000; i++) {
            if (b.get(i) != CRASH_TIME.byteAt(i)) {
                throw new AssertionError("vmcore byte for physical 0x" + Integer.toHexString(i) + " differs");
            }
        }
        assertEquals(160, m.savedArea().counters().blocks());
        layout.read(offset + 0xa0000 + 0x123456, ByteBuffer.allocate(4096));
        assertEquals(160, m.savedArea().counters().blocks(), "a read above the backup fetches nothing more");
    }

    @Test
    void notesAreOnePrstatusPerCpuThenVmcoreinfo() throws DumpException, FormatException {
        Machine m = smallMachine();
        Layout layout = VmcoreView.layout(m);
        ByteBuffer head = ByteBuffer.allocate(8192).order(ByteOrder.LITTLE_ENDIAN);
        layout.read(0, head);
        Elf64Phdr note = Elf64Phdr.readFrom(head.position(64), ByteOrder.LITTLE_ENDIAN);
        assertEquals(Elf64Phdr.PT_NOTE, note.type());
        assertEquals(4096, note.offset(), "the page after the headers");
        List<ElfNote> notes = ElfNote.readAll(head.slice(4096, (int) note.filesz()), ByteOrder.LITTLE_ENDIAN);
        assertEquals(4, notes.size());
        for (int cpu = 0; cpu < 3; cpu++) {
            assertEquals("CORE", notes.get(cpu).name());
            assertEquals(ElfNote.NT_PRSTATUS, notes.get(cpu).type());
            assertEquals(336, notes.get(cpu).desc().length);
            assertEquals(cpu + 1, ElfPrstatus.pid(notes.get(cpu).desc(), Architecture.X86_64));
            assertArrayEquals(m.cpus().get(cpu).registers(),
                    ElfPrstatus.registers(notes.get(cpu).desc(), Architecture.X86_64, new long[27]));
        }
        assertEquals("VMCOREINFO", notes.get(3).name());
        String info = new String(notes.get(3).desc(), StandardCharsets.US_ASCII);
        assertEquals("6.1.0-test", Vmcoreinfo.parse(info).get("OSRELEASE"));
        assertEquals("1700000000", Vmcoreinfo.parse(info).get("CRASHTIME"));
    }

    @Test
    void moreThan65534ProgramHeadersUseExtendedNumbering() throws DumpException {
        List<VmcoreView.Load> loads = new ArrayList<>();
        for (long i = 0; i < 70000; i++) {
            loads.add(new VmcoreView.Load(DIRECT_MAP + i * 8192, i * 8192, 4096));
        }
        Layout layout = VmcoreView.layout(Architecture.X86_64, ByteBuffer.wrap(new byte[20]), loads,
                CRASH_TIME, 0);
        long headerSize = 64 + 56L * 70001 + 64;
        ByteBuffer head = ByteBuffer.allocate((int) headerSize).order(ByteOrder.LITTLE_ENDIAN);
        layout.read(0, head);
        Elf64Ehdr ehdr = Elf64Ehdr.readFrom(head.flip());
        assertEquals(Elf64Ehdr.PN_XNUM, ehdr.phnum());
        assertEquals(64 + 56L * 70001, ehdr.shoff());
        assertEquals(1, ehdr.shnum());
        assertEquals(70001, Elf64Shdr.readFrom(head.position((int) ehdr.shoff()), ByteOrder.LITTLE_ENDIAN).info());
        long notesOffset = Layout.roundUp(headerSize, PAGE);
        Elf64Phdr last = Elf64Phdr.readFrom(head.position(64 + 56 * 70000), ByteOrder.LITTLE_ENDIAN);
        assertEquals(69999L * 8192, last.paddr());
        assertEquals(notesOffset + PAGE + 69999L * 4096, last.offset());
        assertEquals(last.offset() + 4096, layout.size());
    }
}
