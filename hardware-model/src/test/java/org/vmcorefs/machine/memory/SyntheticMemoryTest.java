package org.vmcorefs.machine.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** SyntheticMemory.read against byteAt, the reference every other test relies on. */
class SyntheticMemoryTest {
    private static final int PAGE = 4096;

    private static void assertReadMatches(SyntheticMemory m, long address, int length) {
        ByteBuffer dst = ByteBuffer.allocate(length + 16);
        dst.position(7).limit(7 + length);
        m.read(address, dst);
        assertEquals(7 + length, dst.position(), "read must fill the whole request");
        byte[] got = dst.array();
        for (int i = 0; i < length; i++) {
            byte expected = m.byteAt(address + i);
            if (got[7 + i] != expected) {
                throw new AssertionError(String.format("read(0x%x, %d) differs from byteAt at 0x%x: %02x != %02x",
                        address, length, address + i, got[7 + i], expected));
            }
        }
        for (int i = 0; i < 7; i++) {
            assertEquals(0, got[i], "read wrote before its buffer's position");
        }
        for (int i = 7 + length; i < got.length; i++) {
            assertEquals(0, got[i], "read wrote past its buffer's limit");
        }
    }

    @ParameterizedTest
    @ValueSource(doubles = {0.0, 0.01, 0.5, 1.0})
    void randomReadsAgreeWithByteAt(double populated) {
        SyntheticMemory m = new SyntheticMemory(11, populated);
        SplittableRandom r = new SplittableRandom(populated == 0 ? 1 : (long) (populated * 1000));
        for (int i = 0; i < 400; i++) {
            long address = r.nextLong(1L << 41);
            int length = r.nextInt(1, 3 * PAGE);
            assertReadMatches(m, address, length);
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 7, 8, 9, 128, 4095, 4096, 4097, 8192, 3 * 4096 + 5})
    void readsAroundPageBoundariesAgreeWithByteAt(int length) {
        SyntheticMemory m = new SyntheticMemory(3, 0.5);
        for (long page : new long[] {0, 1, 0x9f, 0xa0, 0x100000 / PAGE, (1L << 32) / PAGE - 1, (1L << 40) / PAGE}) {
            long base = page * PAGE;
            for (long start : new long[] {base, base + 1, base + 7, base + 8, base + PAGE - 8, base + PAGE - 1,
                    base + PAGE, base - 1}) {
                if (start >= 0) {
                    assertReadMatches(m, start, length);
                }
            }
        }
    }

    @Test
    void nonZeroPagesStartWithTheirOwnAddress() {
        SyntheticMemory m = new SyntheticMemory(5, 1.0);
        int checked = 0;
        for (long page = 0x12345; checked < 50; page++) {
            long a = page * PAGE;
            if (m.isZeroPage(a)) {
                continue;
            }
            ByteBuffer b = ByteBuffer.allocate(8).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            m.read(a, b);
            assertEquals(a, b.getLong(0));
            checked++;
        }
    }

    @Test
    void zeroPagesReadAsZerosAndAreWholePages() {
        SyntheticMemory m = new SyntheticMemory(9, 1.0);
        int zeroPages = 0;
        for (long page = 0; page < 4096; page++) {
            long a = page * PAGE;
            boolean zero = m.isZeroPage(a);
            for (int off : new int[] {0, 1, 8, 100, PAGE - 1}) {
                assertEquals(zero, m.isZeroPage(a + off), "zero-ness is per page");
                if (zero) {
                    assertEquals(0, m.byteAt(a + off));
                }
            }
            if (zero) {
                zeroPages++;
                assertReadMatches(m, a, PAGE);
            }
        }
        // One page in eight of a populated block is a zero page: 512 of 4096 expected.
        assertTrue(zeroPages > 400 && zeroPages < 640, "zero pages: " + zeroPages);
    }

    @Test
    void populatedFractionControlsZeroBlocks() {
        SyntheticMemory none = new SyntheticMemory(4, 0.0);
        SyntheticMemory tenth = new SyntheticMemory(4, 0.1);
        int populatedBlocks = 0;
        for (long block = 0; block < 2000; block++) {
            long a = block << SyntheticMemory.BLOCK_SHIFT;
            assertTrue(none.isZeroPage(a));
            // A block is all zero pages or has data in most pages: look at a few pages of it.
            int nonZero = 0;
            for (int p = 0; p < 16; p++) {
                if (!tenth.isZeroPage(a + p * (long) PAGE)) {
                    nonZero++;
                }
            }
            if (nonZero > 0) {
                populatedBlocks++;
            }
        }
        assertTrue(populatedBlocks > 140 && populatedBlocks < 260, "populated blocks: " + populatedBlocks);
        assertReadMatches(none, 0x123456789L, 3 * PAGE);
    }

    @Test
    void sameSeedSameBytesOtherSeedOtherBytes() {
        SyntheticMemory a = new SyntheticMemory(77, 1.0);
        SyntheticMemory b = new SyntheticMemory(77, 1.0);
        SyntheticMemory c = new SyntheticMemory(78, 1.0);
        int differ = 0;
        for (long addr = 0x200000; addr < 0x200000 + 64 * PAGE; addr += 61) {
            assertEquals(a.byteAt(addr), b.byteAt(addr));
            if (a.byteAt(addr) != c.byteAt(addr)) {
                differ++;
            }
        }
        assertTrue(differ > 1000, "different seeds give different bytes: " + differ);
    }
}
