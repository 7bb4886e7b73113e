package org.vmcorefs.format.env.i386kdump;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.vmcorefs.format.MachineFactory;
import org.vmcorefs.format.MachineSpec;
import org.vmcorefs.format.env.CaptureEnvironment;
import org.vmcorefs.format.env.CaptureEnvironments;
import org.vmcorefs.format.struct.Elf64Ehdr;
import org.vmcorefs.format.struct.Elf64Phdr;
import org.vmcorefs.format.struct.ElfNote;
import org.vmcorefs.format.struct.ElfPrstatus;
import org.vmcorefs.format.struct.Vmcoreinfo;
import org.vmcorefs.format.view.Layout;
import org.vmcorefs.format.view.LayoutFile;
import org.vmcorefs.machine.Architecture;
import org.vmcorefs.machine.CpuState;
import org.vmcorefs.machine.DumpException;
import org.vmcorefs.machine.Machine;
import org.vmcorefs.machine.MemoryRange;
import org.vmcorefs.machine.synthetic.SyntheticI386;

/**
 * i386-kdump: the 144-byte prstatus of a real i386 kdump, the ELF32 and ELF64 core headers kexec-tools writes
 * (lowmem at PAGE_OFFSET + paddr, highmem at -1), the x86_32 crashkernel placement, the real vmcore's replay.
 */
class I386KdumpTest {
    /** CPU 0's NT_PRSTATUS descriptor from a real kdump of Debian's 6.1.0-57-686-pae on QEMU (pid 1, init). */
    static final String REAL_PRSTATUS = "000000000000000000000000000000000000000000000000010000000000000000000000"
            + "000000000000000000000000000000000000000000000000000000000000000000000000901b13c200000000006a90c2"
            + "00000000d41b13c2e41b13c2000000007b0000007b000000000000003300000000000000f83d13c16000000046000000"
            + "901b13c26800000000000000";
    static final Path REAL_VMCORE = Path.of(System.getenv().getOrDefault("VMCOREFS_ARCH_FIXTURES",
            "/var/cache/vmcore-fixtures-arch"), "i386", "kdump-vmcore.elf");
    private static final long MIB = 1L << 20;
    private static final CaptureEnvironment I386 = CaptureEnvironments.I386_KDUMP;

    @Test
    void prstatusIsTheKernels144ByteI386Layout() throws Exception {
        byte[] real = HexFormat.of().parseHex(REAL_PRSTATUS);
        Architecture a = Architecture.I386;
        assertEquals(144, real.length);
        assertEquals(144, ElfPrstatus.size(a));
        assertEquals(17, a.prReg().size());
        assertEquals(a, Architecture.ofElf(32, 3, ByteOrder.LITTLE_ENDIAN).orElseThrow());
        assertEquals(a, Architecture.ofElf(64, 3, ByteOrder.LITTLE_ENDIAN).orElseThrow(), "QEMU's ELF64 of i386");
        long[] regs = ElfPrstatus.registers(real, a, new long[a.registerNames().size()]);
        assertEquals(0xc1133df8L, regs[a.registerIndex("eip")], "what gdb shows as eip");
        assertEquals(0xc2131b90L, regs[a.registerIndex("esp")]);
        assertEquals(0x60, regs[a.registerIndex("cs")]);
        assertEquals(0x68, regs[a.registerIndex("ss")]);
        assertEquals(0x46, regs[a.registerIndex("eflags")]);
        assertEquals(1, ElfPrstatus.pid(real, a), "pr_pid at 0x18");
        CpuState cpu = new CpuState(a, 0, regs, new byte[0], ElfPrstatus.pid(real, a));
        assertArrayEquals(real, ElfPrstatus.of(cpu, cpu.pid()), "encoding the decoded registers gives the real bytes");
    }

    record Core(Elf64Ehdr ehdr, List<Elf64Phdr> phdrs, byte[] head) {
    }

    static Core core(Layout layout) throws Exception {
        ByteBuffer b = ByteBuffer.allocate(0x4000);
        assertEquals(0x4000, layout.read(0, b));
        byte[] head = b.array();
        Elf64Ehdr e = Elf64Ehdr.readAnyFrom(ByteBuffer.wrap(head));
        ByteBuffer p = ByteBuffer.wrap(head).position((int) e.phoff());
        List<Elf64Phdr> out = new ArrayList<>();
        for (int i = 0; i < e.phnum(); i++) {
            out.add(Elf64Phdr.readFrom(p, e.order(), e.elfClass()));
        }
        return new Core(e, out, head);
    }

    private static Layout vmcore(Machine m) {
        return ((LayoutFile) CaptureEnvironment.of(m).files().get("/proc/vmcore")).layout();
    }

    @Test
    void oneGibibyteGetsElf32HeadersAsKexecWithElf32CoreHeaders() throws Exception {
        Machine m = MachineFactory.create(MachineSpec.synthetic(I386, 1L << 30, 2, 7));
        assertEquals(new MemoryRange(0x18000000L, 128 * MIB), m.reserved(), "16 MiB-aligned, highest below 512 MiB");
        Core c = core(vmcore(m));
        assertEquals(32, c.ehdr().elfClass(), "kexec-tools' choice for RAM below 4 GiB");
        assertEquals(1, c.head()[4], "ELFCLASS32");
        assertEquals(3, c.ehdr().machine(), "EM_386");
        assertEquals(0x34, c.ehdr().phoff());
        assertEquals(5, c.phdrs().size());
        long po = 0xc0000000L;
        long after = 0x1000 + 0x1000;
        assertEquals(Elf64Phdr.PT_NOTE, c.phdrs().get(0).type());
        assertEquals(0x1000, c.phdrs().get(0).offset());
        List<Elf64Phdr> want = List.of(
                new Elf64Phdr(1, 7, after, po + 0x1000, 0x1000, 0x9ec00, 0x9ec00, 0),
                new Elf64Phdr(1, 7, after + 0x9f000, po + MIB, MIB, 0x18000000L - MIB, 0x18000000L - MIB, 0),
                new Elf64Phdr(1, 7, after + 0x9f000 + 0x18000000L - MIB, po + 0x20000000L, 0x20000000L, 0x18000000L,
                        0x18000000L, 0),
                new Elf64Phdr(1, 7, after + 0x9f000 + 0x2ff00000L, 0xffffffffL, 0x38000000L, 0x8000000L, 0x8000000L,
                        0));
        assertEquals(want, c.phdrs().subList(1, 5), "lowmem at PAGE_OFFSET + paddr, split at 896 MiB, highmem -1");
        List<ElfNote> notes = ElfNote.readAll(ByteBuffer.wrap(c.head(), 0x1000, (int) c.phdrs().get(0).filesz())
                .slice(), ByteOrder.LITTLE_ENDIAN);
        assertEquals(3, notes.size());
        for (int i = 0; i < 2; i++) {
            assertEquals(144, notes.get(i).desc().length);
            assertArrayEquals(m.cpus().get(i).registers(),
                    ElfPrstatus.registers(notes.get(i).desc(), Architecture.I386, new long[17]));
        }
        Map<String, String> info = Vmcoreinfo.parse(new String(notes.get(2).desc(), "US-ASCII"));
        assertEquals("4096", info.get("PAGESIZE"));
        assertEquals("y", info.get("CONFIG_X86_PAE"));
        assertEquals("c1000000", info.get("SYMBOL(_stext)"));
    }

    /**
     * The real guest (1 GiB, 2 CPUs, crashkernel=160M@344M; kdump-console.log's kexec -d): "get_backup_area:
     * 0000000000001000-000000000009fbff", "Created backup segment at 0x1f761000", its PT_LOAD "p_offset =
     * 0x1f761000 p_paddr = 0x1000 ... p_filesz = 0x9ec00" and segment memsz 0x9f000.
     */
    static final long REAL_BACKUP_AT = 0x1f761000L;

    @Test
    void theBackupLiesAtTheTopOfTheReservationWhereKexecToolsPutsIt() throws Exception {
        Machine m = MachineFactory.create(MachineSpec.synthetic(I386, 1L << 30, 2, 7)
                .withOption("--crashkernel", "160M@344M"));
        assertEquals(new MemoryRange(344 * MIB, 160 * MIB), m.reserved(), "the real guest's reservation");
        Core c = core(vmcore(m));
        Elf64Phdr low = c.phdrs().get(1);
        assertEquals(0x1000, low.paddr());
        assertEquals(0x9ec00, low.filesz());
        byte[] crashed = new byte[(int) low.filesz()];
        m.system().memory().read(0x1000, ByteBuffer.wrap(crashed));
        byte[] copy = new byte[crashed.length];
        m.currentMemory().read(REAL_BACKUP_AT, ByteBuffer.wrap(copy));
        assertArrayEquals(crashed, copy, "/dev/oldmem holds the copy where the real guest's kexec put it");
        byte[] served = new byte[crashed.length];
        assertEquals(served.length, vmcore(m).read(low.offset(), ByteBuffer.wrap(served)));
        assertArrayEquals(crashed, served, "/proc/vmcore serves the crash-time bytes");
        byte[] start = new byte[crashed.length];
        m.currentMemory().read(344 * MIB, ByteBuffer.wrap(start));
        assertTrue(!Arrays.equals(crashed, start), "no copy at the start of the reservation");
        byte[] now = new byte[crashed.length];
        m.currentMemory().read(0x1000, ByteBuffer.wrap(now));
        assertTrue(!Arrays.equals(crashed, now), "the capture kernel ran over the low memory");
        // The 1 GiB default (128 MiB at 384 MiB): the copy's 0x9f000 bytes end where the reservation ends.
        Machine d = MachineFactory.create(MachineSpec.synthetic(I386, 1L << 30, 2, 7));
        assertEquals(0x20000000L - 0x9f000, I386Kdump.backup(d.system().ram(), d.reserved()).offset()
                + d.reserved().start());
        assertEquals(new MemoryRange(0, 0xa0000), I386Kdump.backup(List.of(MemoryRange.ofEnd(MIB, 1L << 30)),
                new MemoryRange(0, 0)).source(), "get_backup_area's default without RAM below 640 KiB");
        DumpException tooSmall = assertThrows(DumpException.class, () -> MachineFactory.create(
                MachineSpec.synthetic(I386, 1L << 30, 2, 7).withOption("--crashkernel", "512K@344M")));
        assertTrue(tooSmall.getMessage().contains("backup"), tooSmall.getMessage());
    }

    @Test
    void elf64CoreHeadersAndAbove4GiB() throws Exception {
        Machine m = MachineFactory.create(MachineSpec.synthetic(I386, 1L << 30, 1, 7)
                .withOption("--elf64-core-headers", "true"));
        Core c = core(vmcore(m));
        assertEquals(64, c.ehdr().elfClass());
        assertEquals(2, c.head()[4], "ELFCLASS64");
        assertEquals(0xc0001000L, c.phdrs().get(1).vaddr(), "phys_to_virt's 32-bit unsigned long, zero-extended");
        assertEquals(-1L, c.phdrs().get(4).vaddr(), "-1 in an Elf64_Addr");
        // 16 GiB: kexec-tools' get_core_type() picks ELF64; QEMU puts 3 GiB below 4 GiB, the rest above.
        Machine big = MachineFactory.create(MachineSpec.synthetic(I386, 16L << 30, 1, 7));
        assertEquals(List.of(SyntheticI386.LOW_RAM, MemoryRange.ofEnd(MIB, 0xc0000000L),
                new MemoryRange(1L << 32, 13L << 30)), big.system().ram());
        Core b = core(vmcore(big));
        assertEquals(64, b.ehdr().elfClass());
        Elf64Phdr last = b.phdrs().get(b.phdrs().size() - 1);
        assertEquals(1L << 32, last.paddr());
        assertEquals(-1L, last.vaddr());
        DumpException refused = assertThrows(DumpException.class, () -> MachineFactory.create(
                MachineSpec.synthetic(I386, 16L << 30, 1, 7).withOption("--elf32-core-headers", "true")));
        assertTrue(refused.getMessage().contains("--elf64-core-headers"), refused.getMessage());
        assertThrows(IllegalArgumentException.class, () -> I386.validate(MachineSpec.synthetic(I386, 1L << 30, 1, 7)
                .withOption("--elf32-core-headers", "true").withOption("--elf64-core-headers", "true")));
        assertThrows(IllegalArgumentException.class, () -> SyntheticI386.ram(64L << 30), "PAE ends at 64 GiB");
        assertEquals((1L << 36), SyntheticI386.ram(63L << 30).get(2).end());
    }

    /** The real /proc/vmcore read back as a machine and served again: the same headers, notes and data. */
    @Test
    void realKdumpVmcoreReplaysIdentically() throws Exception {
        Assumptions.assumeTrue(Files.isReadable(REAL_VMCORE), REAL_VMCORE + " (the real i386 kdump fixture) is missing");
        Machine m = MachineFactory.create(MachineSpec.synthetic(I386, 0, 1, 1).withImage(REAL_VMCORE));
        Layout layout = vmcore(m);
        try (FileChannel ch = FileChannel.open(REAL_VMCORE)) {
            assertEquals(ch.size(), layout.size());
            ByteBuffer want = ByteBuffer.allocate(0x3000);
            ch.read(want, 0);
            ByteBuffer got = ByteBuffer.allocate(0x3000);
            layout.read(0, got);
            assertArrayEquals(want.array(), got.array(), "headers and notes");
            for (long off : new long[] {0xa0000, 0x157a1000L - 4096, 0x2dfa1000L, ch.size() - 4096}) {
                ByteBuffer w = ByteBuffer.allocate(4096);
                ch.read(w, off);
                ByteBuffer g = ByteBuffer.allocate(4096);
                layout.read(off, g);
                assertArrayEquals(w.array(), g.array(), "offset 0x" + Long.toHexString(off));
            }
        }
    }
}
