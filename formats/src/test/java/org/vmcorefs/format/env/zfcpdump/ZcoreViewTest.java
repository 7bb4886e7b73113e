package org.vmcorefs.format.env.zfcpdump;

import org.vmcorefs.format.DumpPaths;
import org.vmcorefs.format.MachineFactory;
import org.vmcorefs.format.MachineSpec;
import org.vmcorefs.format.env.CaptureEnvironment;
import org.vmcorefs.format.env.CaptureEnvironments;
import org.vmcorefs.format.struct.Elf64Ehdr;
import org.vmcorefs.format.struct.Elf64Phdr;
import org.vmcorefs.format.struct.ElfNote;
import org.vmcorefs.format.struct.S390DumpHeader;
import org.vmcorefs.format.struct.S390EndMarker;
import org.vmcorefs.format.view.DumpTree;
import org.vmcorefs.format.view.Layout;
import org.vmcorefs.format.view.LayoutFile;
import org.vmcorefs.format.view.VirtualFile;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vmcorefs.format.text.ZcoreHsaText;
import org.vmcorefs.format.text.ZcoreMemmapText;
import org.vmcorefs.machine.CpuState;
import org.vmcorefs.machine.DumpException;
import org.vmcorefs.machine.Errno;
import org.vmcorefs.machine.FaultInjection;
import org.vmcorefs.machine.Machine;
import org.vmcorefs.machine.MemoryRange;
import org.vmcorefs.machine.mechanism.S390SaveArea;
import org.vmcorefs.machine.memory.SavedArea;
import org.vmcorefs.machine.memory.SyntheticMemory;

/** The zfcpdump views against the model they are a pure function of, and zcore's kernel semantics. */
public class ZcoreViewTest {
    static final long MIB = 1L << 20;
    static final long SEED = 11;
    /** Holds the boot CPU's lowcore (8 MiB), so that register overlays meet SCLP. */
    static final long HSA = 12 * MIB;
    static final int[] LENGTHS = {1, 2, 8, 128, 4096, 8192, 3, 4095, 4097, 65536};

    public static Machine machine(FaultInjection faults) throws DumpException {
        MachineSpec spec = MachineSpec.synthetic(CaptureEnvironments.S390X_ZFCPDUMP, 64 * MIB, 3, SEED).withFaults(faults);
        return MachineFactory.create(spec.withOption("--hsa-size", Long.toString(HSA)));
    }

    /** The crashed system's byte at {@code address}, computed from the seed and the registers, not by vmcorefs' read path. */
    static byte expected(Machine m, long address) {
        List<CpuState> cpus = m.cpus();
        for (int i = 0; i < cpus.size(); i++) {
            List<Long> bases = i == 0 ? List.of(cpus.get(i).get("prefix"), 0L) : List.of(cpus.get(i).get("prefix"));
            for (long base : bases) {
                long off = address - base - S390SaveArea.BASE;
                for (MemoryRange f : S390SaveArea.REGISTER_FIELDS) {
                    if (off >= f.start() && off < f.end()) {
                        return S390SaveArea.of(cpus.get(i))[(int) off];
                    }
                }
            }
        }
        byte[] note = vmcoreinfoNote(m.kernel().vmcoreinfo());
        if (address >= 0xc00000 && address < 0xc00000 + note.length) {
            return note[(int) (address - 0xc00000)];
        }
        if (address >= 0xe0c && address < 0xe14) {
            return (byte) (0xc00000L >>> (8 * (0xe13 - address))); // the note's address, big-endian
        }
        return new SyntheticMemory(SEED, 1.0).byteAt(address);
    }

    /** The VMCOREINFO note as the kernel lays it out, encoded here by hand. */
    static byte[] vmcoreinfoNote(String text) {
        byte[] t = text.getBytes(StandardCharsets.US_ASCII);
        ByteBuffer b = ByteBuffer.allocate(12 + 12 + (t.length + 3) / 4 * 4);
        b.putInt(11).putInt(t.length).putInt(0).put("VMCOREINFO".getBytes(StandardCharsets.US_ASCII)).put(new byte[2]);
        return b.put(t).array();
    }

    /** Renders a layout segment by segment; segments that fail are recorded (with their errno) and left zero. */
    static byte[] render(Layout layout, List<Layout.Segment> failed, Errno expectErrno) {
        byte[] all = new byte[(int) layout.size()];
        for (Layout.Segment s : layout.segments()) {
            ByteBuffer b = ByteBuffer.wrap(all, (int) s.offset(), (int) s.length());
            try {
                assertEquals((int) s.length(), layout.read(s.offset(), b));
            } catch (DumpException e) {
                assertEquals(expectErrno, e.errno(), s.description());
                failed.add(s);
            }
        }
        return all;
    }

    static boolean touches(List<Layout.Segment> failed, long offset, long length) {
        return failed.stream().anyMatch(s -> offset < s.end() && s.offset() < offset + length);
    }

    /** Any (offset, length) read equals the same slice of the fully rendered file; reads touching failing parts fail. */
    static void checkSlices(Layout layout, byte[] all, List<Layout.Segment> failed) throws DumpException {
        SplittableRandom rnd = new SplittableRandom(5);
        List<Long> offsets = new ArrayList<>();
        for (Layout.Segment s : layout.segments()) {
            for (long d : new long[] {-8193, -4097, -4096, -129, -8, -2, -1, 0, 1, 7, 4095}) {
                offsets.add(s.offset() + d);
            }
        }
        for (int i = 0; i < 300; i++) {
            offsets.add(rnd.nextLong(layout.size()));
        }
        offsets.add(layout.size() - 1);
        for (long off : offsets) {
            if (off < 0 || off > layout.size()) {
                continue;
            }
            for (int len : LENGTHS) {
                ByteBuffer dst = ByteBuffer.allocate(len);
                int want = (int) Math.max(0, Math.min(len, layout.size() - off));
                if (touches(failed, off, want)) {
                    assertThrows(DumpException.class, () -> layout.read(off, dst), "read " + off + "+" + len);
                    continue;
                }
                assertEquals(want, layout.read(off, dst), "count at " + off + "+" + len);
                assertArrayEquals(java.util.Arrays.copyOfRange(all, (int) off, (int) off + want),
                        java.util.Arrays.copyOf(dst.array(), want), "bytes at " + off + "+" + len);
            }
        }
        assertEquals(0, layout.read(layout.size(), ByteBuffer.allocate(8)), "EOF at the size");
    }

    @Test
    void completeDumpSlicesAndModel() throws Exception {
        Machine m = machine(FaultInjection.NONE);
        Layout layout = ZcoreView.complete(m);
        List<Layout.Segment> failed = new ArrayList<>();
        byte[] all = render(layout, failed, null);
        assertTrue(failed.isEmpty());
        checkSlices(layout, all, failed);

        ByteBuffer b = ByteBuffer.wrap(all).order(ByteOrder.BIG_ENDIAN);
        S390DumpHeader h = S390DumpHeader.readFrom(b.duplicate());
        long end = m.system().endOfRam();
        assertEquals(end, h.memSize());
        assertEquals(end, h.memEnd());
        assertEquals(end / 4096, h.numPages());
        assertEquals(3, h.cpuCount());
        assertEquals(m.cpus().get(0).get("prefix"), h.lcVec()[0], "boot CPU first");
        assertEquals(4096 + end + 16, all.length);
        S390EndMarker em = S390EndMarker.readFrom(ByteBuffer.wrap(all, (int) (4096 + end), 16));
        assertTrue(em.tod() >= h.tod());
        SplittableRandom rnd = new SplittableRandom(9);
        for (MemoryRange r : m.system().ram()) {
            for (int i = 0; i < 2000; i++) {
                long a = r.start() + rnd.nextLong(r.size());
                assertEquals(expected(m, a), all[(int) (4096 + a)], "memory at 0x" + Long.toHexString(a));
            }
        }
        long holeStart = m.system().ram().get(0).end();
        for (long a = holeStart; a < m.system().ram().get(1).start(); a += 4093) {
            assertEquals(0, all[(int) (4096 + a)], "hole reads as zeros");
        }
        for (CpuState c : m.cpus()) {
            byte[] sa = S390SaveArea.of(c);
            long at = 4096 + c.get("prefix") + S390SaveArea.BASE;
            for (MemoryRange f : S390SaveArea.REGISTER_FIELDS) {
                for (long o = f.start(); o < f.end(); o++) {
                    assertEquals(sa[(int) o], all[(int) (at + o)], "CPU " + c.index() + " save area +" + o);
                }
            }
        }
    }

    @Test
    void zcoreMemSlicesHolesAndHeader() throws Exception {
        Machine m = machine(FaultInjection.NONE);
        Layout layout = ZcoreView.mem(m);
        List<Layout.Segment> failed = new ArrayList<>();
        byte[] all = render(layout, failed, Errno.EFAULT);
        assertEquals(1, failed.size(), "the hole fails as absent storage");
        checkSlices(layout, all, failed);
        S390DumpHeader h = S390DumpHeader.readFrom(ByteBuffer.wrap(all));
        assertEquals(m.system().ramSize(), h.memSize(), "zcore: mem_size is the RAM's size");
        assertEquals(m.system().endOfRam(), h.memEnd(), "zcore: mem_end is the end of RAM");
        assertEquals(4096 + m.system().endOfRam(), all.length, "no end marker");
        assertEquals(0, h.dumpLevel());
        assertEquals(3, h.realCpuCount());
    }

    @Test
    void vmcoreSlicesAndNotes() throws Exception {
        Machine m = machine(FaultInjection.NONE);
        Layout layout = ZcoreView.vmcore(m);
        List<Layout.Segment> failed = new ArrayList<>();
        byte[] all = render(layout, failed, null);
        checkSlices(layout, all, failed);
        ByteBuffer b = ByteBuffer.wrap(all);
        Elf64Ehdr e = Elf64Ehdr.readFrom(b.duplicate());
        assertEquals(ByteOrder.BIG_ENDIAN, e.order());
        assertEquals(22, e.machine());
        assertEquals(3, e.phnum(), "PT_NOTE and a PT_LOAD per RAM range");
        assertEquals(0x02, all[5], "ELFDATA2MSB");
        assertEquals(0x16, all[0x13], "e_machine 22, big-endian");
        Elf64Phdr note = Elf64Phdr.readFrom(b.duplicate().position(64), ByteOrder.BIG_ENDIAN);
        List<ElfNote> notes = ElfNote.readAll(ByteBuffer.wrap(all, (int) note.offset(), (int) note.filesz()),
                ByteOrder.BIG_ENDIAN);
        assertEquals(ElfNote.NT_PRPSINFO, notes.get(0).type());
        assertEquals(1 + 3 * 9 + 1, notes.size());
        assertEquals(ElfNote.VMCOREINFO, notes.get(notes.size() - 1).name());
        for (int i = 0; i < 2; i++) {
            Elf64Phdr load = Elf64Phdr.readFrom(b.duplicate().position(64 + 56 * (i + 1)), ByteOrder.BIG_ENDIAN);
            MemoryRange r = m.system().ram().get(i);
            assertEquals(r.start(), load.paddr());
            assertEquals(r.start(), load.vaddr());
            assertEquals(4096, load.align());
            SplittableRandom rnd = new SplittableRandom(i);
            for (int k = 0; k < 2000; k++) {
                long a = rnd.nextLong(r.size());
                assertEquals(expected(m, r.start() + a), all[(int) (load.offset() + a)]);
            }
        }
    }

    @Test
    void hsaReadsGoThroughSclpOncePerBlock() throws Exception {
        Machine m = machine(FaultInjection.NONE);
        Layout layout = ZcoreView.mem(m);
        ByteBuffer buf = ByteBuffer.allocate(1 << 20);
        for (long off = 0; off < 4096 + 16 * MIB; off += buf.capacity()) {
            buf.clear();
            layout.read(off, buf);
        }
        SavedArea.Counters c = m.savedArea().counters();
        assertEquals(HSA / 4096, c.blocks(), "every HSA block fetched");
        assertEquals(HSA / 4096, c.requests(), "each exactly once");
        assertEquals(HSA, c.bytes());
        assertEquals(0, c.failures());
    }

    @Test
    void nothingIsReadAtMountTime() throws Exception {
        Machine m = machine(FaultInjection.NONE);
        DumpTree t = CaptureEnvironment.of(m);
        assertTrue(t.file(DumpPaths.ZCORE_MEM).size() > 0);
        assertEquals(0, m.savedArea().counters().requests(), "building the views reads no HSA block");
    }

    @Test
    void failedSclpRequestsFailOnlyHsaReadsAndRetriesSucceed() throws Exception {
        Machine m = machine(new FaultInjection(0.3, 0, 3, false));
        Layout layout = ZcoreView.vmcore(m);
        long hsaAt = firstLoad(layout);
        byte[] want = new byte[8192];
        for (int i = 0; i < want.length; i++) {
            want[i] = expected(m, 0x3000 + i);
        }
        int failures = 0;
        ByteBuffer got = ByteBuffer.allocate(8192);
        for (int attempt = 0; ; attempt++) {
            got.clear();
            try {
                layout.read(hsaAt + 0x3000, got);
                break;
            } catch (DumpException e) {
                assertEquals(Errno.EIO, e.errno());
                failures++;
                if (attempt > 100) {
                    fail("never succeeded");
                }
            }
        }
        assertArrayEquals(want, got.array());
        for (int i = 0; i < 200; i++) {
            ByteBuffer high = ByteBuffer.allocate(65536);
            layout.read(hsaAt + HSA + i * 65536L, high);
        }
        assertEquals(failures, m.savedArea().counters().failures());
    }

    /** The file offset of the PT_LOAD of physical address 0. */
    static long firstLoad(Layout layout) {
        return layout.segments().stream().filter(s -> s.description().startsWith("PT_LOAD paddr 0x0 ")).findFirst()
                .orElseThrow().offset();
    }

    private static String text(VirtualFile f) throws DumpException {
        ByteBuffer b = ByteBuffer.allocate(4096);
        int n = f.read(0, b);
        return new String(b.array(), 0, n, StandardCharsets.US_ASCII);
    }

    private static DumpException fails(Errno errno, org.junit.jupiter.api.function.Executable e) {
        DumpException d = assertThrows(DumpException.class, e);
        assertEquals(errno, d.errno(), d.getMessage());
        return d;
    }

    @Test
    void zcoreControlFilesBehaveAsTheKernel() throws Exception {
        Machine m = machine(FaultInjection.NONE);
        DumpTree t = CaptureEnvironment.of(m);
        VirtualFile hsa = t.file(DumpPaths.ZCORE_HSA);
        assertEquals("c00000\n", text(hsa));
        assertEquals(0600, hsa.mode());
        assertEquals("0000000000000000 0000000003000000 0000000004000000 0000000001000000 ",
                text(t.file(DumpPaths.ZCORE_MEMMAP)));
        assertEquals(m.system().ram(), ZcoreMemmapText.parse(text(t.file(DumpPaths.ZCORE_MEMMAP))));
        assertEquals(m.savedArea().range().size(), ZcoreHsaText.parse(text(hsa)));
        fails(Errno.EPIPE, () -> hsa.write(1, ByteBuffer.wrap("0".getBytes())));
        fails(Errno.EINVAL, () -> hsa.write(0, ByteBuffer.wrap("1\n".getBytes())));
        VirtualFile mem = t.file(DumpPaths.ZCORE_MEM).open();
        fails(Errno.EINVAL, () -> mem.read(t.file(DumpPaths.ZCORE_MEM).size() + 1, ByteBuffer.allocate(8)));
        assertEquals(0, mem.read(t.file(DumpPaths.ZCORE_MEM).size(), ByteBuffer.allocate(8)));
        assertFalse(m.savedArea().released());
        assertEquals(2, hsa.write(0, ByteBuffer.wrap(ZcoreHsaText.RELEASE.getBytes())));
        assertEquals("0\n", text(hsa));
        assertEquals(0, ZcoreHsaText.parse(text(hsa)));
        fails(Errno.ENODATA, () -> mem.read(4096, ByteBuffer.allocate(8)));
        fails(Errno.ENODATA, () -> t.file(DumpPaths.ZCORE_MEM).open());
        VirtualFile vmcore = t.file(DumpPaths.VMCORE);
        long dataAt = firstLoad(((LayoutFile) vmcore).layout());
        fails(Errno.ENODATA, () -> vmcore.read(dataAt, ByteBuffer.allocate(4096)));
        assertEquals(4096, vmcore.read(dataAt + HSA, ByteBuffer.allocate(4096)), "above the HSA still reads");
        assertEquals(1, t.file(DumpPaths.ZCORE_REIPL).write(0, ByteBuffer.wrap("1".getBytes())));
        fails(Errno.ENODEV, () -> vmcore.read(dataAt + HSA, ByteBuffer.allocate(4096)));
        fails(Errno.ENODEV, () -> t.file(DumpPaths.ZCORE_HSA).open());
        fails(Errno.ENODEV, () -> t.file(DumpPaths.S390_DUMP).read(0, ByteBuffer.allocate(8)));
        assertTrue(m.events().events().stream().anyMatch(e -> e.kind().equals("reipl")));
    }

    @Test
    void closingZcoreMemReleasesTheHsa() throws Exception {
        Machine m = machine(FaultInjection.NONE);
        DumpTree t = CaptureEnvironment.of(m);
        VirtualFile opened = t.file(DumpPaths.ZCORE_MEM).open();
        assertEquals(8, opened.read(0, ByteBuffer.allocate(8)));
        assertFalse(m.savedArea().released());
        opened.release();
        assertTrue(m.savedArea().released());
        assertEquals("0\n", text(t.file(DumpPaths.ZCORE_HSA)));
    }

    @Test
    void replayOfAZcoreMemCopyWithoutEndMarker(@TempDir Path dir) throws Exception {
        Machine m = machine(FaultInjection.NONE);
        Path f = dir.resolve("zcore-mem.copy");
        List<Layout.Segment> holes = new ArrayList<>();
        Files.write(f, render(ZcoreView.mem(m), holes, Errno.EFAULT)); // what a memmap-driven copy leaves: zeros
        MachineSpec spec = MachineSpec.synthetic(CaptureEnvironments.S390X_ZFCPDUMP, 0, 1, 99).withImage(f);
        Machine r = MachineFactory.create(spec.withOption("--hsa-size", Long.toString(HSA)));
        assertEquals(List.of(new MemoryRange(0, m.system().endOfRam())), r.system().ram(),
                "memory up to mem_end, although mem_size counts the RAM only");
        for (int i = 0; i < m.cpus().size(); i++) {
            assertArrayEquals(m.cpus().get(i).registers(), r.cpus().get(i).registers(), "CPU " + i);
        }
        assertEquals(m.kernel().vmcoreinfo(), r.kernel().vmcoreinfo());
        ByteBuffer b = ByteBuffer.allocate(4096);
        r.system().memory().read(m.system().ram().get(1).start() + 4096, b);
        for (int k = 0; k < 4096; k++) {
            assertEquals(expected(m, m.system().ram().get(1).start() + 4096 + k), b.get(k));
        }
    }

    @Test
    void replayOfTheCompleteDumpAndTheVmcoreGivesTheSameMachine(@TempDir Path dir) throws Exception {
        Machine m = machine(FaultInjection.NONE);
        for (String which : List.of("s390.dump", "vmcore")) {
            Layout layout = which.equals("vmcore") ? ZcoreView.vmcore(m) : ZcoreView.complete(m);
            Path f = dir.resolve(which);
            Files.write(f, render(layout, new ArrayList<>(), null));
            MachineSpec spec = MachineSpec.synthetic(CaptureEnvironments.S390X_ZFCPDUMP, 0, 1, 99).withImage(f);
            Machine r = MachineFactory.create(spec.withOption("--hsa-size", Long.toString(HSA)));
            assertEquals(m.cpus().size(), r.cpus().size(), which);
            for (int i = 0; i < m.cpus().size(); i++) {
                assertArrayEquals(m.cpus().get(i).registers(), r.cpus().get(i).registers(), which + " CPU " + i);
                if (which.equals("vmcore")) {
                    assertArrayEquals(m.cpus().get(i).vectorRegisters(), r.cpus().get(i).vectorRegisters());
                }
            }
            SplittableRandom rnd = new SplittableRandom(2);
            for (MemoryRange range : m.system().ram()) {
                for (int k = 0; k < 500; k++) {
                    long a = range.start() + rnd.nextLong(range.size());
                    ByteBuffer one = ByteBuffer.allocate(1);
                    r.system().memory().read(a, one);
                    assertEquals(expected(m, a), one.get(0), which + " at 0x" + Long.toHexString(a));
                }
            }
            assertEquals(m.system().crashTime(), r.system().crashTime(), which);
            assertEquals(m.kernel().vmcoreinfo(), r.kernel().vmcoreinfo(), which + ": VMCOREINFO found again");
        }
    }
}
