package org.vmcorefs.fs.save;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.HexFormat;

/** Checks what is on disk against the manifest: a segment's SHA-256, or zeros (holes) for a zero segment. */
final class Verifier {
    private Verifier() {
    }

    /** Whether the output's bytes of {@code s} are what was written: its SHA-256, or all zero for a zero segment. */
    static boolean matches(SourceFile out, Manifest.Segment s, long outputSize) throws SaveException {
        ByteBuffer buf = ByteBuffer.allocateDirect(RetryingReader.READ_SIZE);
        try {
            if (s.zero) {
                // Only the data parts of a sparse file need reading; holes are zero.
                for (long off = s.offset; off < s.end(); ) {
                    long data = out.nextData(off);
                    if (data < 0 || data >= s.end()) {
                        return true;
                    }
                    long hole = Math.min(s.end(), out.nextHole(data, outputSize));
                    for (long p = data; p < hole; ) {
                        buf.clear().limit((int) Math.min(buf.capacity(), hole - p));
                        out.readFully(buf, p);
                        buf.flip();
                        if (!isZero(buf, 0, buf.limit())) {
                            return false;
                        }
                        p += buf.limit();
                    }
                    off = hole;
                }
                return true;
            }
            MessageDigest md = Saver.sha256();
            for (long off = s.offset; off < s.end(); ) {
                buf.clear().limit((int) Math.min(buf.capacity(), s.end() - off));
                out.readFully(buf, off);
                buf.flip();
                off += buf.limit();
                md.update(buf);
            }
            return HexFormat.of().formatHex(md.digest()).equals(s.sha256);
        } catch (SourceFile.Failure e) {
            throw new SaveException(SaveException.VERIFY_FAILED, "cannot read back " + out.path() + ": " + e.getMessage(), e);
        }
    }

    /** Whether b[from, to) is all zero bytes. */
    static boolean isZero(ByteBuffer b, int from, int to) {
        int i = from;
        for (; i + 8 <= to; i += 8) {
            if (b.getLong(i) != 0) {
                return false;
            }
        }
        for (; i < to; i++) {
            if (b.get(i) != 0) {
                return false;
            }
        }
        return true;
    }
}
