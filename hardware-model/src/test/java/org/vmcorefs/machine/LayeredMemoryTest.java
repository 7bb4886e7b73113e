package org.vmcorefs.machine;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

/** Reads across extents, gaps between them and the background. */
class LayeredMemoryTest {
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

    @Test
    void oneReadAcrossAGapReadsTheExtentAfterIt() throws DumpException {
        byte[] x = "xx".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        byte[] y = "yyy".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        PhysicalMemory b = (a, dst) -> {
            while (dst.hasRemaining()) {
                dst.put((byte) 'b');
            }
        };
        LayeredMemory mem = LayeredMemory.over(b).put(4, 2, new BytesMemory(x), 0).put(10, 3, new BytesMemory(y), 0)
                .build();
        for (int block : new int[] {2, 8, 128}) {
            ByteBuffer all = ByteBuffer.allocate(16);
            for (int off = 0; off < 16; off += block) {
                mem.read(off, all.slice(off, Math.min(block, 16 - off)));
            }
            assertEquals("bbbbxxbbbbyyybbb", new String(all.array(), java.nio.charset.StandardCharsets.US_ASCII),
                    "reads of " + block + " bytes");
        }
    }

    @Test
    void knownZerosAsksTheExtentsAndTheBackgroundAcrossGaps() {
        long mib = 1L << 20;
        SyntheticMemory empty = new SyntheticMemory(1, 0.0);
        SyntheticMemory full = new SyntheticMemory(2, 1.0);
        LayeredMemory mem = LayeredMemory.over(empty).put(4 * mib, 2 * mib, full, 0)
                .put(10 * mib, 2 * mib, empty, 100 * mib).build();
        java.util.List<String> seen = new java.util.ArrayList<>();
        mem.knownZeros(mib, 15 * mib, (a, l) -> seen.add(a / mib + "+" + l / mib));
        assertEquals(java.util.List.of("1+3", "6+4", "10+2", "12+4"), seen);
    }
}
