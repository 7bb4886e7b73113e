package org.vmcorefs.machine.memory;

import org.vmcorefs.machine.DumpException;
import org.vmcorefs.machine.Errno;
import org.vmcorefs.machine.EventLog;
import org.vmcorefs.machine.MemoryRange;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Releases of reserved memory: page-granular, merged, harmless when repeated, all-or-nothing, each an event. */
class ReservedMemoryTest {
    private static final long PAGE = 0x10000;
    private static final MemoryRange RESERVED = MemoryRange.ofEnd(0x10000000L, 0x40000000L);

    private final EventLog events = new EventLog();
    private final ReservedMemory memory = new ReservedMemory(List.of(RESERVED), PAGE, events);

    @Test
    void releasesArePageGranularSortedAndMerged() throws DumpException {
        assertEquals(0x20000, memory.release(new MemoryRange(0x20000000L, 0x20000)));
        assertEquals(PAGE, memory.release(new MemoryRange(0x10000000L, PAGE)));
        assertEquals(PAGE, memory.release(new MemoryRange(0x10010000L, PAGE)));
        assertEquals(List.of(new MemoryRange(0x10000000L, 0x20000), new MemoryRange(0x20000000L, 0x20000)),
                memory.released());
        assertEquals(0x40000, memory.releasedBytes());
        assertEquals(List.of(MemoryRange.ofEnd(0x10020000L, 0x20000000L), MemoryRange.ofEnd(0x20020000L, 0x40000000L)),
                memory.stillReserved());
    }

    @Test
    void repeatedAndOverlappingReleasesAreHarmless() throws DumpException {
        memory.release(new MemoryRange(0x10000000L, 0x30000));
        assertEquals(0, memory.release(new MemoryRange(0x10000000L, 0x30000)));
        assertEquals(0x10000, memory.release(new MemoryRange(0x10020000L, 0x20000)));
        assertEquals(List.of(new MemoryRange(0x10000000L, 0x40000)), memory.released());
    }

    @Test
    void badReleasesChangeNothing() throws DumpException {
        memory.release(new MemoryRange(0x30000000L, PAGE));
        int eventsBefore = events.events().size();
        List<MemoryRange> before = memory.released();
        for (MemoryRange bad : List.of(new MemoryRange(0x10000100L, PAGE), new MemoryRange(0x10000000L, 0x1000),
                new MemoryRange(0x10000000L, 0), new MemoryRange(0x0, PAGE), new MemoryRange(0xfff0000L, 0x20000),
                new MemoryRange(0x3fff0000L, 0x20000), new MemoryRange(0x40000000L, PAGE))) {
            DumpException e = assertThrows(DumpException.class, () -> memory.release(bad), bad.toString());
            assertEquals(Errno.EINVAL, e.errno(), bad.toString());
        }
        assertEquals(before, memory.released());
        assertEquals(eventsBefore, events.events().size());
    }

    @Test
    void everyReleaseIsAnEventWithItsRange() throws DumpException {
        memory.release(new MemoryRange(0x10000000L, PAGE));
        memory.release(new MemoryRange(0x10000000L, PAGE));
        List<EventLog.Event> e = events.events();
        assertEquals(2, e.size());
        assertEquals("release", e.get(0).kind());
        assertTrue(e.get(0).detail().startsWith("[0x10000000-0x10010000) 0x10000 bytes newly released"), e.get(0).detail());
        assertTrue(e.get(1).detail().contains("0x0 bytes newly released"), e.get(1).detail());
        assertTrue(e.get(0).sequence() < e.get(1).sequence());
    }

    @Test
    void fullRelease() throws DumpException {
        assertFalse(memory.fullyReleased());
        memory.release(MemoryRange.ofEnd(0x10000000L, 0x28000000L));
        assertTrue(memory.anyReleased(0x27ff0000L, 0x20000));
        assertFalse(memory.anyReleased(0x28000000L, 0x20000));
        memory.release(MemoryRange.ofEnd(0x28000000L, 0x40000000L));
        assertTrue(memory.fullyReleased());
        assertEquals(List.of(), memory.stillReserved());
        assertEquals(0, memory.releaseAll());
    }

    @Test
    void releaseAllTakesWhatIsLeftInOneStep() throws DumpException {
        memory.release(new MemoryRange(0x10000000L, PAGE));
        assertEquals(RESERVED.size() - PAGE, memory.releaseAll());
        assertTrue(memory.fullyReleased());
        assertEquals(2, events.events().size());
    }
}
