package org.vmcorefs.machine.memory;

import org.vmcorefs.machine.DumpException;
import org.vmcorefs.machine.Errno;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** LayeredMemory against a plain byte array that applies the same extents by copying. */
class LayeredMemoryTest {
    private static final int SPACE = 1 << 16;

    /** Memory whose byte at address a is a function of (tag, a): each source is recognisable. */
    record Pattern(int tag) implements PhysicalMemory {
        byte at(long address) {
            return (byte) (tag * 31 + address * 7 + (address >>> 8));
        }

        @Override
        public void read(long address, ByteBuffer dst) {
            while (dst.hasRemaining()) {
                dst.put(at(address++));
            }
        }
    }

    private static byte[] read(PhysicalMemory m, long address, int length) throws DumpException {
        ByteBuffer b = ByteBuffer.allocate(length);
        m.read(address, b);
        assertEquals(length, b.position(), "read must fill its buffer");
        return b.array();
    }

    private static byte[] reference(Pattern background) {
        byte[] ref = new byte[SPACE];
        for (int i = 0; i < SPACE; i++) {
            ref[i] = background.at(i);
        }
        return ref;
    }

    private static void apply(byte[] ref, long start, long size, Pattern source, long sourceAddress) {
        for (long i = 0; i < size; i++) {
            ref[(int) (start + i)] = source.at(sourceAddress + i);
        }
    }

    private static void assertSameEverywhere(byte[] ref, PhysicalMemory m, SplittableRandom r) throws DumpException {
        assertArrayEquals(ref, read(m, 0, SPACE), "one read of the whole space");
        for (int i = 0; i < 300; i++) {
            int start = r.nextInt(SPACE);
            int length = r.nextInt(0, Math.min(SPACE - start, 9000) + 1);
            byte[] expected = java.util.Arrays.copyOfRange(ref, start, start + length);
            assertArrayEquals(expected, read(m, start, length), "read at " + start + " length " + length);
        }
    }

    @Test
    void laterPutOverridesEarlier() throws DumpException {
        Pattern bg = new Pattern(0);
        Pattern a = new Pattern(1);
        Pattern b = new Pattern(2);
        LayeredMemory m = LayeredMemory.over(bg).put(1000, 5000, a, 1000).put(3000, 100, b, 70000).build();
        byte[] ref = reference(bg);
        apply(ref, 1000, 5000, a, 1000);
        apply(ref, 3000, 100, b, 70000);
        assertSameEverywhere(ref, m, new SplittableRandom(1));
        assertEquals(3, m.extents().size(), "the earlier extent is cut in two around the later one");
    }

    @Test
    void putCoveringSeveralExtentsReplacesThemAll() throws DumpException {
        Pattern bg = new Pattern(0);
        LayeredMemory.Builder builder = LayeredMemory.over(bg);
        byte[] ref = reference(bg);
        for (int i = 0; i < 10; i++) {
            Pattern p = new Pattern(10 + i);
            builder.put(i * 4000L, 3000, p, 500);
            apply(ref, i * 4000L, 3000, p, 500);
        }
        Pattern big = new Pattern(99);
        builder.put(2500, 30000, big, 2500);
        apply(ref, 2500, 30000, big, 2500);
        assertSameEverywhere(ref, builder.build(), new SplittableRandom(2));
    }

    @Test
    void appendedExtentsWithGapsAreReadAcrossInOneRead() throws DumpException {
        Pattern bg = new Pattern(0);
        LayeredMemory.Builder builder = LayeredMemory.over(bg);
        byte[] ref = reference(bg);
        // Extents separated by gaps of 1, 100 and 4096 bytes, and two that touch.
        long[][] extents = {{100, 50}, {151, 10}, {261, 4000}, {8357, 1}, {8358, 600}, {20000, 9000}};
        int tag = 1;
        for (long[] e : extents) {
            Pattern p = new Pattern(tag++);
            builder.append(e[0], e[1], p, e[0] * 3);
            apply(ref, e[0], e[1], p, e[0] * 3);
        }
        LayeredMemory m = builder.build();
        assertArrayEquals(java.util.Arrays.copyOfRange(ref, 0, 30000), read(m, 0, 30000));
        assertArrayEquals(java.util.Arrays.copyOfRange(ref, 120, 400), read(m, 120, 280),
                "extent, 1-byte gap, extent, 100-byte gap, extent");
        assertArrayEquals(java.util.Arrays.copyOfRange(ref, 4200, 21000), read(m, 4200, 16800),
                "end of an extent, gap, two touching extents, gap, extent");
        assertSameEverywhere(ref, m, new SplittableRandom(3));
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 8, 128, 4096, 8192})
    void randomLayersMatchTheReference(int unit) throws DumpException {
        SplittableRandom r = new SplittableRandom(unit);
        Pattern bg = new Pattern(0);
        LayeredMemory.Builder builder = LayeredMemory.over(bg);
        byte[] ref = reference(bg);
        for (int i = 0; i < 40; i++) {
            int units = SPACE / unit;
            long start = (long) r.nextInt(units) * unit;
            long size = Math.min(SPACE - start, (long) r.nextInt(1, Math.max(2, units / 4)) * unit);
            Pattern p = new Pattern(i + 1);
            long from = r.nextInt(1 << 20);
            builder.put(start, size, p, from);
            apply(ref, start, size, p, from);
        }
        assertSameEverywhere(ref, builder.build(), r);
    }

    @Test
    void overlappingAppendsAreRefused() {
        Pattern p = new Pattern(1);
        LayeredMemory.Builder b = LayeredMemory.over(p).append(0, 100, p, 0).append(99, 10, p, 0);
        assertThrows(IllegalArgumentException.class, b::build);
    }

    @Test
    void emptyExtentsAreIgnored() throws DumpException {
        Pattern bg = new Pattern(0);
        LayeredMemory m = LayeredMemory.over(bg).put(10, 0, new Pattern(1), 0).append(20, 0, new Pattern(2), 0)
                .build();
        assertEquals(0, m.extents().size());
        assertArrayEquals(read(bg, 0, 100), read(m, 0, 100));
    }

    @Test
    void failureOfAnExtentsSourceReachesTheReader() {
        PhysicalMemory failing = (address, dst) -> {
            throw new DumpException(Errno.EIO, "bad block at " + address);
        };
        LayeredMemory m = LayeredMemory.over(new Pattern(0)).put(4096, 4096, failing, 0).build();
        DumpException e = assertThrows(DumpException.class, () -> read(m, 4000, 200));
        assertEquals(Errno.EIO, e.errno());
    }
}
