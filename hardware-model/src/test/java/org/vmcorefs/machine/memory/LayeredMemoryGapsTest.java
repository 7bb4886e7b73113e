package org.vmcorefs.machine.memory;

import org.vmcorefs.machine.DumpException;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

/** Reads across extents, gaps between them and the background. */
class LayeredMemoryGapsTest {
    @Test
    void readsAcrossExtentsAndGaps() throws DumpException {
        byte[] ones = new byte[16];
        java.util.Arrays.fill(ones, (byte) 1);
        byte[] twos = new byte[16];
        java.util.Arrays.fill(twos, (byte) 2);
        // 0..7 zeros, 8..15 ones, 16..23 zeros (a gap), 24..31 twos, then zeros; also adjacent extents 40..47, 48..55.
        LayeredMemory m = LayeredMemory.over(PhysicalMemory.ZEROS).append(8, 8, new BytesMemory(ones), 0)
                .append(24, 8, new BytesMemory(twos), 0).append(40, 8, new BytesMemory(twos), 0)
                .append(48, 8, new BytesMemory(ones), 0).build();
        for (int start = 0; start < 60; start++) {
            for (int len = 1; start + len <= 64; len++) {
                ByteBuffer b = ByteBuffer.allocate(len);
                m.read(start, b);
                for (int k = 0; k < len; k++) {
                    long a = start + k;
                    int want = a >= 8 && a < 16 || a >= 48 && a < 56 ? 1 : a >= 24 && a < 32 || a >= 40 && a < 48 ? 2 : 0;
                    assertEquals(want, b.get(k), "byte " + a + " of read " + start + "+" + len);
                }
            }
        }
    }
}
