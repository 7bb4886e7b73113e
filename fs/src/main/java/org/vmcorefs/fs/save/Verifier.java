package org.vmcorefs.fs.save;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Checks what is on disk against the manifest: a segment's SHA-256, or zeros (holes) for a zero segment. */
final class Verifier {
    private static final Logger LOG = LoggerFactory.getLogger(Verifier.class);

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
            MessageDigest md = sha256();
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

    /**
     * Reads the whole output back: every segment must match its checksum (or be zero); VERIFY_FAILED names how
     * many do not, and the first.
     */
    static void verifyAll(Path outFile, Manifest manifest, Saver.ProgressFactory progressFactory,
            Saver.Checkpoints checkpoints) throws SaveException {
        List<Manifest.Segment> bad = new ArrayList<>();
        try (SourceFile out = SourceFile.openForSave(outFile);
                Progress progress = progressFactory.create("verify " + outFile.getFileName(), manifest.outputSize, 0)) {
            long done = 0;
            for (Manifest.Segment s : manifest.segments) {
                if (!matches(out, s, manifest.outputSize)) {
                    bad.add(s);
                }
                done += s.length;
                progress.update(done);
                checkpoints.reached(Saver.Phase.verify, s.toString());
            }
        }
        if (!bad.isEmpty()) {
            throw new SaveException(SaveException.VERIFY_FAILED, outFile + ": " + bad.size()
                    + " segment(s) do not match their checksums, first " + bad.get(0));
        }
        LOG.info("verified {} segments of {}", manifest.segments.size(), outFile);
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
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
