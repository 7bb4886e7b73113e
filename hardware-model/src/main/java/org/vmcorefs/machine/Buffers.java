package org.vmcorefs.machine;

import java.nio.ByteBuffer;

/** Small helpers on ByteBuffers used on the read path. */
public final class Buffers {
    private static final ByteBuffer ZERO_PAGE = ByteBuffer.allocateDirect(64 * 1024).asReadOnlyBuffer();

    private Buffers() {
    }

    /** Writes {@code count} zero bytes at dst's position and advances it. */
    public static void zero(ByteBuffer dst, int count) {
        while (count > 0) {
            int n = Math.min(count, ZERO_PAGE.capacity());
            dst.put(ZERO_PAGE.duplicate().limit(n));
            count -= n;
        }
    }

    /** A view of the next {@code count} bytes of {@code buf} (same content, independent position). */
    public static ByteBuffer slice(ByteBuffer buf, int count) {
        return buf.slice(buf.position(), count);
    }
}
