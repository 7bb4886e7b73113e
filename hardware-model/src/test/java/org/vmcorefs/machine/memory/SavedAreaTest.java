package org.vmcorefs.machine.memory;

import org.vmcorefs.machine.DumpException;
import org.vmcorefs.machine.Errno;
import org.vmcorefs.machine.EventLog;
import org.vmcorefs.machine.FaultInjection;
import org.vmcorefs.machine.MemoryRange;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The saved area's block-by-block interface: exact counters, release, injected faults. */
class SavedAreaTest {
    private static final MemoryRange RANGE = new MemoryRange(0, 0xa0000);
    private final SyntheticMemory crashTime = new SyntheticMemory(21, 1.0);

    private SavedArea area(FaultInjection faults) {
        return new SavedArea("backup", "kexec backup region", RANGE, 4096, 0, crashTime, faults, new EventLog());
    }

    private void assertCrashTimeBytes(long address, ByteBuffer filled) {
        for (int i = 0; i < filled.limit(); i++) {
            if (filled.get(i) != crashTime.byteAt(address + i)) {
                throw new AssertionError(String.format("byte at 0x%x differs", address + i));
            }
        }
    }

    private ByteBuffer read(SavedArea a, long address, int length) throws DumpException {
        ByteBuffer b = ByteBuffer.allocate(length);
        a.read(address, b);
        assertFalse(b.hasRemaining(), "a saved-area read is full");
        return b.flip();
    }

    @ParameterizedTest(name = "read [0x{0}, +{1}) fetches {2} blocks")
    @CsvSource({
        "0, 4096, 1",
        "0, 1, 1",
        "4095, 1, 1",
        "4095, 2, 2",
        "1000, 4096, 2",
        "4096, 8192, 2",
        "4096, 8193, 3",
        "2048, 12288, 4",
        "0, 655360, 160",
        "655359, 1, 1",
        "100, 655260, 160",
    })
    void fetchesExactlyTheBlocksARequestCovers(long address, int length, long blocks) throws DumpException {
        SavedArea a = area(FaultInjection.NONE);
        assertEquals(new SavedArea.Counters(0, 0, 0, 0, 0), a.counters(), "nothing fetched before a read");
        assertCrashTimeBytes(address, read(a, address, length));
        SavedArea.Counters c = a.counters();
        assertEquals(blocks, c.requests());
        assertEquals(blocks, c.blocks());
        assertEquals(blocks * 4096, c.bytes(), "whole blocks are fetched, however little is asked");
        assertEquals(0, c.failures());
    }

    @Test
    void everyReadFetchesAgain() throws DumpException {
        SavedArea a = area(FaultInjection.NONE);
        read(a, 0, 8192);
        read(a, 0, 8192);
        assertEquals(4, a.counters().blocks(), "no cache: the interface has a single bounce buffer");
        assertEquals(160, a.blockCount());
    }

    @Test
    void readsOutsideTheRangeFail() {
        SavedArea a = area(FaultInjection.NONE);
        DumpException e = assertThrows(DumpException.class, () -> read(a, 0xa0000 - 10, 11));
        assertEquals(Errno.EIO, e.errno());
        assertEquals(0, a.counters().requests(), "a refused read asks nothing of the interface");
    }

    @Test
    void releaseMakesEveryLaterReadFail() throws DumpException {
        EventLog events = new EventLog();
        SavedArea a = new SavedArea("backup", "kexec backup region", RANGE, 4096, 0, crashTime, FaultInjection.NONE,
                events);
        read(a, 0, 4096);
        assertTrue(a.release());
        assertTrue(a.released());
        assertFalse(a.release(), "a second release does nothing");
        DumpException e = assertThrows(DumpException.class, () -> read(a, 0, 4096));
        assertInstanceOf(SavedArea.ReleasedException.class, e);
        assertEquals(Errno.EIO, e.errno());
        assertEquals(1, a.counters().blocks());
        assertEquals(1, events.events().size());
        assertEquals("release", events.events().get(0).kind());
    }

    @Test
    void anInjectedFaultFailsThatRequestOnlyAndARetrySucceeds() throws DumpException {
        SavedArea a = area(new FaultInjection(0.3, 0, 7, false));
        int failed = 0;
        for (long block = 0; block < 160; block++) {
            long address = block * 4096 + 10;
            ByteBuffer b = ByteBuffer.allocate(100);
            int attempts = 0;
            while (true) {
                attempts++;
                try {
                    a.read(address, b.clear());
                    break;
                } catch (DumpException e) {
                    assertEquals(Errno.EIO, e.errno());
                    assertTrue(e.getMessage().contains("block " + block), e.getMessage());
                    failed++;
                    assertTrue(attempts < 50, "a transient fault must not stick");
                }
            }
            assertCrashTimeBytes(address, b.flip());
        }
        SavedArea.Counters c = a.counters();
        assertTrue(failed > 20 && failed < 120, "about 30% of requests fail: " + failed);
        assertEquals(failed, c.failures());
        assertEquals(160 + failed, c.requests(), "every attempt is one request");
        assertEquals(160, c.blocks(), "failed requests deliver nothing");
        assertEquals(160 * 4096, c.bytes());
    }

    @Test
    void aFaultInAMultiBlockReadFailsTheWholeRead() {
        SavedArea a = area(new FaultInjection(0, 0, 1, true));
        DumpException e = assertThrows(DumpException.class, () -> read(a, 0, 8192));
        assertEquals(Errno.EIO, e.errno());
        assertEquals(1, a.counters().failures(), "the read stops at the first failed request");
        assertEquals(0, a.counters().blocks());
    }

    @Test
    void blockNumbersStartAtTheInterfacesFirstNumber() {
        SavedArea a = new SavedArea("HSA", "SCLP SDIAS", new MemoryRange(0, 1 << 20), 4096, 2, crashTime,
                new FaultInjection(0, 0, 1, true), new EventLog());
        DumpException e = assertThrows(DumpException.class, () -> read(a, 3 * 4096, 1));
        assertTrue(e.getMessage().contains("block 5"), e.getMessage());
    }

    @Test
    void concurrentReadersShareTheBounceBufferSafely() throws Exception {
        SavedArea a = area(FaultInjection.NONE);
        int threads = 4;
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(threads);
        try {
            List<java.util.concurrent.Future<?>> done = new java.util.ArrayList<>();
            for (int t = 0; t < threads; t++) {
                long start = 1000L * t + 3;
                done.add(pool.submit(() -> {
                    for (int round = 0; round < 20; round++) {
                        long address = (start + round * 7919L) % (0xa0000 - 20000);
                        assertCrashTimeBytes(address, read(a, address, 20000));
                    }
                    return null;
                }));
            }
            for (java.util.concurrent.Future<?> f : done) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(a.counters().requests(), a.counters().blocks());
    }
}
