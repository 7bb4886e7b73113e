package org.vmcorefs.format;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Dump formats recognized by their signature but not replayed (kdump-compressed dumps are, by
 * {@link KdumpCompressedReader}): without this check they would pass for a
 * raw memory image (every file does) and be served as garbage memory.
 */
final class ForeignDumps {
    private ForeignDumps() {
    }

    /** What the file starting with {@code head} is and what to do about it, or null if none of these. */
    static String describe(ByteBuffer head) {
        byte[] b = new byte[Math.min(16, head.remaining())];
        head.duplicate().get(b);
        String start = new String(b, StandardCharsets.ISO_8859_1);
        if (start.startsWith("DISKDUMP")) {
            return "a diskdump, which vmcorefs cannot replay";
        }
        if (start.startsWith("makedumpfile\0")) {
            return "a flattened makedumpfile stream (makedumpfile -F, QEMU's kdump output to a pipe): reassemble "
                    + "it with makedumpfile -R, then replay the result";
        }
        return null;
    }
}
