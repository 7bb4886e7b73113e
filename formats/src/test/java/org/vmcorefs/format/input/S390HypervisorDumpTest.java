package org.vmcorefs.format.input;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.vmcorefs.format.env.zfcpdump.S390Vmcoreinfo;
import org.vmcorefs.machine.Architecture;
import org.vmcorefs.machine.CpuState;
import org.vmcorefs.machine.CrashedSystem;
import org.vmcorefs.machine.KernelInfo;
import org.vmcorefs.machine.MemoryRange;
import org.vmcorefs.machine.memory.BytesMemory;

/**
 * An s390x hypervisor dump (QEMU's: registers in notes only, no VMCOREINFO note) completed as a zfcpdump
 * finds the machine: registers stored in the lowcores, VMCOREINFO from the absolute lowcore's pointer.
 */
class S390HypervisorDumpTest {
    static final Architecture A = Architecture.S390X;
    static final int SIZE = 1 << 16;
    static final long NOTE = 0x9000;
    static final String TEXT = "OSRELEASE=6.1.0-test-s390x\nPAGESIZE=4096\n";

    static CpuState cpu(int index, long prefix, long pswAddr) {
        long[] r = new long[A.registerNames().size()];
        r[A.registerIndex("prefix")] = prefix;
        r[A.registerIndex("psw_mask")] = 0x0704c00180000000L;
        r[A.registerIndex("psw_addr")] = pswAddr;
        r[A.registerIndex("r15")] = 0x1234500L + index;
        return new CpuState(A, index, r, new byte[0]);
    }

    static byte[] memory() {
        byte[] m = new byte[SIZE];
        Arrays.fill(m, (byte) 0x5a);
        byte[] note = S390Vmcoreinfo.note(TEXT);
        System.arraycopy(note, 0, m, (int) NOTE, note.length);
        ByteBuffer.wrap(m).order(ByteOrder.BIG_ENDIAN).putLong((int) S390Vmcoreinfo.LC_VMCORE_INFO, NOTE);
        return m;
    }

    static CrashedSystem system(String vmcoreinfo) {
        return new CrashedSystem(A, List.of(new MemoryRange(0, SIZE)), new BytesMemory(memory()),
                List.of(cpu(0, 0x4000, 0x11728e), cpu(1, 0x6000, 0x10fdee)),
                new KernelInfo("unknown", 0, 0, 0, 0, vmcoreinfo), Instant.EPOCH, "test");
    }

    static ByteBuffer read(CrashedSystem s, long address, int n) throws Exception {
        ByteBuffer b = ByteBuffer.allocate(n);
        s.memory().read(address, b);
        return b.flip().order(ByteOrder.BIG_ENDIAN);
    }

    @Test
    void vmcoreinfoComesFromTheAbsoluteLowcoresPointer() throws Exception {
        CrashedSystem s = S390HypervisorDump.complete(system(""));
        assertEquals(TEXT, s.kernel().vmcoreinfo());
        assertEquals("6.1.0-test-s390x", s.kernel().osRelease());
    }

    @Test
    void eachCpusRegistersAreInItsLowcoreAndTheFirstCpusInTheAbsoluteLowcore() throws Exception {
        CrashedSystem s = S390HypervisorDump.complete(system(""));
        for (long[] want : new long[][] {{0x4000, 0x11728e, 0}, {0x6000, 0x10fdee, 1}, {0, 0x11728e, 0}}) {
            ByteBuffer sa = read(s, want[0] + 0x1200, 0x200);
            assertEquals(want[1], sa.getLong(0x108), "psw address at 0x" + Long.toHexString(want[0]) + " + 0x1300");
            assertEquals(0x1234500L + want[2], sa.getLong(0x80 + 15 * 8), "r15");
            assertEquals(want[0] == 0 ? 0x4000 : want[0], Integer.toUnsignedLong(sa.getInt(0x118)), "prefix");
            assertEquals(0x5a5a5a5a, sa.getInt(0x110), "the pad after the PSW keeps memory's bytes");
        }
        assertEquals(0x5a5a5a5a5a5a5a5aL, read(s, 0x8000, 8).getLong(0), "the rest is the dump's memory");
    }

    @Test
    void aDumpWithItsOwnVmcoreinfoIsLeftAsItIs() throws Exception {
        CrashedSystem given = system("OSRELEASE=kernel-written\n");
        assertSame(given, S390HypervisorDump.complete(given));
    }

    @Test
    void qemusCapitalMachineNameIsS390x() throws Exception {
        ByteBuffer h = ByteBuffer.allocate(KdumpCompressedReader.HEADER_SIZE);
        h.put(KdumpCompressedReader.UTS_MACHINE, "S390X".getBytes(StandardCharsets.US_ASCII));
        assertEquals(A, KdumpCompressedReader.architecture(Path.of("guest.kdump"), h));
    }

    @Test
    void cpusWithoutALowcoreInRamKeepMemoryAsItIs() throws Exception {
        CrashedSystem given = new CrashedSystem(A, List.of(new MemoryRange(0, SIZE)), new BytesMemory(memory()),
                List.of(cpu(0, 0x4000, 0x11728e), cpu(1, 0x4000, 0x10fdee), cpu(2, 0x5000, 1), cpu(3, 0x10000, 2)),
                new KernelInfo("unknown", 0, 0, 0, 0, ""), Instant.EPOCH, "test");
        CrashedSystem s = S390HypervisorDump.complete(given);
        assertEquals(0x11728e, read(s, 0x4000 + 0x1308, 8).getLong(0), "the first CPU naming a prefix stands");
        assertEquals(0x5a5a5a5a5a5a5a5aL, read(s, 0x5000 + 0x1308, 8).getLong(0), "unaligned prefix: untouched");
        assertEquals(TEXT, s.kernel().vmcoreinfo(), "a prefix past the end of RAM is skipped, not fatal");
    }
}
