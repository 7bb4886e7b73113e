package org.vmcorefs.format.input;

import org.vmcorefs.format.FormatException;
import org.vmcorefs.format.struct.CoreNotes;
import org.vmcorefs.format.struct.Elf64Ehdr;
import org.vmcorefs.format.struct.Elf64Phdr;
import org.vmcorefs.format.struct.Elf64Shdr;
import org.vmcorefs.format.struct.ElfNote;
import org.vmcorefs.format.struct.ElfPrstatus;
import org.vmcorefs.format.view.Layout;
import org.vmcorefs.format.view.Reads;
import org.vmcorefs.format.view.VmcoreView;
import org.vmcorefs.format.view.VmcoreViewTest;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vmcorefs.machine.Architecture;
import org.vmcorefs.machine.CpuState;
import org.vmcorefs.machine.CrashedSystem;
import org.vmcorefs.machine.DumpException;
import org.vmcorefs.machine.Machine;
import org.vmcorefs.machine.MemoryRange;
import org.vmcorefs.machine.memory.PhysicalMemory;
import org.vmcorefs.machine.memory.SyntheticMemory;

/** ELF cores read back as crashed systems: vmcore round trips, QEMU-style cores, PN_XNUM, broken files. */
class ElfCoreReaderTest {
    @TempDir
    Path dir;

    private CrashedSystem read(Path file) throws DumpException, IOException {
        FileChannel ch = FileChannel.open(file, StandardOpenOption.READ);
        return ElfCoreReader.read(ImageFile.of(file, ch));
    }

    private static byte[] bytes(PhysicalMemory m, long address, int length) throws DumpException {
        ByteBuffer b = ByteBuffer.allocate(length);
        m.read(address, b);
        return b.array();
    }

    private Path write(String name, byte[] content) throws IOException {
        return Files.write(dir.resolve(name), content);
    }

    @Test
    void aRenderedVmcoreReadsBackAsTheSameSystem() throws Exception {
        Machine m = VmcoreViewTest.smallMachine();
        Layout layout = VmcoreView.layout(m);
        Path file = write("vmcore", Reads.render(layout, 1 << 20));
        CrashedSystem s = read(file);

        assertEquals(Architecture.X86_64, s.architecture());
        assertEquals(m.dumpRanges(), s.ram(), "the RAM PT_LOADs, the kernel text mapping set aside");
        assertEquals(m.kernel().textVirtual(), s.kernel().textVirtual());
        assertEquals(m.kernel().textPhysical(), s.kernel().textPhysical());
        assertEquals(m.kernel().textSize(), s.kernel().textSize());
        assertEquals(CoreNotes.vmcoreinfoText(m), s.kernel().vmcoreinfo());
        assertEquals("6.1.0-test", s.kernel().osRelease());
        assertEquals(Instant.ofEpochSecond(1700000000L), s.crashTime(), "from CRASHTIME");
        assertEquals(m.cpus().size(), s.cpus().size());
        for (int i = 0; i < m.cpus().size(); i++) {
            assertArrayEquals(m.cpus().get(i).registers(), s.cpus().get(i).registers(), "CPU " + i);
        }
        SyntheticMemory crash = VmcoreViewTest.CRASH_TIME;
        for (MemoryRange r : s.ram()) {
            byte[] got = bytes(s.memory(), r.start(), (int) r.size());
            for (int i = 0; i < got.length; i++) {
                if (got[i] != crash.byteAt(r.start() + i)) {
                    throw new AssertionError("replayed memory differs at 0x" + Long.toHexString(r.start() + i));
                }
            }
        }
    }

    /** An ELF core written here, as QEMU's dump-guest-memory lays one out: data packed after the notes. */
    static final class CoreBuilder {
        final List<Elf64Phdr> loads = new ArrayList<>();
        final List<byte[]> data = new ArrayList<>();
        final List<ElfNote> notes = new ArrayList<>();
        boolean xnum;

        CoreBuilder load(long paddr, long memsz, byte[] content) {
            loads.add(new Elf64Phdr(Elf64Phdr.PT_LOAD, 7, 0, paddr, paddr, content == null ? 0 : content.length,
                    memsz, 0));
            data.add(content);
            return this;
        }

        byte[] build() {
            int phnum = 1 + loads.size();
            boolean ext = xnum || phnum >= 0xffff;
            long headers = 64 + 56L * phnum + (ext ? 64 : 0);
            ByteBuffer n = CoreNotes.encode(notes, Architecture.X86_64);
            long cursor = headers + n.remaining();
            long total = cursor;
            for (byte[] d : data) {
                total += d == null ? 0 : d.length;
            }
            ByteBuffer b = ByteBuffer.allocate(Math.toIntExact(total)).order(ByteOrder.LITTLE_ENDIAN);
            new Elf64Ehdr(ByteOrder.LITTLE_ENDIAN, Elf64Ehdr.ET_CORE, 62, 0, 64, ext ? 64 + 56L * phnum : 0, 0,
                    ext ? Elf64Ehdr.PN_XNUM : phnum, ext ? 1 : 0, 0).writeTo(b);
            new Elf64Phdr(Elf64Phdr.PT_NOTE, 0, headers, 0, 0, n.remaining(), 0, 0).writeTo(b, ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < loads.size(); i++) {
                Elf64Phdr p = loads.get(i);
                byte[] d = data.get(i);
                long offset = d == null ? -1 : cursor;
                new Elf64Phdr(p.type(), p.flags(), offset, p.vaddr(), p.paddr(), p.filesz(), p.memsz(), 0)
                        .writeTo(b, ByteOrder.LITTLE_ENDIAN);
                if (d != null) {
                    b.put((int) cursor, d);
                    cursor += d.length;
                }
            }
            if (ext) {
                new Elf64Shdr(phnum).writeTo(b, ByteOrder.LITTLE_ENDIAN);
            }
            b.put((int) headers, n, 0, n.remaining());
            return b.array();
        }
    }

    private static byte[] pattern(int length, int tag) {
        byte[] b = new byte[length];
        for (int i = 0; i < length; i++) {
            b[i] = (byte) (tag + i * 3);
        }
        return b;
    }

    private static CpuState cpu(int index) {
        long[] r = new long[27];
        for (int i = 0; i < r.length; i++) {
            r[i] = 0x1000L * index + i;
        }
        return new CpuState(Architecture.X86_64, index, r, new byte[0]);
    }

    @Test
    void aQemuStyleCoreWithPackedDataPartialAndUnsavedSegments() throws Exception {
        CoreBuilder c = new CoreBuilder();
        c.notes.add(new ElfNote("CORE", 1, ElfPrstatus.of(cpu(0), 1)));
        c.notes.add(new ElfNote("CORE", 1, ElfPrstatus.of(cpu(1), 2)));
        c.notes.add(new ElfNote("QEMU", 0, new byte[0x1b0]));
        c.notes.add(new ElfNote("QEMU", 0, new byte[0x1b0]));
        c.notes.add(new ElfNote("VMCOREINFO", 0, "OSRELEASE=5.14.0\nPAGESIZE=4096\nCRASHTIME=1600000000\n"
                .getBytes(StandardCharsets.US_ASCII)));
        byte[] low = pattern(0xa0000, 1);
        byte[] partial = pattern(0x3001, 2);   // p_filesz 0x3001 < p_memsz 0x10000
        c.load(0, 0xa0000, low);
        c.load(0x100000, 0x10000, partial);
        c.load(0x200000, 0x8000, null);        // p_offset -1, p_filesz 0: not saved
        Path file = write("qemu.elf", c.build());
        CrashedSystem s = read(file);

        assertEquals(List.of(new MemoryRange(0, 0xa0000), new MemoryRange(0x100000, 0x10000),
                new MemoryRange(0x200000, 0x8000)), s.ram());
        assertArrayEquals(low, bytes(s.memory(), 0, 0xa0000));
        byte[] second = bytes(s.memory(), 0x100000, 0x10000);
        assertArrayEquals(partial, java.util.Arrays.copyOf(second, 0x3001));
        assertArrayEquals(new byte[0x10000 - 0x3001], java.util.Arrays.copyOfRange(second, 0x3001, 0x10000),
                "p_memsz beyond p_filesz reads as zeros");
        assertArrayEquals(new byte[0x8000], bytes(s.memory(), 0x200000, 0x8000), "an unsaved range reads as zeros");
        byte[] across = bytes(s.memory(), 0x9f000, 0x62000);
        assertArrayEquals(java.util.Arrays.copyOfRange(low, 0x9f000, 0xa0000), java.util.Arrays.copyOf(across, 0x1000));
        assertArrayEquals(java.util.Arrays.copyOf(partial, 0x1000), java.util.Arrays.copyOfRange(across, 0x61000,
                0x62000), "a read across a gap between PT_LOADs");
        assertEquals(2, s.cpus().size(), "one CPU per NT_PRSTATUS; the QEMU notes are not CPUs");
        assertArrayEquals(cpu(1).registers(), s.cpus().get(1).registers());
        assertEquals("5.14.0", s.kernel().osRelease());
        assertEquals(Instant.ofEpochSecond(1600000000L), s.crashTime());
        assertEquals(0, s.kernel().textSize(), "no text mapping and no phys_base: unknown");
    }

    @Test
    void extendedNumberingWith70000Loads() throws Exception {
        CoreBuilder c = new CoreBuilder();
        c.notes.add(new ElfNote("CORE", 1, ElfPrstatus.of(cpu(0), 1)));
        for (int i = 0; i < 70000; i++) {
            c.load(i * 4096L, 16, pattern(16, i));
        }
        Path file = write("xnum.elf", c.build());
        ElfCoreReader.Headers h = ElfCoreReader.readHeaders(file, FileChannel.open(file, StandardOpenOption.READ));
        assertEquals(Elf64Ehdr.PN_XNUM, h.ehdr().phnum());
        assertEquals(70001, h.phdrs().size());
        CrashedSystem s = read(file);
        assertEquals(70000, s.ram().size());
        for (int i : new int[] {0, 1, 65533, 65534, 65535, 69999}) {
            assertArrayEquals(pattern(16, i), bytes(s.memory(), i * 4096L, 16), "PT_LOAD " + i);
        }
        assertEquals(1, s.cpus().size());
    }

    // Broken files: each fails with a FormatException that names the file and says what is wrong.

    private void assertFormatError(byte[] content, String expectedInMessage) throws IOException {
        Path file = write("broken.elf", content);
        DumpException e = assertThrows(DumpException.class, () -> read(file));
        assertTrue(e instanceof FormatException, "a FormatException, not " + e.getClass().getSimpleName() + ": "
                + e.getMessage());
        assertTrue(e.getMessage().contains(file.toString()), "names the file: " + e.getMessage());
        assertTrue(e.getMessage().contains(expectedInMessage), "says '" + expectedInMessage + "': " + e.getMessage());
    }

    private static byte[] goodCore() {
        CoreBuilder c = new CoreBuilder();
        c.notes.add(new ElfNote("CORE", 1, ElfPrstatus.of(cpu(0), 1)));
        c.load(0, 0x2000, pattern(0x2000, 5));
        c.load(0x100000, 0x1000, pattern(0x1000, 6));
        return c.build();
    }

    private static byte[] patch(byte[] file, int offset, long value, int size) {
        byte[] b = file.clone();
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < size; i++) {
            b[offset + i] = (byte) (value >>> (8 * i));
        }
        return b;
    }

    @Test
    void truncatedFilesFailClearly() throws IOException {
        byte[] good = goodCore();
        assertFormatError(new byte[0], "too short");
        assertFormatError(java.util.Arrays.copyOf(good, 40), "too short");
        assertFormatError(java.util.Arrays.copyOf(good, 64 + 56), "truncated");     // program headers cut
        assertFormatError(java.util.Arrays.copyOf(good, 64 + 3 * 56 + 100), "truncated");  // notes cut
        assertFormatError(java.util.Arrays.copyOf(good, good.length - 1), "truncated");    // last PT_LOAD cut
    }

    @Test
    void corruptFilesFailClearly() throws IOException {
        byte[] good = goodCore();
        int ph1 = 64 + 56;   // the first PT_LOAD
        assertFormatError(patch(good, 0, 0x7f454c47, 4), "not an ELF");
        assertFormatError(patch(good, 4, 1, 1), "64-bit");
        assertFormatError(patch(good, 0x10, Elf64Ehdr.ET_EXEC, 2), "not a core file");
        assertFormatError(patch(good, 0x12, 2, 2), "unsupported ELF machine 2");
        assertFormatError(patch(good, 0x38, 0, 2), "no program headers");
        assertFormatError(patch(good, 0x38, Elf64Ehdr.PN_XNUM, 2), "PN_XNUM");
        assertFormatError(patch(good, 0x20, Long.MAX_VALUE - 8, 8), "program headers");
        assertFormatError(patch(good, ph1 + 0x20, 0x3000, 8), "bad PT_LOAD");                // filesz > memsz
        assertFormatError(patch(good, ph1 + 0x08, Long.MAX_VALUE - 0x100, 8), "truncated");  // p_offset overflows
        assertFormatError(patch(good, ph1 + 56 + 0x18, 0x1000, 8), "overlapping");          // PT_LOADs overlap
        assertFormatError(patch(good, 64 + 0x20, 12, 8), "overruns");                        // note cut inside
        byte[] noLoads = patch(patch(good, ph1, 6, 4), ph1 + 56, 6, 4);                     // both PT_PHDR now
        assertFormatError(noLoads, "no PT_LOAD");
    }
}
