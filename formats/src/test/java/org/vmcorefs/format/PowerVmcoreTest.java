package org.vmcorefs.format;

import org.vmcorefs.format.env.CaptureEnvironment;
import org.vmcorefs.format.env.CaptureEnvironments;
import org.vmcorefs.format.struct.Elf64Ehdr;
import org.vmcorefs.format.struct.Elf64Phdr;
import org.vmcorefs.format.view.DumpTree;
import org.vmcorefs.format.view.VirtualFile;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.vmcorefs.machine.CpuState;
import org.vmcorefs.machine.DumpException;
import org.vmcorefs.machine.Errno;
import org.vmcorefs.machine.Machine;
import org.vmcorefs.machine.MemoryRange;
import org.vmcorefs.machine.memory.SyntheticMemory;

/** /proc/vmcore of the POWER profiles: golden header bytes, and reads of any (offset, length) checked. */
class PowerVmcoreTest {
    private static final int[] LENGTHS = {1, 2, 8, 128, 4096, 8192, 65536, 100_000};
    private static final HexFormat HEX = HexFormat.of();
    private final SyntheticMemory crashed = PowerMachines.crashed();

    private static byte[] read(VirtualFile f, long offset, int length) throws DumpException {
        ByteBuffer b = ByteBuffer.allocate(length);
        int n = f.read(offset, b);
        byte[] out = new byte[n];
        b.flip().get(out);
        return out;
    }

    @Test
    void ppc64HeaderIsBigEndianGoldenBytes() throws DumpException {
        Machine m = PowerMachines.machine(CaptureEnvironments.PPC64_PHYP, 3);
        VirtualFile vmcore = CaptureEnvironment.of(m).file(DumpPaths.VMCORE);
        String ehdr = "7f454c46020201000000000000000000" // ELFCLASS64, ELFDATA2MSB, EV_CURRENT
                + "0004" + "0015" + "00000001" // ET_CORE, EM_PPC64 (21), EV_CURRENT
                + "0000000000000000" + "0000000000000040" + "0000000000000000" // entry, phoff 64, shoff 0
                + "00000000" + "0040" + "0038" + "0003" + "0000" + "0000" + "0000";
        String note = "00000004" + "00000000" + "0000000000010000" + "0000000000000000" + "0000000000000000"
                // 3 x (20 + 504) bytes of NT_PRSTATUS, then the synthesized VMCOREINFO (its 6.1 ppc64 symbols).
                + "000000000000075c" + "000000000000075c" + "0000000000000000";
        String boot = "00000001" + "00000007" + "0000000000020000" + "c000000000000000" + "0000000000000000"
                + "0000000010000000" + "0000000010000000" + "0000000000000000";
        String rest = "00000001" + "00000007" + "0000000010020000" + "c000000010000000" + "0000000010000000"
                + "000000001ffe0000" + "000000001ffe0000" + "0000000000000000";
        assertEquals(ehdr + note + boot + rest, HEX.formatHex(read(vmcore, 0, 64 + 3 * 56)));
        assertEquals(0x10020000L + 0x1ffe0000L, vmcore.size());
        assertTrue(vmcore.changes(), "served with direct_io: its content changes as memory is released");

        // The first note: "CORE" NT_PRSTATUS of 504 bytes, pr_pid 1, then pr_reg = the 48 pt_regs words.
        byte[] n0 = read(vmcore, 0x10000, 12 + 8 + 504);
        assertEquals("00000005" + "000001f8" + "00000001" + "434f524500000000", HEX.formatHex(n0, 0, 20));
        ByteBuffer prstatus = ByteBuffer.wrap(n0, 20, 504).slice().order(ByteOrder.BIG_ENDIAN);
        assertEquals(1, prstatus.getInt(0x20));
        CpuState cpu0 = m.cpus().get(0);
        long[] regs = cpu0.registers();
        for (int i = 0; i < 48; i++) {
            assertEquals(regs[i], prstatus.getLong(0x70 + 8 * i), "pr_reg[" + i + "]");
        }
        assertEquals(0xc000000000000000L, cpu0.get("nip") & 0xf000000000000000L);
        // The notes end with VMCOREINFO: PAGESIZE is ppc64's 64 KiB.
        byte[] notes = read(vmcore, 0x10000, 0x724);
        String text = new String(notes, java.nio.charset.StandardCharsets.US_ASCII);
        assertTrue(text.contains("VMCOREINFO\0\0OSRELEASE="), text);
        assertTrue(text.contains("PAGESIZE=65536\n"), text);
    }

    @Test
    void ppc64leHeaderIsLittleEndian() throws DumpException {
        Machine m = PowerMachines.machine(CaptureEnvironments.PPC64LE_FADUMP, 1);
        VirtualFile vmcore = CaptureEnvironment.of(m).file(DumpPaths.VMCORE);
        byte[] h = read(vmcore, 0, 64 + 56);
        assertEquals("7f454c46020101", HEX.formatHex(h, 0, 7));
        assertEquals("04001500", HEX.formatHex(h, 16, 20));
        ByteBuffer b = ByteBuffer.wrap(h).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(3, b.getShort(0x38));
        List<Elf64Phdr> ph = phdrs(vmcore);
        // fadump: boot memory from its copy, then the rest of RAM above the dump area.
        assertEquals(0, ph.get(1).paddr());
        assertEquals(0xc000000000000000L, ph.get(1).vaddr());
        assertEquals(0x10000000L, ph.get(1).filesz());
        assertEquals(0x20030000L, ph.get(2).paddr());
        assertEquals(0xc000000020030000L, ph.get(2).vaddr());
        assertEquals(PowerMachines.GIB - 0x20030000L, ph.get(2).filesz());
    }

    private static List<Elf64Phdr> phdrs(VirtualFile vmcore) throws DumpException {
        ByteBuffer h = ByteBuffer.wrap(read(vmcore, 0, 4096));
        Elf64Ehdr e = Elf64Ehdr.readFrom(h.duplicate());
        h.position((int) e.phoff());
        List<Elf64Phdr> out = new ArrayList<>();
        for (int i = 0; i < e.phnum(); i++) {
            out.add(Elf64Phdr.readFrom(h, e.order()));
        }
        return out;
    }

    /**
     * The reference for any byte of the file: the header and notes as one full read renders them, and memory
     * as the model computes it byte by byte at the PT_LOAD's physical address.
     */
    private final class Reference {
        final List<Elf64Phdr> loads = new ArrayList<>();
        final byte[] head;
        final long size;

        Reference(VirtualFile vmcore) throws DumpException {
            for (Elf64Phdr p : phdrs(vmcore)) {
                if (p.type() == Elf64Phdr.PT_LOAD) {
                    loads.add(p);
                }
            }
            head = read(vmcore, 0, (int) loads.get(0).offset());
            size = vmcore.size();
        }

        byte at(long offset) {
            if (offset < head.length) {
                return head[(int) offset];
            }
            for (Elf64Phdr p : loads) {
                if (offset >= p.offset() && offset < p.offset() + p.filesz()) {
                    return crashed.byteAt(p.paddr() + offset - p.offset());
                }
            }
            throw new AssertionError("offset 0x" + Long.toHexString(offset) + " is in no segment");
        }

        List<Long> boundaries() {
            List<Long> b = new ArrayList<>(List.of(0L, 0x40L, 0x10000L, 0x10000L + 0x724, (long) head.length, size));
            for (Elf64Phdr p : loads) {
                b.add(p.offset());
                b.add(p.offset() + p.filesz());
            }
            return b;
        }
    }

    private void checkReads(VirtualFile vmcore, Reference ref, List<MemoryRange> released) throws DumpException {
        SplittableRandom random = new SplittableRandom(5);
        List<long[]> probes = new ArrayList<>();
        for (long boundary : ref.boundaries()) {
            for (int length : LENGTHS) {
                for (long start : new long[] {boundary - length, boundary - length / 2, boundary - 1, boundary,
                        boundary + 1}) {
                    if (start >= 0) {
                        probes.add(new long[] {start, length});
                    }
                }
            }
        }
        for (int i = 0; i < 300; i++) {
            probes.add(new long[] {random.nextLong(ref.size + 10), LENGTHS[random.nextInt(LENGTHS.length)]});
        }
        for (long[] probe : probes) {
            long offset = probe[0];
            int length = (int) probe[1];
            int want = (int) Math.max(0, Math.min(length, ref.size - offset));
            if (touchesReleased(ref, offset, want, released)) {
                DumpException e = assertThrows(DumpException.class, () -> read(vmcore, offset, length));
                assertEquals(Errno.EIO, e.errno());
                continue;
            }
            byte[] got = read(vmcore, offset, length);
            assertEquals(want, got.length, "count at " + offset + "+" + length);
            for (int i = 0; i < got.length; i++) {
                if (got[i] != ref.at(offset + i)) {
                    throw new AssertionError(String.format("byte 0x%x of a read at 0x%x+%d", offset + i, offset,
                            length));
                }
            }
        }
    }

    private static boolean touchesReleased(Reference ref, long offset, int length, List<MemoryRange> released) {
        for (Elf64Phdr p : ref.loads) {
            long from = Math.max(offset, p.offset());
            long to = Math.min(offset + length, p.offset() + p.filesz());
            if (from < to) {
                MemoryRange phys = MemoryRange.ofEnd(p.paddr() + from - p.offset(), p.paddr() + to - p.offset());
                // The boot memory's bytes live in the copy: a release of the copy takes them.
                for (MemoryRange r : released) {
                    if (r.overlaps(phys)) {
                        return true;
                    }
                }
            }
        }
        return false;
    }

    @Test
    void anyReadOfThePhypVmcoreIsTheSameSliceOfTheWholeFile() throws DumpException {
        Machine m = PowerMachines.machine(CaptureEnvironments.PPC64_PHYP, 3);
        VirtualFile vmcore = CaptureEnvironment.of(m).file(DumpPaths.VMCORE).open();
        checkReads(vmcore, new Reference(vmcore), List.of());
    }

    @Test
    void anyReadOfTheFadumpVmcoreIsTheSameSliceOfTheWholeFile() throws DumpException {
        Machine m = PowerMachines.machine(CaptureEnvironments.PPC64_FADUMP, 2);
        VirtualFile vmcore = CaptureEnvironment.of(m).file(DumpPaths.VMCORE).open();
        checkReads(vmcore, new Reference(vmcore), List.of());
    }

    @Test
    void readsTouchingReleasedMemoryFailTheOthersStillMatch() throws DumpException {
        Machine m = PowerMachines.machine(CaptureEnvironments.PPC64_PHYP, 2);
        DumpTree tree = CaptureEnvironment.of(m);
        VirtualFile vmcore = tree.file(DumpPaths.VMCORE).open();
        Reference ref = new Reference(vmcore);
        m.firmwareDump().release(new MemoryRange(0x18000000L, 0x100000));
        // Half of the copy of the boot memory: physical [0x8000000, 0x10000000) of the dump is gone.
        m.firmwareDump().release(new MemoryRange(0x38000000L, 0x8000000L));
        checkReads(vmcore, ref, List.of(new MemoryRange(0x18000000L, 0x100000), new MemoryRange(0x8000000L,
                0x8000000L)));
        // Reads straddling a released range fail whole: never a short read, never other bytes.
        long at = 0x10020000L + 0x8000000L - 100;
        assertEquals(Errno.EIO, assertThrows(DumpException.class, () -> read(vmcore, at, 200)).errno());
        assertEquals(100, read(vmcore, at, 100).length);
        assertTrue(tree.file(DumpPaths.VMCORE) != null);
    }

    @Test
    void theVmcoreLeavesOnceEverythingIsReleased() throws DumpException {
        Machine m = PowerMachines.machine(CaptureEnvironments.PPC64_PHYP, 1);
        DumpTree tree = CaptureEnvironment.of(m);
        VirtualFile open = tree.file(DumpPaths.VMCORE).open();
        VirtualFile release = tree.file(DumpPaths.RELEASE_REGION);
        for (String w : new String[] {"0x10000000 0x1ffe0000", "0x30000000 0x10000000"}) {
            release.write(0, ByteBuffer.wrap(w.getBytes(java.nio.charset.StandardCharsets.US_ASCII)));
        }
        assertTrue(tree.file(DumpPaths.VMCORE) != null, "not all released yet");
        assertEquals(64, read(open, 0, 64).length);
        release.write(0, ByteBuffer.wrap("0x2ffe0000 0x20000".getBytes(java.nio.charset.StandardCharsets.US_ASCII)));
        assertNull(tree.file(DumpPaths.VMCORE));
        assertEquals(Errno.EIO, assertThrows(DumpException.class, () -> read(open, 0, 64)).errno());
        assertTrue(!tree.list("/proc").contains("vmcore"));
    }
}
