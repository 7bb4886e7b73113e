package org.vmcorefs.machine.mechanism;

import org.vmcorefs.machine.Architecture;
import org.vmcorefs.machine.CrashedSystem;
import org.vmcorefs.machine.DumpException;
import org.vmcorefs.machine.FaultInjection;
import org.vmcorefs.machine.KernelInfo;
import org.vmcorefs.machine.Machine;
import org.vmcorefs.machine.MemoryRange;
import org.vmcorefs.machine.memory.PhysicalMemory;
import org.vmcorefs.machine.memory.SyntheticMemory;
import org.vmcorefs.machine.synthetic.SyntheticSystem;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What the capture kernel finds after a kexec crash: old memory, current memory, the dump's ranges. */
class KdumpTest {
    private static final long MIB = 1L << 20;
    private final SyntheticMemory crashTime = new SyntheticMemory(5, 1.0);
    private final SyntheticMemory capture = new SyntheticMemory(5 ^ 0x6b65786563L, 1.0);

    private Machine machine(long size, MemoryRange crashkernel) {
        CrashedSystem s = SyntheticSystem.x86_64(size, 2, crashTime, 0, Instant.EPOCH);
        return Kdump.build("x86_64-kdump", s, crashkernel, capture, FaultInjection.NONE);
    }

    private static void assertBytes(PhysicalMemory m, long address, int length, SyntheticMemory expected,
            long expectedAddress) throws DumpException {
        ByteBuffer b = ByteBuffer.allocate(length);
        m.read(address, b);
        for (int i = 0; i < length; i++) {
            if (b.get(i) != expected.byteAt(expectedAddress + i)) {
                throw new AssertionError(String.format("byte at 0x%x differs from the expected memory at 0x%x",
                        address + i, expectedAddress + i));
            }
        }
    }

    @Test
    void theCrashkernelRegionIsExcludedFromTheDump() {
        Machine m = machine(1L << 30, Kdump.defaultCrashkernel(SyntheticSystem.x86Ram(1L << 30)));
        MemoryRange ck = m.reserved();
        assertEquals(new MemoryRange(0x38000000L, 128 * MIB), ck, "128 MiB for 1 GiB, highest 16 MiB-aligned fit");
        for (MemoryRange r : m.dumpRanges()) {
            assertFalse(r.overlaps(ck), r + " overlaps the crashkernel region " + ck);
        }
        long dumped = m.dumpRanges().stream().mapToLong(MemoryRange::size).sum();
        assertEquals(m.system().ramSize() - ck.size(), dumped, "everything else of RAM is dumped");
        assertEquals(List.of(new MemoryRange(0, 0xa0000), MemoryRange.ofEnd(MIB, ck.start()),
                MemoryRange.ofEnd(ck.end(), m.system().endOfRam())), m.dumpRanges());
    }

    @Test
    void theLow640KiBAreTheirOwnRangeSoTheBackupIsOneSegment() {
        List<MemoryRange> ram = List.of(new MemoryRange(0, 64 * MIB));
        CrashedSystem s = new CrashedSystem(Architecture.X86_64, ram, crashTime, List.of(), new KernelInfo("x", 0, 0,
                0, 0, ""), Instant.EPOCH, "test");
        Machine m = Kdump.build("x86_64-kdump", s, new MemoryRange(32 * MIB, 16 * MIB), capture, FaultInjection.NONE);
        assertEquals(List.of(new MemoryRange(0, 0xa0000), MemoryRange.ofEnd(0xa0000, 32 * MIB),
                MemoryRange.ofEnd(48 * MIB, 64 * MIB)), m.dumpRanges());
    }

    @Test
    void oldMemoryShowsTheCrashTimeBytesAndCurrentMemoryTheCaptureKernels() throws DumpException {
        Machine m = machine(1L << 30, new MemoryRange(0x30000000L, 64 * MIB));
        long ck = m.reserved().start();
        // The low 640 KiB: the crash-time bytes through the backup, the capture kernel's bytes now.
        assertBytes(m.oldMemory(), 0, 0xa0000, crashTime, 0);
        assertBytes(m.currentMemory(), 0, 0xa0000, capture, 0);
        // The backup copy lies at the start of the crashkernel region, the capture kernel after it.
        assertBytes(m.currentMemory(), ck, 0xa0000, crashTime, 0);
        assertBytes(m.currentMemory(), ck + 0xa0000, 64 * 1024, capture, ck + 0xa0000);
        // Elsewhere old and current memory are the crash-time bytes, also across the 640 KiB edge.
        assertBytes(m.currentMemory(), MIB - 4096, 3 * 4096, crashTime, MIB - 4096);
        assertBytes(m.oldMemory(), 0x9f000, 0x1000, crashTime, 0x9f000);
        assertBytes(m.oldMemory(), ck - 8192, 8192, crashTime, ck - 8192);
        assertBytes(m.currentMemory(), m.reserved().end(), 8192, crashTime, m.reserved().end());
        assertTrue(m.savedArea().counters().blocks() >= 160);
    }

    @Test
    void readingOldMemoryAboveTheBackupFetchesNoSavedBlocks() throws DumpException {
        Machine m = machine(1L << 30, new MemoryRange(0x30000000L, 64 * MIB));
        ByteBuffer b = ByteBuffer.allocate(1 << 20);
        m.oldMemory().read(0xa0000, b);
        assertEquals(0, m.savedArea().counters().requests());
        m.oldMemory().read(0x9ffff, ByteBuffer.allocate(2));
        assertEquals(1, m.savedArea().counters().blocks());
    }

    @Test
    void aCrashkernelOutsideRamIsRefused() {
        CrashedSystem s = SyntheticSystem.x86_64(1L << 30, 1, crashTime, 0, Instant.EPOCH);
        assertThrows(IllegalArgumentException.class,
                () -> Kdump.build("x86_64-kdump", s, new MemoryRange(0x80000000L, 64 * MIB), capture, FaultInjection.NONE));
    }

    @Test
    void defaultReservationFollowsTheRamSize() {
        assertTrue(Kdump.defaultCrashkernel(SyntheticSystem.x86Ram(256 * MIB)).isEmpty());
        assertEquals(128 * MIB, Kdump.defaultCrashkernel(SyntheticSystem.x86Ram(512 * MIB)).size());
        MemoryRange big = Kdump.defaultCrashkernel(SyntheticSystem.x86Ram(1L << 40));
        assertEquals(256 * MIB, big.size());
        assertTrue(big.end() <= 3L << 30, "below the PCI hole under 4 GiB: " + big);
        assertEquals(0, big.start() % (16 * MIB));
    }
}
