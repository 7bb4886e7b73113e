package org.vmcorefs.fs.save;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * OUTFILE.manifest.json: the save's plan and how far it got. Every segment of the output (a file range)
 * with its SHA-256 once written, every release with its state, and what identifies the dump (mechanism,
 * source size, a fingerprint of its headers) so that a resume against another dump is refused. Replaced
 * atomically (write, fsync, rename, fsync the directory) after every segment and release.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
public final class Manifest {
    static final int VERSION = 1;
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** A segment's kind: copied from the source, known zero (not read), or bytes the tool makes (end marker). */
    public enum Kind { copy, zero, generated }

    /** Where a segment or a release is. */
    public enum State { pending, started, done }

    /** One file range of the output. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static final class Segment {
        public long offset;
        public long length;
        public Kind kind;
        public State state = State.pending;
        /** SHA-256 (hex) of the segment's bytes; null for a zero segment. */
        public String sha256;
        /** Whether the segment's bytes are all zero (then holes in a sparse output). */
        public boolean zero;
        /** A generated segment's bytes, hex. */
        public String data;

        public Segment() {
        }

        Segment(long offset, long length, Kind kind) {
            this.offset = offset;
            this.length = length;
            this.kind = kind;
        }

        long end() {
            return offset + length;
        }

        @Override
        public String toString() {
            return String.format("[0x%x, +0x%x) %s", offset, length, kind);
        }
    }

    /** Writing {@code text} to ROOT/{@code file}, allowed once every segment in {@code dependsOn} is done. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public static final class Release {
        public String what;
        public String file;
        public String text;
        /** Indexes into {@link Manifest#segments} that must be durably written first. */
        public List<Integer> dependsOn = new ArrayList<>();
        /** Only after the whole output is written and verified (the release ends the dump). */
        public boolean afterVerify;
        public State state = State.pending;

        public Release() {
        }

        Release(String what, String file, String text, List<Integer> dependsOn, boolean afterVerify) {
            this.what = what;
            this.file = file;
            this.text = text;
            this.dependsOn = new ArrayList<>(dependsOn);
            this.afterVerify = afterVerify;
        }
    }

    public int version = VERSION;
    public String mechanism;
    public String format;
    public String source;
    public long sourceSize;
    /** SHA-256 (hex) of the source's first {@link #fingerprintLength} bytes: headers and notes. */
    public String sourceFingerprint;
    public long fingerprintLength;
    public long outputSize;
    public boolean excludeZero;
    /** Segments in copy order (not necessarily file order: what a release waits for comes first). */
    public List<Segment> segments = new ArrayList<>();
    public List<Release> releases = new ArrayList<>();

    static Path pathFor(Path outFile) {
        return outFile.resolveSibling(outFile.getFileName() + ".manifest.json");
    }

    static Manifest load(Path path) throws IOException {
        return JSON.readValue(path.toFile(), Manifest.class);
    }

    /** Replaces {@code path} with this manifest durably: a crash leaves the old or the new one, whole. */
    void store(Path path) throws IOException {
        Path tmp = path.resolveSibling(path.getFileName() + ".tmp");
        byte[] bytes = JSON.writeValueAsBytes(this);
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer b = ByteBuffer.wrap(bytes);
            while (b.hasRemaining()) {
                ch.write(b);
            }
            ch.force(true);
        }
        Files.move(tmp, path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        Path dir = path.toAbsolutePath().getParent();
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException e) {
            // Some file systems cannot sync a directory; the rename is then as durable as they make it.
        }
    }

    /** {@link #store}, a failure as the save's WRITE_FAILED. */
    void commit(Path path) throws SaveException {
        try {
            store(path);
        } catch (IOException e) {
            throw new SaveException(SaveException.WRITE_FAILED, "cannot write " + path + ": " + e.getMessage(), e);
        }
    }

    long bytesDone() {
        return segments.stream().filter(s -> s.state == State.done).mapToLong(s -> s.length).sum();
    }
}
