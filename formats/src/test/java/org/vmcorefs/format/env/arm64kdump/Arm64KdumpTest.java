package org.vmcorefs.format.env.arm64kdump;

import org.vmcorefs.format.MachineFactory;
import org.vmcorefs.format.MachineSpec;
import org.vmcorefs.format.env.CaptureEnvironments;
import org.vmcorefs.format.struct.Elf64Ehdr;
import org.vmcorefs.format.struct.Elf64Phdr;
import org.vmcorefs.format.struct.ElfNote;
import org.vmcorefs.format.struct.ElfPrstatus;
import org.vmcorefs.format.struct.Vmcoreinfo;
import org.vmcorefs.format.view.Layout;
import org.vmcorefs.format.view.VmcoreView;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.vmcorefs.machine.Architecture;
import org.vmcorefs.machine.CpuState;
import org.vmcorefs.machine.Machine;
import org.vmcorefs.machine.MemoryRange;
import org.vmcorefs.machine.synthetic.SyntheticArm64;

/** arm64-kdump: the prstatus of a real arm64 kdump, the synthetic /proc/vmcore's layout, the real one's replay. */
class Arm64KdumpTest {
    /** CPU 0's NT_PRSTATUS descriptor from a real kdump of Debian's 6.1.0-57-arm64 on QEMU virt (pid 0, idle). */
    static final String REAL_PRSTATUS = ""
            + "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
            + "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
            + "00000000000000000000000000000000e00000000000000018c6d9ff934cffff71a50e00000000000000000000000000"
            + "0080d86026acffff0000000000000040481fbd5a000000000000000000000000e0994c9f6da0ffffd88c8f9d6da0ffff"
            + "c00b000000000000c0000000000000000100000000000000b0e94b9f6da0ffff000000000000000000f0dbff934cffff"
            + "48386f9e6da0ffff0000000000000000e83a2d080080ffff0840009f6da0ffff0840009f6da0ffff88e84b9f6da0ffff"
            + "7066019f6da0ffffd0e94b9f6da0ffff00000000000000000000000000000000c08d4c9f6da0ffff0000000000000000"
            + "6c8d864100000000503d4b9f6da0ffff84a24d9e6da0ffff503d4b9f6da0ffff8ca24d9e6da0ffff0500004000000000"
            + "0000000000000000";
    static final Path REAL_VMCORE = Path.of("/var/cache/vmcore-fixtures-arch/arm64/kdump-vmcore.elf");
    private static final long MIB = 1L << 20;

    @Test
    void prstatusIsTheKernels392ByteUserPtRegs() throws Exception {
        byte[] real = HexFormat.of().parseHex(REAL_PRSTATUS);
        Architecture a = Architecture.ARM64;
        assertEquals(392, real.length);
        assertEquals(392, ElfPrstatus.size(a));
        assertEquals(Architecture.ofElf(64, 183, ByteOrder.LITTLE_ENDIAN).orElseThrow(), a);
        assertEquals(34, a.prReg().size(), "x0..x30, sp, pc, pstate");
        long[] regs = ElfPrstatus.registers(real, a, new long[a.registerNames().size()]);
        assertEquals(0xffffa06d9f4b3d50L, regs[a.registerIndex("sp")]);
        assertEquals(0xffffa06d9e4da28cL, regs[a.registerIndex("pc")]);
        assertEquals(0x40000005L, regs[a.registerIndex("pstate")]);
        assertEquals(0xffffa06d9e4da284L, regs[a.registerIndex("x30")]);
        assertEquals(0xe0L, regs[a.registerIndex("x0")]);
        CpuState cpu = new CpuState(a, 0, regs, new byte[0], ElfPrstatus.pid(real, a));
        assertArrayEquals(real, ElfPrstatus.of(cpu, cpu.pid()), "encoding the decoded registers gives the real bytes");
    }

    static List<Elf64Phdr> phdrs(byte[] file) throws Exception {
        Elf64Ehdr e = Elf64Ehdr.readFrom(ByteBuffer.wrap(file));
        assertEquals(183, e.machine());
        assertEquals(ByteOrder.LITTLE_ENDIAN, e.order());
        ByteBuffer b = ByteBuffer.wrap(file).position((int) e.phoff());
        List<Elf64Phdr> out = new ArrayList<>();
        for (int i = 0; i < e.phnum(); i++) {
            out.add(Elf64Phdr.readFrom(b, ByteOrder.LITTLE_ENDIAN));
        }
        return out;
    }

    static byte[] head(Layout layout, int n) throws Exception {
        ByteBuffer b = ByteBuffer.allocate(n);
        assertEquals(n, layout.read(0, b));
        return b.array();
    }

    @Test
    void syntheticVmcoreHasTheKernelImageThenTheLinearMapWithoutTheReservation() throws Exception {
        long kaslr = 0x1f2e600000L;
        MachineSpec spec = new MachineSpec(CaptureEnvironments.ARM64_KDUMP, 1L << 30, 3, 9, 1.0, null, null, kaslr,
                Map.of("--crashkernel", "320M@0x66c00000"), null, null);
        Machine m = MachineFactory.create(spec);
        assertEquals(new MemoryRange(0x66c00000L, 320 * MIB), m.reserved());
        Layout layout = VmcoreView.layout(m);
        byte[] head = head(layout, 0x4000);
        List<Elf64Phdr> ph = phdrs(head);
        assertEquals(4, ph.size());
        assertEquals(Elf64Phdr.PT_NOTE, ph.get(0).type());
        assertEquals(0x1000, ph.get(0).offset(), "notes on the page after the headers");
        long textVirtual = 0xffff800008000000L + kaslr;
        assertEquals(new Elf64Phdr(Elf64Phdr.PT_LOAD, Elf64Phdr.PF_RWX, 0x2000, textVirtual, 0x40200000L,
                SyntheticArm64.TEXT_SIZE, SyntheticArm64.TEXT_SIZE, 0), ph.get(1), "the kernel image first");
        long pageOffset = 0xffff000000000000L;
        assertEquals(new Elf64Phdr(Elf64Phdr.PT_LOAD, Elf64Phdr.PF_RWX, 0x2000 + SyntheticArm64.TEXT_SIZE,
                pageOffset, 0x40000000L, 0x26c00000L, 0x26c00000L, 0), ph.get(2), "linear map below the reservation");
        assertEquals(new Elf64Phdr(Elf64Phdr.PT_LOAD, Elf64Phdr.PF_RWX, 0x2000 + SyntheticArm64.TEXT_SIZE + 0x26c00000L,
                pageOffset + 0x7ac00000L - 0x40000000L, 0x7ac00000L, 0x5400000L, 0x5400000L, 0), ph.get(3),
                "linear map above the reservation");
        assertEquals(0x2000 + SyntheticArm64.TEXT_SIZE + 0x26c00000L + 0x5400000L, layout.size());

        List<ElfNote> notes = ElfNote.readAll(ByteBuffer.wrap(head, 0x1000, (int) ph.get(0).filesz()).slice(),
                ByteOrder.LITTLE_ENDIAN);
        assertEquals(4, notes.size());
        for (int i = 0; i < 3; i++) {
            assertEquals(392, notes.get(i).desc().length);
            long[] regs = ElfPrstatus.registers(notes.get(i).desc(), Architecture.ARM64, new long[34]);
            assertArrayEquals(m.system().cpus().get(i).registers(), regs);
            long pc = regs[32];
            assertTrue(Long.compareUnsigned(pc, textVirtual) >= 0
                    && Long.compareUnsigned(pc, textVirtual + SyntheticArm64.TEXT_SIZE) < 0, "pc in the text");
            assertEquals(0x3c5L, regs[33] & 0xfff, "EL1h, DAIF masked");
        }
        Map<String, String> info = Vmcoreinfo.parse(new String(notes.get(3).desc(), "US-ASCII").replace("\0", ""));
        assertEquals("48", info.get("NUMBER(VA_BITS)"));
        assertEquals("0x" + Long.toHexString(textVirtual - 0x40200000L), info.get("NUMBER(kimage_voffset)"));
        assertEquals("0x40000000", info.get("NUMBER(PHYS_OFFSET)"));
        assertEquals("0x10", info.get("NUMBER(TCR_EL1_T1SZ)"));
        assertEquals(Long.toHexString(kaslr), info.get("KERNELOFFSET"));
        assertEquals(Long.toHexString(textVirtual + 0x10000), info.get("SYMBOL(_stext)"));
        assertTrue(!info.containsKey("NUMBER(phys_base)"), "phys_base is x86_64's");

        // The text PT_LOAD and the linear map show the same RAM as the machine.
        for (long[] at : new long[][] {{0x2000 + 0x12340, 0x40200000L + 0x12340}, {0x2000 + SyntheticArm64.TEXT_SIZE
                + 0x300000, 0x40300000L}, {layout.size() - 4096, 0x80000000L - 4096}}) {
            ByteBuffer got = ByteBuffer.allocate(4096);
            layout.read(at[0], got);
            ByteBuffer want = ByteBuffer.allocate(4096);
            m.oldMemory().read(at[1], want);
            assertArrayEquals(want.array(), got.array(), "file offset 0x" + Long.toHexString(at[0]));
        }
    }

    @Test
    void defaultReservationIsHighAndCut() throws Exception {
        Machine m = MachineFactory.create(MachineSpec.synthetic(CaptureEnvironments.ARM64_KDUMP, 1L << 30, 1, 1));
        assertEquals(new MemoryRange(0x78000000L, 128 * MIB), m.reserved());
        assertEquals(List.of(new MemoryRange(0x40000000L, 0x38000000L)), m.dumpRanges());
        Machine big = MachineFactory.create(MachineSpec.synthetic(CaptureEnvironments.ARM64_KDUMP, 1L << 40, 1, 1));
        assertEquals(new MemoryRange((1L << 32) - 256 * MIB, 256 * MIB), big.reserved());
        assertEquals(List.of(new MemoryRange(0x40000000L, (1L << 32) - 256 * MIB - 0x40000000L),
                new MemoryRange(1L << 32, 0x40000000L + (1L << 40) - (1L << 32))), big.dumpRanges());
    }

    /** The real /proc/vmcore read back as a machine and served again: the same headers, notes and data. */
    @Test
    void realKdumpVmcoreReplaysIdentically() throws Exception {
        Assumptions.assumeTrue(Files.isReadable(REAL_VMCORE), REAL_VMCORE + " (the real arm64 kdump fixture) is missing");
        MachineSpec spec = MachineSpec.synthetic(CaptureEnvironments.ARM64_KDUMP, 0, 1, 1).withImage(REAL_VMCORE);
        Machine m = MachineFactory.create(spec);
        Layout layout = VmcoreView.layout(m);
        try (FileChannel ch = FileChannel.open(REAL_VMCORE)) {
            assertEquals(ch.size(), layout.size());
            ByteBuffer want = ByteBuffer.allocate(0x3000);
            ch.read(want, 0);
            assertArrayEquals(want.array(), head(layout, 0x3000), "headers and notes");
            for (long off : new long[] {0x3000, 0x2013000L - 4096, 0x2013000L, 0x28c13000L, ch.size() - 4096}) {
                ByteBuffer w = ByteBuffer.allocate(4096);
                ch.read(w, off);
                ByteBuffer g = ByteBuffer.allocate(4096);
                layout.read(off, g);
                assertArrayEquals(w.array(), g.array(), "offset 0x" + Long.toHexString(off));
            }
        }
        // PHYS_OFFSET is randomized (memstart_addr) at every boot: the fixture's own VMCOREINFO text says it.
        long physOffset = vmcoreinfoNumber(REAL_VMCORE, "NUMBER(PHYS_OFFSET)=0x");
        assertEquals(0xffff000000000000L - physOffset, m.kernel().directMapBase(Architecture.ARM64),
                "PAGE_OFFSET - PHYS_OFFSET, PHYS_OFFSET = 0x" + Long.toHexString(physOffset));
    }

    /**
     * QEMU's dump of the guest (another boot, with its own KASLR offset, kimage_voffset and PHYS_OFFSET, which
     * its VMCOREINFO text gives) has only physical PT_LOADs: the mount adds the kernel image and the linear map
     * as the kernel's /proc/vmcore has them.
     */
    @Test
    void qemuDumpGetsTheKernelsMappingsFromVmcoreinfo() throws Exception {
        Path qemu = REAL_VMCORE.resolveSibling("guest.elf");
        Assumptions.assumeTrue(Files.isReadable(qemu), qemu + " (QEMU's dump of the arm64 guest) is missing");
        Machine m = MachineFactory.create(MachineSpec.synthetic(CaptureEnvironments.ARM64_KDUMP, 0, 1, 1)
                .withImage(qemu));
        List<VmcoreView.Load> loads = VmcoreView.loads(m);
        long kernelOffset = vmcoreinfoNumber(qemu, "KERNELOFFSET=");
        long kimageVoffset = vmcoreinfoNumber(qemu, "NUMBER(kimage_voffset)=0x");
        long physOffset = vmcoreinfoNumber(qemu, "NUMBER(PHYS_OFFSET)=0x");
        assertEquals(0xffff800008000000L + kernelOffset, loads.get(0).vaddr(), "_text = KIMAGE_VADDR + KERNELOFFSET");
        assertEquals(0x40200000L, loads.get(0).vaddr() - kimageVoffset, "_text - kimage_voffset");
        assertEquals(0x40200000L, loads.get(0).paddr());
        assertEquals(new VmcoreView.Load(0xffff000000000000L - physOffset + 0x40000000L, 0x40000000L,
                1L << 30), loads.get(1),
                "paddr - PHYS_OFFSET + PAGE_OFFSET, as in the kernel's vmcore");
        assertEquals(2, m.system().cpus().size());
    }

    /**
     * The hexadecimal number after {@code key} in the first VMCOREINFO text of {@code file} (a note, or the
     * kernel's vmcoreinfo page in its memory), found by a plain scan of the bytes: independent of the parsers
     * under test. Skips the kernel's format strings ("=0x%llx").
     */
    static long vmcoreinfoNumber(Path file, String key) throws Exception {
        byte[] k = key.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        try (FileChannel ch = FileChannel.open(file)) {
            // In 4 MiB pieces, overlapping by more than a key, its 16 digits and the newline: the notes come first.
            ByteBuffer b = ByteBuffer.allocate(4 << 20);
            for (long at = 0; at < ch.size(); at += b.capacity() - 64) {
                b.clear();
                ch.read(b, at);
                byte[] a = b.array();
                int n = b.position();
                for (int i = 0; i + k.length < n; i++) {
                    int j = 0;
                    while (j < k.length && a[i + j] == k[j]) {
                        j++;
                    }
                    if (j < k.length) {
                        continue;
                    }
                    int e = i + k.length;
                    while (e < n && Character.digit(a[e], 16) >= 0) {
                        e++;
                    }
                    if (e > i + k.length && e < n && a[e] == '\n') {
                        return Long.parseUnsignedLong(new String(a, i + k.length, e - i - k.length,
                                java.nio.charset.StandardCharsets.US_ASCII), 16);
                    }
                }
            }
        }
        throw new AssertionError(key + " not found in " + file);
    }
}
