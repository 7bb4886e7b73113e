package org.vmcorefs.machine.memory;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Deterministic memory computed from (seed, physical address): any byte can be checked without storing
 * it, and a machine of any size costs the same 128 KiB.
 *
 * <p>Memory is cut into 2 MiB blocks; a block is populated with probability {@code populated}, the rest
 * are runs of zero pages. In a populated block one page in eight is a zero page. A non-zero page is a
 * 4 KiB window, chosen by a hash of its page number, of a 64 KiB random table, with its first eight bytes
 * replaced by the page's own physical address (little-endian), so that a misplaced page shows where it
 * came from. Serving a page is one copy from the table.
 */
public final class SyntheticMemory implements PhysicalMemory {
    static final int PAGE = 4096;
    static final int BLOCK_SHIFT = 21;
    /** The granule of population: a 2 MiB block either holds data or is all zero pages. */
    public static final long BLOCK_SIZE = 1L << BLOCK_SHIFT;
    private static final int TABLE = 64 * 1024;

    private final long seed;
    private final double populated;
    private final long populatedThreshold;
    /** The random table, stored twice in a row so that any 4 KiB window is contiguous. */
    private final byte[] table = new byte[2 * TABLE];

    public SyntheticMemory(long seed, double populated) {
        if (!(populated >= 0 && populated <= 1)) {
            throw new IllegalArgumentException("populated fraction must be within [0, 1]: " + populated);
        }
        this.seed = seed;
        this.populated = populated;
        this.populatedThreshold = populated >= 1 ? -1 : (long) (populated * 0x1p63) << 1;
        ByteBuffer t = ByteBuffer.wrap(table).order(ByteOrder.LITTLE_ENDIAN);
        long state = seed;
        for (int i = 0; i < TABLE / 8; i++) {
            state += 0x9E3779B97F4A7C15L;
            t.putLong(mix(state));
        }
        System.arraycopy(table, 0, table, TABLE, TABLE);
    }

    public long seed() {
        return seed;
    }

    public double populated() {
        return populated;
    }

    /** splitmix64's finalizer. */
    public static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** Whether the page holding {@code address} is all zeros. */
    public boolean isZeroPage(long address) {
        if (!isBlockPopulated(address >>> BLOCK_SHIFT)) {
            return true;
        }
        return (pageHash(address >>> 12) & 7) == 0;
    }

    /**
     * Whether 2 MiB block number {@code block} (addresses [block * BLOCK_SIZE, (block + 1) * BLOCK_SIZE))
     * holds data; an unpopulated block is all zero pages.
     */
    public boolean isBlockPopulated(long block) {
        return populatedThreshold == -1
                || Long.compareUnsigned(mix(seed ^ 0x5851F42D4C957F2DL ^ block * 0x9E3779B97F4A7C15L),
                        populatedThreshold) < 0;
    }

    /** Reports the unpopulated blocks' parts of the range, merged into runs. */
    @Override
    public void knownZeros(long address, long length, ZeroSink sink) {
        long end = address + length;
        long runStart = -1;
        for (long a = address; a < end; ) {
            long blockEnd = Math.min(end, ((a >>> BLOCK_SHIFT) + 1) << BLOCK_SHIFT);
            if (!isBlockPopulated(a >>> BLOCK_SHIFT)) {
                if (runStart < 0) {
                    runStart = a;
                }
            } else if (runStart >= 0) {
                sink.zero(runStart, a - runStart);
                runStart = -1;
            }
            a = blockEnd;
        }
        if (runStart >= 0) {
            sink.zero(runStart, end - runStart);
        }
    }

    private long pageHash(long pfn) {
        return mix(seed + pfn * 0xD1B54A32D192ED03L);
    }

    /** The byte at {@code address}, computed on its own: the reference that tests check reads against. */
    public byte byteAt(long address) {
        if (isZeroPage(address)) {
            return 0;
        }
        int inPage = (int) (address & (PAGE - 1));
        if (inPage < 8) {
            return (byte) ((address & ~(long) (PAGE - 1)) >>> (8 * inPage));
        }
        return table[windowStart(address >>> 12) + inPage];
    }

    private int windowStart(long pfn) {
        return (int) ((pageHash(pfn) >>> 20) & (TABLE - 1));
    }

    @Override
    public void read(long address, ByteBuffer dst) {
        while (dst.hasRemaining()) {
            int inPage = (int) (address & (PAGE - 1));
            int n = Math.min(PAGE - inPage, dst.remaining());
            if (isZeroPage(address)) {
                Buffers.zero(dst, n);
            } else {
                int header = Math.max(0, Math.min(8 - inPage, n));
                long pageAddress = address - inPage;
                for (int i = 0; i < header; i++) {
                    dst.put((byte) (pageAddress >>> (8 * (inPage + i))));
                }
                if (n > header) {
                    dst.put(table, windowStart(address >>> 12) + inPage + header, n - header);
                }
            }
            address += n;
        }
    }
}
