package org.vmcorefs.format.view;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.vmcorefs.machine.DumpException;

/** The read property every view must have: any (offset, length) read equals that slice of the whole file. */
public final class Reads {
    private Reads() {
    }

    /** The file read in chunks of {@code chunk} bytes from offset 0 to the end. */
    public static byte[] render(Layout layout, int chunk) throws DumpException {
        byte[] out = new byte[Math.toIntExact(layout.size())];
        ByteBuffer b = ByteBuffer.allocate(chunk);
        long offset = 0;
        while (offset < out.length) {
            int n = layout.read(offset, b.clear());
            assertEquals(Math.min(chunk, out.length - offset), n, "a read inside the file is full, at " + offset);
            b.flip().get(out, (int) offset, n);
            offset += n;
        }
        assertEquals(0, layout.read(offset, b.clear()), "EOF after the last byte");
        return out;
    }

    /** Reads {@code length} bytes at {@code offset} into the middle of a larger buffer and checks the slice. */
    static void assertSlice(Layout layout, byte[] expected, long offset, int length) throws DumpException {
        ByteBuffer b = ByteBuffer.allocate(length + 6);
        b.position(3).limit(3 + length);
        int n = layout.read(offset, b);
        int want = (int) Math.max(0, Math.min(length, expected.length - offset));
        if (n != want) {
            throw new AssertionError("read(" + offset + ", " + length + ") returned " + n + ", expected " + want
                    + " (file size " + expected.length + ")");
        }
        assertEquals(3 + n, b.position(), "position advanced by the count returned");
        assertEquals(3 + length, b.limit(), "limit restored");
        byte[] got = Arrays.copyOfRange(b.array(), 3, 3 + n);
        byte[] exp = n == 0 ? new byte[0] : Arrays.copyOfRange(expected, (int) offset, (int) offset + n);
        if (!Arrays.equals(exp, got)) {
            int i = Arrays.mismatch(exp, got);
            throw new AssertionError(String.format("read(%d, %d) differs from the rendered file at offset %d: "
                    + "%02x != %02x", offset, length, offset + i, got[i], exp[i]));
        }
        for (int i : new int[] {0, 1, 2, 3 + length, 4 + length, 5 + length}) {
            assertEquals(0, b.array()[i], "read wrote outside its buffer's window");
        }
    }

    /**
     * Checks reads at and around every segment boundary (with lengths that straddle it), at EOF, past EOF,
     * and at random offsets, against {@code expected}.
     */
    static void assertAnyReadIsASlice(Layout layout, byte[] expected, long seed) throws DumpException {
        assertEquals(expected.length, layout.size(), "file size");
        List<Long> points = new ArrayList<>();
        for (Layout.Segment s : layout.segments()) {
            points.add(s.offset());
            points.add(s.end());
        }
        int[] lengths = {1, 2, 3, 8, 127, 128, 129, 4095, 4096, 4097, 8192, 12289};
        for (long p : points) {
            for (long delta : new long[] {-4097, -4096, -129, -8, -2, -1, 0, 1, 2}) {
                long offset = p + delta;
                if (offset < 0) {
                    continue;
                }
                for (int length : lengths) {
                    assertSlice(layout, expected, offset, length);
                }
            }
        }
        long size = expected.length;
        for (long offset : new long[] {size - 1, size, size + 1, size + 4096, Long.MAX_VALUE - 10}) {
            for (int length : new int[] {0, 1, 4096, 65536}) {
                assertSlice(layout, expected, offset, length);
            }
        }
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = 0; i < 2000; i++) {
            long offset = r.nextLong(size + 10);
            int length = r.nextInt(0, 20000);
            assertSlice(layout, expected, offset, length);
        }
        assertSlice(layout, expected, 0, expected.length);
    }
}
