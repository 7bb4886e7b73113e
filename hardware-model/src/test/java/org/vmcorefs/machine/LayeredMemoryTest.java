package org.vmcorefs.machine;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

/** One read across extents separated by gaps equals the byte-by-byte composition of its layers. */
class LayeredMemoryTest {
    @Test
    void aReadSpanningAGapBetweenExtentsReadsEveryExtent() throws DumpException {
        PhysicalMemory background = (a, dst) -> {
            while (dst.hasRemaining()) {
                dst.put((byte) 'b');
                a++;
            }
        };
        PhysicalMemory x = (a, dst) -> {
            while (dst.hasRemaining()) {
                dst.put((byte) 'x');
            }
        };
        PhysicalMemory y = (a, dst) -> {
            while (dst.hasRemaining()) {
                dst.put((byte) 'y');
            }
        };
        LayeredMemory mem = LayeredMemory.over(background).put(4, 2, x, 0).put(10, 3, y, 0).build();
        for (int block : new int[] {2, 8, 128}) {
            ByteBuffer all = ByteBuffer.allocate(16);
            for (int off = 0; off < 16; off += block) {
                mem.read(off, all.slice(off, Math.min(block, 16 - off)));
            }
            assertEquals("bbbbxxbbbbyyybbb", new String(all.array(), java.nio.charset.StandardCharsets.US_ASCII),
                    "reads of " + block + " bytes");
        }
    }
}
