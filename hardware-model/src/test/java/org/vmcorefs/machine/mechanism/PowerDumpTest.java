package org.vmcorefs.machine.mechanism;

import org.vmcorefs.machine.Architecture;
import org.vmcorefs.machine.CpuState;
import org.vmcorefs.machine.DumpException;
import org.vmcorefs.machine.Errno;
import org.vmcorefs.machine.EventLog;
import org.vmcorefs.machine.FaultInjection;
import org.vmcorefs.machine.Machine;
import org.vmcorefs.machine.MemoryRange;
import org.vmcorefs.machine.memory.PhysicalMemory;
import org.vmcorefs.machine.memory.SavedArea;
import org.vmcorefs.machine.memory.SyntheticMemory;
import org.vmcorefs.machine.synthetic.SyntheticPowerSystem;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The machines the POWER hypervisor leaves: where it put its save area, what reads what, what a release does. */
class PowerDumpTest {
    private static final long GIB = 1L << 30;
    private static final long MIB = 1L << 20;
    private final SyntheticMemory crashed = new SyntheticMemory(7, 0.5);
    private final SyntheticMemory running = new SyntheticMemory(99, 1.0);

    private Machine phyp(long size, int cpus) {
        return PowerDump.phyp("ppc64-phyp", SyntheticPowerSystem.system(Architecture.PPC64, size, cpus, crashed,
                Instant.EPOCH), running, FaultInjection.NONE);
    }

    private static byte[] read(PhysicalMemory m, long address, int length) throws DumpException {
        ByteBuffer b = ByteBuffer.allocate(length);
        m.read(address, b);
        assertFalse(b.hasRemaining());
        return b.array();
    }

    private static byte[] expected(SyntheticMemory m, long address, int length) {
        byte[] out = new byte[length];
        for (int i = 0; i < length; i++) {
            out[i] = m.byteAt(address + i);
        }
        return out;
    }

    @Test
    void bootMemoryIsFivePercentRoundedDownTo256MiBAtLeast256MiB() {
        assertEquals(256 * MIB, PowerDump.bootMemorySize(GIB));
        assertEquals(256 * MIB, PowerDump.bootMemorySize(8 * GIB));
        assertEquals(768 * MIB, PowerDump.bootMemorySize(16 * GIB));
        assertEquals(5 * GIB, PowerDump.bootMemorySize(100 * GIB));
    }

    @Test
    void phypSaveAreaSitsAtTheTopOfRam() {
        Machine m = phyp(GIB, 3);
        FirmwareDump d = m.firmwareDump();
        assertEquals(FirmwareDump.Kind.PHYP, d.kind());
        assertEquals(new MemoryRange(0x2ffe0000L, 0x10000), d.cpuState());
        assertEquals(new MemoryRange(0x2fff0000L, 0x10000), d.hpte());
        assertEquals(new MemoryRange(0x30000000L, 0x10000000L), d.bootMemoryCopy());
        assertEquals(MemoryRange.ofEnd(0x2ffe0000L, GIB), d.dumpArea());
        assertEquals(MemoryRange.ofEnd(0x10000000L, 0x2ffe0000L), d.inPlace());
        assertEquals(List.of(MemoryRange.ofEnd(0x10000000L, GIB)), d.reservations().reserved());
        assertEquals(List.of(new MemoryRange(0, 0x10000000L), d.inPlace()), m.dumpRanges());
        assertTrue(d.dumpActive());
        assertFalse(d.registered());
    }

    @Test
    void tooLittleRamForTheSaveAreaIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> phyp(512 * MIB, 1));
    }

    @Test
    void theCrashedMemoryIsReadLazilyBootMemoryThroughTheSavedArea() throws DumpException {
        Machine m = phyp(GIB, 2);
        SavedArea saved = m.savedArea();
        assertEquals(0, saved.counters().requests(), "building the machine reads nothing");
        long[] probes = {0, 0x1000, 0xfff0, 0x7ffff00L, 0xffff000L, 0x10000000L, 0x1abcdef0L, 0x2ffd0000L};
        for (long a : probes) {
            assertArrayEquals(expected(crashed, a, 0x10000), read(m.oldMemory(), a, 0x10000), Long.toHexString(a));
        }
        // Boot memory reads went block by block through the hypervisor interface: 64 KiB blocks.
        SavedArea.Counters c = saved.counters();
        assertTrue(c.blocks() >= 6 && c.blocks() <= 12, c.toString());
        assertEquals(c.blocks() * 0x10000, c.bytes());
        // Now, the boot memory holds the running kernel, the copy lies in the save area.
        assertArrayEquals(expected(running, 0x1000, 256), read(m.currentMemory(), 0x1000, 256));
        assertArrayEquals(expected(crashed, 0x1000, 256), read(m.currentMemory(), 0x30001000L, 256));
    }

    @Test
    void releasedMemoryFailsInTheDumpAndBelongsToTheRunningSystem() throws DumpException {
        Machine m = phyp(GIB, 1);
        FirmwareDump d = m.firmwareDump();
        d.release(new MemoryRange(0x18000000L, 0x100000));
        DumpException e = assertThrows(DumpException.class, () -> read(m.oldMemory(), 0x180ffff0L, 0x20));
        assertEquals(Errno.EIO, e.errno());
        assertThrows(DumpException.class, () -> read(m.oldMemory(), 0x17ffff00L, 0x200));
        assertArrayEquals(expected(crashed, 0x17ff0000L, 0x10000), read(m.oldMemory(), 0x17ff0000L, 0x10000));
        assertArrayEquals(expected(crashed, 0x18100000L, 0x10000), read(m.oldMemory(), 0x18100000L, 0x10000));
        assertArrayEquals(expected(running, 0x180ffff0L, 0x10), read(m.currentMemory(), 0x180ffff0L, 0x10));
        byte[] straddle = read(m.currentMemory(), 0x17fffff0L, 0x20);
        assertArrayEquals(expected(crashed, 0x17fffff0L, 0x10), java.util.Arrays.copyOf(straddle, 0x10));
        assertArrayEquals(expected(running, 0x18000000L, 0x10), java.util.Arrays.copyOfRange(straddle, 0x10, 0x20));
    }

    @Test
    void releasingTheCopyTakesTheBootMemoryAway() throws DumpException {
        Machine m = phyp(GIB, 1);
        FirmwareDump d = m.firmwareDump();
        d.release(new MemoryRange(0x30000000L, 0x8000000L));
        assertThrows(DumpException.class, () -> read(m.oldMemory(), 0x10000, 16));
        assertArrayEquals(expected(crashed, 0x8000000L, 16), read(m.oldMemory(), 0x8000000L, 16));
        assertFalse(m.savedArea().released());
        d.release(new MemoryRange(0x38000000L, 0x8000000L));
        assertTrue(m.savedArea().released());
        assertTrue(d.dumpActive());
    }

    @Test
    void releasingEverythingInvalidatesTheDumpAndRegistersAgain() throws DumpException {
        Machine m = phyp(GIB, 1);
        FirmwareDump d = m.firmwareDump();
        for (MemoryRange area : List.of(d.cpuState(), d.hpte(), d.bootMemoryCopy(), d.inPlace())) {
            assertTrue(d.dumpActive());
            d.release(area);
        }
        assertFalse(d.dumpActive());
        assertTrue(d.registered());
        List<String> kinds = m.events().events().stream().map(EventLog.Event::kind).toList();
        assertEquals(List.of("release", "release", "release", "release", "release", "invalidate", "register"), kinds);
        assertEquals(new MemoryRange(0, 0), d.firstReservedRun(d.inPlace()));
    }

    @Test
    void fadumpAreaSitsAboveTheBootMemory() throws DumpException {
        Machine m = PowerDump.fadump("ppc64le-fadump", SyntheticPowerSystem.system(Architecture.PPC64LE, GIB,
                4, crashed, Instant.EPOCH), running, FaultInjection.NONE);
        FirmwareDump d = m.firmwareDump();
        assertEquals(new MemoryRange(0x10000000L, 0x10000), d.cpuState());
        assertEquals(new MemoryRange(0x10010000L, 0x10000), d.hpte());
        assertEquals(new MemoryRange(0x10020000L, 0x10000000L), d.bootMemoryCopy());
        assertEquals(MemoryRange.ofEnd(0x10000000L, 0x20030000L), d.dumpArea());
        assertEquals(MemoryRange.ofEnd(0x20030000L, GIB), d.inPlace());
        assertArrayEquals(expected(crashed, 0x1230, 64), read(m.oldMemory(), 0x1230, 64));
        assertArrayEquals(expected(crashed, 0x20030000L, 64), read(m.oldMemory(), 0x20030000L, 64));
        DumpException e = assertThrows(DumpException.class, () -> d.setRegistered(true));
        assertEquals(Errno.EPERM, e.errno());
        d.releaseAll();
        assertFalse(d.dumpActive());
        assertFalse(d.registered(), "fadump leaves re-registration to user space");
        assertEquals(Errno.EPERM, assertThrows(DumpException.class, d::releaseAll).errno());
        d.setRegistered(true);
        assertTrue(d.registered());
        assertThrows(DumpException.class, () -> read(m.oldMemory(), 0x20030000L, 64));
    }

    @Test
    void cpuStateAreaHoldsEachCpusRegistersInTheMachinesByteOrder() throws DumpException {
        Machine m = phyp(GIB, 2);
        CpuState cpu1 = m.cpus().get(1);
        ByteBuffer b = ByteBuffer.wrap(read(m.currentMemory(), m.firmwareDump().cpuState().start()
                + PowerDump.CPU_STATE_BYTES, 48 * 8));
        for (long r : cpu1.registers()) {
            assertEquals(r, b.getLong());
        }
    }
}
