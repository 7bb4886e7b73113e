package org.vmcorefs.machine.memory;

import org.vmcorefs.machine.DumpException;
import java.nio.ByteBuffer;

/** Small helpers on ByteBuffers used on the read path; none allocates. */
public final class Buffers {
    private static final ByteBuffer ZERO_PAGE = ByteBuffer.allocateDirect(64 * 1024).asReadOnlyBuffer();

    private Buffers() {
    }

    /** Writes {@code count} zero bytes at dst's position and advances it. */
    public static void zero(ByteBuffer dst, int count) {
        while (count > 0) {
            int n = Math.min(count, ZERO_PAGE.capacity());
            int at = dst.position();
            // Absolute bulk put: the shared zero page's position is never touched, so no copy of it is needed.
            dst.put(at, ZERO_PAGE, 0, n).position(at + n);
            count -= n;
        }
    }

    /**
     * Reads the next {@code n} bytes of {@code dst} (at most its remaining bytes) from {@code source} at
     * {@code address}: the limit is narrowed to them for the read and restored afterwards, even when it fails.
     */
    public static void readPart(PhysicalMemory source, long address, ByteBuffer dst, int n) throws DumpException {
        if (n == dst.remaining()) {
            source.read(address, dst);
            return;
        }
        int limit = dst.limit();
        dst.limit(dst.position() + n);
        try {
            source.read(address, dst);
        } finally {
            dst.limit(limit);
        }
    }
}
