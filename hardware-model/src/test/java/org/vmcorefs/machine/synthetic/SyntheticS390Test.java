package org.vmcorefs.machine.synthetic;

import org.vmcorefs.machine.Architecture;
import org.vmcorefs.machine.CpuState;
import org.vmcorefs.machine.CrashedSystem;
import org.vmcorefs.machine.DumpException;
import org.vmcorefs.machine.Errno;
import org.vmcorefs.machine.FaultInjection;
import org.vmcorefs.machine.Machine;
import org.vmcorefs.machine.MemoryRange;
import org.vmcorefs.machine.mechanism.S390SaveArea;
import org.vmcorefs.machine.mechanism.Zfcpdump;
import org.vmcorefs.machine.memory.PhysicalMemory;
import org.vmcorefs.machine.memory.SyntheticMemory;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The synthetic s390x system and the zfcpdump machine: save areas in memory, the HSA behind SCLP. */
class SyntheticS390Test {
    static final long MIB = 1L << 20;

    @Test
    void syntheticReadEqualsByteAt() throws DumpException {
        SyntheticMemory m = new SyntheticMemory(3, 0.7);
        SplittableRandom rnd = new SplittableRandom(1);
        for (int i = 0; i < 200; i++) {
            long a = rnd.nextLong(1L << 33);
            int n = 1 + rnd.nextInt(9000);
            ByteBuffer b = ByteBuffer.allocate(n);
            m.read(a, b);
            for (int k = 0; k < n; k++) {
                assertEquals(m.byteAt(a + k), b.get(k), "at " + (a + k));
            }
        }
    }

    @Test
    void ramHasAHoleAndLowcoresHoldTheRegisters() throws DumpException {
        CrashedSystem s = SyntheticS390.s390x(256 * MIB, 4, new SyntheticMemory(5, 1.0), Instant.EPOCH);
        assertEquals(List.of(new MemoryRange(0, 192 * MIB), new MemoryRange(256 * MIB, 64 * MIB)), s.ram());
        assertEquals(SyntheticS390.BOOT_PREFIX, s.cpus().get(0).get("prefix"));
        for (CpuState c : s.cpus()) {
            ByteBuffer sa = ByteBuffer.allocate(S390SaveArea.SIZE);
            s.memory().read(c.get("prefix") + S390SaveArea.BASE, sa);
            long[] want = c.registers();
            want[Architecture.S390X.registerIndex("orig_gpr2")] = 0;
            org.junit.jupiter.api.Assertions.assertArrayEquals(want,
                    S390SaveArea.readFrom(sa.flip(), c.index(), new byte[0]).registers());
        }
        ByteBuffer abs = ByteBuffer.allocate(S390SaveArea.SIZE);
        s.memory().read(S390SaveArea.BASE, abs);
        assertEquals(s.cpus().get(0).get("psw_addr"), abs.getLong(0x108), "boot CPU's PSW in the absolute lowcore");
    }

    @Test
    void dumpKernelOverwritesTheLowMemoryAndTheHsaKeepsIt() throws DumpException {
        CrashedSystem s = SyntheticS390.s390x(64 * MIB, 1, new SyntheticMemory(5, 1.0), Instant.EPOCH);
        Machine m = Zfcpdump.build("s390x-zfcpdump", s, 8 * MIB, new SyntheticMemory(77, 1.0), FaultInjection.NONE);
        SyntheticMemory crashed = new SyntheticMemory(5, 1.0);
        SyntheticMemory kernel = new SyntheticMemory(77, 1.0);
        ByteBuffer now = ByteBuffer.allocate(16);
        m.currentMemory().read(0x400000, now);
        ByteBuffer old = ByteBuffer.allocate(16);
        m.oldMemory().read(0x400000, old);
        for (int i = 0; i < 16; i++) {
            assertEquals(kernel.byteAt(0x400000 + i), now.get(i), "current low memory is the dump kernel's");
            assertEquals(crashed.byteAt(0x400000 + i), old.get(i), "old memory comes from the HSA");
        }
        assertEquals(1, m.savedArea().counters().requests());
        m.savedArea().release();
        DumpException e = assertThrows(DumpException.class, () -> m.oldMemory().read(0, ByteBuffer.allocate(1)));
        assertEquals(Errno.ENODATA, e.errno());
        ByteBuffer above = ByteBuffer.allocate(1);
        m.oldMemory().read(8 * MIB, above);
        assertEquals(crashed.byteAt(8 * MIB), above.get(0));
        assertThrows(IllegalArgumentException.class,
                () -> Zfcpdump.build("s390x-zfcpdump", s, 4097, PhysicalMemory.ZEROS, FaultInjection.NONE));
    }
}
