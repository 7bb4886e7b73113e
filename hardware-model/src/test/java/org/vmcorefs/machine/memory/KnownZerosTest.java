package org.vmcorefs.machine.memory;

import org.vmcorefs.machine.DumpException;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What memories know to be zero without reading: synthetic memory's empty blocks, through layered memory. */
class KnownZerosTest {
    private static final long MIB = 1L << 20;

    @Test
    void layeredMemoryAsksTheExtentsAndTheBackgroundAcrossGaps() {
        SyntheticMemory empty = new SyntheticMemory(1, 0.0);
        SyntheticMemory full = new SyntheticMemory(2, 1.0);
        LayeredMemory mem = LayeredMemory.over(empty).put(4 * MIB, 2 * MIB, full, 0)
                .put(10 * MIB, 2 * MIB, empty, 100 * MIB).build();
        List<String> seen = new ArrayList<>();
        mem.knownZeros(MIB, 15 * MIB, (a, l) -> seen.add(a / MIB + "+" + l / MIB));
        assertEquals(List.of("1+3", "6+4", "10+2", "12+4"), seen);
    }

    @Test
    void syntheticMemoryReportsExactlyItsUnpopulatedBlocksAndTheyReadAsZeros() throws DumpException {
        SyntheticMemory mem = new SyntheticMemory(5, 0.3);
        List<long[]> runs = new ArrayList<>();
        mem.knownZeros(MIB, 200 * MIB, (a, l) -> runs.add(new long[] {a, l}));
        assertFalse(runs.isEmpty());
        long reported = 0;
        ByteBuffer buf = ByteBuffer.allocate((int) (2 * MIB));
        for (long[] r : runs) {
            reported += r[1];
            for (long a = r[0]; a < r[0] + r[1]; a += buf.capacity()) {
                buf.clear().limit((int) Math.min(buf.capacity(), r[0] + r[1] - a));
                mem.read(a, buf);
                for (int i = 0; i < buf.limit(); i++) {
                    if (buf.get(i) != 0) {
                        throw new AssertionError("non-zero byte at " + (a + i));
                    }
                }
            }
        }
        long expected = 0;
        for (long a = MIB; a < 201 * MIB; ) {
            long blockEnd = Math.min(201 * MIB, (a / SyntheticMemory.BLOCK_SIZE + 1) * SyntheticMemory.BLOCK_SIZE);
            if (!mem.isBlockPopulated(a / SyntheticMemory.BLOCK_SIZE)) {
                expected += blockEnd - a;
            }
            a = blockEnd;
        }
        assertEquals(expected, reported);
        assertTrue(reported > 50 * MIB && reported < 180 * MIB, "about 70% empty: " + reported);
        List<long[]> none = new ArrayList<>();
        new SyntheticMemory(5, 1.0).knownZeros(0, 64 * MIB, (a, l) -> none.add(new long[] {a, l}));
        assertTrue(none.isEmpty());
    }
}
