package org.vmcorefs.fs.save;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.function.LongConsumer;

/**
 * Copies the manifest's pending segments in its order: each read with retries, written (all-zero pages left
 * as holes with --exclude-zero), checksummed and fsync'ed, then recorded as done, then whatever release it
 * completes is made.
 */
final class Copier {
    private final Path outFile;
    private final boolean excludeZero;
    private final RetryingReader reader;
    private final Manifest manifest;
    private final Path manifestPath;
    private final Releaser releaser;
    private final Saver.ProgressFactory progressFactory;
    private final Saver.Checkpoints checkpoints;
    private long bytesCopied;

    Copier(Saver.Options opt, RetryingReader reader, Manifest manifest, Path manifestPath, Releaser releaser,
            Saver.ProgressFactory progressFactory, Saver.Checkpoints checkpoints) {
        this.outFile = opt.outFile();
        this.excludeZero = opt.excludeZero();
        this.reader = reader;
        this.manifest = manifest;
        this.manifestPath = manifestPath;
        this.releaser = releaser;
        this.progressFactory = progressFactory;
        this.checkpoints = checkpoints;
    }

    /** Bytes read from the source by this run. */
    long bytesCopied() {
        return bytesCopied;
    }

    /** Copies every segment not yet done, releasing as it goes (after-verify releases excepted). */
    void copyAll(SourceFile src) throws SaveException {
        releaser.fire(false);
        try (FileChannel out = FileChannel.open(outFile, StandardOpenOption.WRITE);
                Progress progress = progressFactory.create("save " + outFile.getFileName(), manifest.outputSize,
                        manifest.bytesDone())) {
            ByteBuffer buf = ByteBuffer.allocateDirect(RetryingReader.READ_SIZE);
            long done = manifest.bytesDone();
            for (Manifest.Segment s : manifest.segments) {
                if (s.state == Manifest.State.done) {
                    continue;
                }
                final long base = done;
                copySegment(src, out, buf, s, n -> progress.update(base + n));
                checkpoints.reached(Saver.Phase.fsync, s.toString());
                out.force(true);
                s.state = Manifest.State.done;
                done += s.length;
                progress.update(done);
                manifest.commit(manifestPath);
                checkpoints.reached(Saver.Phase.segment, s.toString());
                releaser.fire(false);
            }
        } catch (IOException e) {
            throw new SaveException(SaveException.WRITE_FAILED, "writing " + outFile + " failed: " + e.getMessage()
                    + " (the manifest is kept: --resume continues)", e);
        }
    }

    private void copySegment(SourceFile src, FileChannel out, ByteBuffer buf, Manifest.Segment s,
            LongConsumer progress) throws SaveException, IOException {
        switch (s.kind) {
            case zero -> {
                // Known zero: a hole of the sparse output, nothing read or written.
                s.zero = true;
                return;
            }
            case generated -> {
                byte[] data = HexFormat.of().parseHex(s.data);
                writeFully(out, ByteBuffer.wrap(data), s.offset);
                s.sha256 = HexFormat.of().formatHex(Verifier.sha256().digest(data));
                s.zero = false;
                return;
            }
            case copy -> {
            }
        }
        MessageDigest md = Verifier.sha256();
        boolean allZero = true;
        boolean first = true;
        for (long off = s.offset; off < s.end(); ) {
            buf.clear().limit((int) Math.min(buf.capacity(), s.end() - off));
            reader.read(src, off, buf);
            buf.flip();
            md.update(buf.duplicate());
            allZero &= write(out, buf, off);
            off += buf.limit();
            bytesCopied += buf.limit();
            progress.accept(off - s.offset);
            if (first) {
                checkpoints.reached(Saver.Phase.part, s.toString());
                first = false;
            }
        }
        s.sha256 = HexFormat.of().formatHex(md.digest());
        s.zero = allZero;
    }

    /** Writes buf at offset; with --exclude-zero, all-zero pages are skipped (holes). Returns whether all zero. */
    private boolean write(FileChannel out, ByteBuffer buf, long offset) throws IOException {
        if (!excludeZero) {
            writeFully(out, buf.duplicate(), offset);
            return Verifier.isZero(buf, 0, buf.limit());
        }
        boolean allZero = true;
        int page = 4096;
        int runStart = -1;
        for (int p = 0; p < buf.limit(); p += page) {
            int end = Math.min(buf.limit(), p + page);
            boolean zero = Verifier.isZero(buf, p, end);
            allZero &= zero;
            if (!zero && runStart < 0) {
                runStart = p;
            } else if (zero && runStart >= 0) {
                writeFully(out, buf.slice(runStart, p - runStart), offset + runStart);
                runStart = -1;
            }
        }
        if (runStart >= 0) {
            writeFully(out, buf.slice(runStart, buf.limit() - runStart), offset + runStart);
        }
        return allZero;
    }

    private static void writeFully(FileChannel out, ByteBuffer b, long offset) throws IOException {
        while (b.hasRemaining()) {
            offset += out.write(b, offset);
        }
    }
}
