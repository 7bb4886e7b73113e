package org.vmcorefs.fs.save;

import java.io.IOException;
import java.io.PrintStream;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.function.LongConsumer;
import jnr.constants.platform.Errno;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vmcorefs.format.S390DumpHeader;
import org.vmcorefs.format.S390EndMarker;
import org.vmcorefs.machine.DumpException;
import org.vmcorefs.machine.MemoryRange;

/**
 * Copies a capture environment's dump to a file and gives memory back only once what it held is durably
 * written: plan (or load the manifest of an interrupted save), copy segment by segment with checksums and
 * an fsync each, release what the mechanism allows as soon as it is saved, verify, then release the rest.
 */
public final class Saver {
    private static final Logger LOG = LoggerFactory.getLogger(Saver.class);
    static final int READ_SIZE = RetryingReader.READ_SIZE;

    /** The output's format: the source ELF core as it is, or s390's standalone dump format. */
    public enum Format { elf, s390 }

    /**
     * What to do.
     *
     * @param maxAttempts reads of one offset before a transient error counts as permanent
     * @param retryDelayMillis the first retry's delay; it doubles per attempt, up to 2 s
     * @param haltAfterSegments test hook: after this many segments, write part of the next and halt the JVM
     *     as SIGKILL would (no cleanup); -1 for never
     */
    public record Options(Path root, Path outFile, Format format, boolean excludeZero, boolean resume,
            boolean force, boolean verify, boolean release, long segmentSize, int maxAttempts,
            long retryDelayMillis, int haltAfterSegments) {
    }

    /** What a save did, for the summary line. */
    public record Result(Mechanism mechanism, long outputSize, long bytesCopied, long diskBytes, int segments,
            int releases, long transientErrors, long nanos) {
    }

    private final Options opt;
    private RetryingReader reader;
    private final PrintStream messages;
    private final ProgressFactory progressFactory;
    private Manifest manifest;
    private Path manifestPath;
    private long bytesCopied;
    private int releasesDone;

    /** Writes a release's text to its control file; tests record the order through it. */
    @FunctionalInterface
    interface ControlWriter {
        void write(Path file, String text) throws SourceFile.Failure;
    }

    private final ControlWriter control;

    /** Makes the progress display once the total is known. */
    @FunctionalInterface
    public interface ProgressFactory {
        Progress create(String task, long total, long done);
    }

    public Saver(Options options, PrintStream messages, ProgressFactory progress) {
        this(options, messages, progress, SourceFile::writeControl);
    }

    Saver(Options options, PrintStream messages, ProgressFactory progress, ControlWriter control) {
        this.opt = options;
        this.messages = messages;
        this.progressFactory = progress;
        this.control = control;
    }

    public Result run() throws SaveException {
        long t0 = System.nanoTime();
        Path root = opt.root();
        Mechanism mechanism = Mechanism.detect(root);
        if (opt.format() == Format.s390 && mechanism != Mechanism.S390_ZFCPDUMP) {
            throw new SaveException(SaveException.NO_DUMP, "--format s390 needs an s390 zfcpdump environment ("
                    + Mechanism.ZCORE + "/); " + root + " has " + mechanism.id());
        }
        Path sourcePath = root.resolve(opt.format() == Format.s390 ? Mechanism.ZCORE_MEM : Mechanism.VMCORE);
        if (!Files.exists(sourcePath)) {
            throw new SaveException(SaveException.NO_DUMP, sourcePath + " does not exist");
        }
        manifestPath = Manifest.pathFor(opt.outFile());
        reader = new RetryingReader(opt.maxAttempts(), opt.retryDelayMillis(), "nothing that was not saved has been "
                + "released, and " + manifestPath + " lets --resume continue");
        LOG.info("{} dump under {}; copying {}", mechanism.id(), root, sourcePath);
        try (SourceFile src = openSource(sourcePath)) {
            if (opt.resume()) {
                resume(mechanism, src);
            } else {
                start(mechanism, src);
            }
            copyAll(src);
        }
        if (opt.verify()) {
            verifyAll();
        }
        fireReleases(true);
        long disk = diskUsage(opt.outFile());
        return new Result(mechanism, manifest.outputSize, bytesCopied, disk, manifest.segments.size(), releasesDone,
                reader.transientErrors(), System.nanoTime() - t0);
    }

    private SourceFile openSource(Path p) throws SaveException {
        try {
            return SourceFile.open(p);
        } catch (SourceFile.Failure e) {
            if (opt.format() == Format.s390 && e.errno == Errno.ENODATA.intValue()) {
                throw new SaveException(SaveException.READ_FAILED, e.getMessage() + ": the HSA has been released "
                        + "(zcore/mem's last close releases it), and with it zcore/mem; an interrupted --format s390 "
                        + "save cannot be resumed (the default ELF format can)", e);
            }
            throw new SaveException(SaveException.READ_FAILED, e.getMessage(), e);
        }
    }

    private static SourceFile open(Path p) throws SaveException {
        try {
            return SourceFile.open(p);
        } catch (SourceFile.Failure e) {
            throw new SaveException(SaveException.READ_FAILED, e.getMessage(), e);
        }
    }

    // ---------------------------------------------------------------- planning

    private DumpSource describe(SourceFile src) throws SaveException {
        if (opt.format() == Format.s390) {
            return DumpSource.s390(s390Header(src), memmap());
        }
        long size;
        try {
            size = Files.size(src.path());
        } catch (IOException e) {
            throw new SaveException(SaveException.READ_FAILED, "cannot stat " + src.path() + ": " + e.getMessage());
        }
        return DumpSource.elf(src, size);
    }

    private S390DumpHeader s390Header(SourceFile src) throws SaveException {
        ByteBuffer h = ByteBuffer.allocateDirect(S390DumpHeader.SIZE);
        reader.read(src, 0, h);
        try {
            return S390DumpHeader.readFrom(h.flip());
        } catch (DumpException e) {
            throw new SaveException(SaveException.BAD_DUMP, src.path() + ": " + e.getMessage(), e);
        }
    }

    private List<MemoryRange> memmap() throws SaveException {
        Path p = opt.root().resolve(Mechanism.ZCORE_MEMMAP);
        if (!Files.exists(p)) {
            return List.of();
        }
        try {
            return DumpSource.parseMemmap(Files.readString(p, StandardCharsets.US_ASCII));
        } catch (IOException | IllegalArgumentException e) {
            throw new SaveException(SaveException.BAD_DUMP, p + ": " + e.getMessage(), e);
        }
    }

    /**
     * The header of the copy, as zgetdump writes an s390 dump: zcore/mem's, but with mem_size (and mem_end,
     * num_pages) counting every byte that follows, holes included, so that the end marker is where readers
     * look for it (zcore/mem's own mem_size is the RAM's size, not the end of the last chunk).
     */
    static byte[] copyHeader(S390DumpHeader h, long memBytes) {
        S390DumpHeader c = new S390DumpHeader(h.version(), h.dumpLevel(), h.pageSize(), memBytes, h.memStart(), memBytes,
                (int) (memBytes / h.pageSize()), h.tod(), h.cpuId(), h.arch(), h.volnr(), h.buildArch(), h.realMemSize(),
                h.mvdump(), h.realCpuCount(), h.lcVec());
        ByteBuffer b = c.toBuffer();
        byte[] out = new byte[b.remaining()];
        b.get(out);
        return out;
    }

    /** The end marker of a copy ending now: "DUMP_END" and the TOD clock, never before the dump's start. */
    static byte[] endMarker(S390DumpHeader header, Instant now) {
        long tod = S390DumpHeader.tod(now);
        if (Long.compareUnsigned(tod, header.tod()) < 0) {
            tod = header.tod();
        }
        ByteBuffer b = new S390EndMarker(tod).toBuffer();
        byte[] out = new byte[b.remaining()];
        b.get(out);
        return out;
    }

    private String fingerprint(SourceFile src, long length) throws SaveException {
        MessageDigest md = sha256();
        ByteBuffer b = ByteBuffer.allocateDirect(READ_SIZE);
        for (long off = 0; off < length; ) {
            b.clear().limit((int) Math.min(READ_SIZE, length - off));
            reader.read(src, off, b);
            b.flip();
            off += b.remaining();
            md.update(b);
        }
        return HexFormat.of().formatHex(md.digest());
    }

    private void start(Mechanism mechanism, SourceFile src) throws SaveException {
        if (!opt.force() && (Files.exists(opt.outFile()) || Files.exists(manifestPath))) {
            throw new SaveException(SaveException.RESUME_REFUSED, opt.outFile() + " or its manifest exists: "
                    + "--resume continues an interrupted save, --force starts over");
        }
        DumpSource ds = describe(src);
        List<MemoryRange> zeros = opt.excludeZero() && opt.format() == Format.elf ? zeroRanges() : new ArrayList<>();
        List<Long> boundaries = new ArrayList<>();
        List<Planner.ReleaseSpec> specs = new ArrayList<>();
        ReleaseRegionLine region = null;
        byte[] tail = null;
        switch (mechanism) {
            case S390_ZFCPDUMP -> {
                long hsa = hsaSize();
                if (hsa == 0) {
                    throw new SaveException(SaveException.BAD_DUMP, "the HSA has been released already ("
                            + Mechanism.ZCORE_HSA + " reads 0): the low memory of this dump is gone");
                }
                boundaries.add(hsa);
                // zcore/mem cannot be opened once the HSA is gone, and its last close gives the HSA back (as
                // zcore_release does): from it the HSA part is copied first but released only at the end.
                specs.add(Planner.hsa(hsa, opt.format() == Format.elf));
                if (opt.format() == Format.s390) {
                    // Fixed when planned, so that a resumed save writes the same bytes.
                    tail = endMarker(s390Header(src), Instant.now());
                }
            }
            case PHYP -> {
                region = releaseRegion();
                for (MemoryRange r : List.of(region.reserved(), region.savedLowMemory())) {
                    boundaries.add(r.start());
                    boundaries.add(r.end());
                }
                boundaries.add(region.savedLowMemory().size());
            }
            case FADUMP -> specs.add(Planner.fadump());
            case KDUMP -> {
            }
        }
        if (opt.format() == Format.s390) {
            zeros = ds.holes(); // zcore/mem's holes fail to read (EFAULT); the dump format has zeros there
        }
        List<Manifest.Segment> segments = Planner.segments(ds, zeros, opt.segmentSize(), boundaries);
        if (opt.format() == Format.s390) {
            Manifest.Segment header = segments.get(0);
            if (header.offset != 0 || header.length != S390DumpHeader.SIZE) {
                throw new IllegalStateException("the s390 header is not a segment of its own: " + header);
            }
            header.kind = Manifest.Kind.generated;
            header.data = HexFormat.of().formatHex(copyHeader(s390Header(src), ds.size() - S390DumpHeader.SIZE));
        }
        if (region != null) {
            specs.addAll(Planner.phyp(region, segments, ds));
        }
        manifest = Planner.plan(ds, segments, tail, specs);
        if (!opt.release()) {
            // The copy order stays (what a saved area holds first); only the releases go.
            manifest.releases.clear();
        }
        manifest.mechanism = mechanism.id();
        manifest.format = opt.format().name();
        manifest.source = src.path().toString();
        manifest.excludeZero = opt.excludeZero();
        manifest.fingerprintLength = ds.headersEnd();
        manifest.sourceFingerprint = fingerprint(src, ds.headersEnd());
        long zeroBytes = manifest.segments.stream().filter(s -> s.kind == Manifest.Kind.zero).mapToLong(s -> s.length)
                .sum();
        messages.println(String.format("vmcorefs save: %s, %s from %s in %d segments%s%s", mechanism.id(),
                Sizes.human(manifest.outputSize), src.path(), manifest.segments.size(),
                zeroBytes > 0 ? ", " + Sizes.human(zeroBytes) + " known zero (not read)" : "",
                manifest.releases.isEmpty() ? "" : ", " + manifest.releases.size() + " releases"));
        try {
            try (RandomAccessFile f = new RandomAccessFile(opt.outFile().toFile(), "rw")) {
                f.setLength(0);
                f.setLength(manifest.outputSize); // sparse until written
                f.getFD().sync();
            }
            manifest.store(manifestPath);
        } catch (IOException e) {
            throw new SaveException(SaveException.WRITE_FAILED, "cannot create " + opt.outFile() + ": " + e.getMessage(), e);
        }
    }

    private List<MemoryRange> zeroRanges() throws SaveException {
        Path file = opt.root().resolve(".vmcorefs/zero-ranges");
        if (!Files.exists(file)) {
            LOG.info("no {}: every byte is read", file);
            return List.of();
        }
        List<MemoryRange> out = new ArrayList<>();
        try {
            for (String line : Files.readAllLines(file, StandardCharsets.US_ASCII)) {
                String[] f = line.trim().split("\\s+");
                if (f.length == 2) {
                    out.add(new MemoryRange(Long.parseUnsignedLong(f[0], 16), Long.parseUnsignedLong(f[1], 16)));
                }
            }
        } catch (IOException | IllegalArgumentException e) {
            throw new SaveException(SaveException.READ_FAILED, file + ": " + e.getMessage(), e);
        }
        LOG.info("{} lists {} known-zero ranges", file, out.size());
        return out;
    }

    private long hsaSize() throws SaveException {
        Path p = opt.root().resolve(Mechanism.ZCORE_HSA);
        try {
            return parseHsa(Files.readString(p, StandardCharsets.US_ASCII));
        } catch (IOException | IllegalArgumentException e) {
            throw new SaveException(SaveException.BAD_DUMP, p + ": " + e.getMessage(), e);
        }
    }

    /** zcore/hsa reads the HSA's size in hex without 0x, then a newline ("0" once released). */
    static long parseHsa(String text) {
        String t = text.strip();
        if (!t.matches("[0-9a-fA-F]+")) {
            throw new IllegalArgumentException("expected the HSA size in hex, read '" + t + "'");
        }
        return Long.parseUnsignedLong(t, 16);
    }

    private ReleaseRegionLine releaseRegion() throws SaveException {
        Path p = opt.root().resolve(Mechanism.RELEASE_REGION);
        try {
            return ReleaseRegionLine.parse(Files.readString(p, StandardCharsets.US_ASCII));
        } catch (IOException | IllegalArgumentException e) {
            throw new SaveException(SaveException.BAD_DUMP, p + ": " + e.getMessage(), e);
        }
    }

    private void resume(Mechanism mechanism, SourceFile src) throws SaveException {
        try {
            manifest = Manifest.load(manifestPath);
        } catch (NoSuchFileException e) {
            throw new SaveException(SaveException.RESUME_REFUSED, "nothing to resume: " + manifestPath + " is missing");
        } catch (IOException e) {
            throw new SaveException(SaveException.RESUME_REFUSED, manifestPath + " is unreadable: " + e.getMessage(), e);
        }
        List<String> differences = new ArrayList<>();
        if (manifest.version != Manifest.VERSION) {
            differences.add("manifest version " + manifest.version);
        }
        if (!mechanism.id().equals(manifest.mechanism)) {
            differences.add("mechanism " + manifest.mechanism + " there, " + mechanism.id() + " here");
        }
        if (!opt.format().name().equals(manifest.format)) {
            differences.add("format " + manifest.format + " there, " + opt.format() + " here");
        }
        if (opt.excludeZero() != manifest.excludeZero) {
            differences.add("--exclude-zero " + (manifest.excludeZero ? "given" : "not given") + " there");
        }
        boolean pending = manifest.segments.stream().anyMatch(s -> s.state != Manifest.State.done);
        if (pending) {
            // The headers (and zcore/mem entirely) are unreadable once everything is released: check only if needed.
            DumpSource ds = describe(src);
            if (ds.size() != manifest.sourceSize) {
                differences.add("source size " + manifest.sourceSize + " there, " + ds.size() + " here");
            } else if (!fingerprint(src, manifest.fingerprintLength).equals(manifest.sourceFingerprint)) {
                differences.add("the source's headers differ (another dump)");
            }
        }
        try {
            long size = Files.size(opt.outFile());
            if (size != manifest.outputSize) {
                differences.add(opt.outFile() + " is " + size + " bytes, not " + manifest.outputSize);
            }
        } catch (IOException e) {
            differences.add(opt.outFile() + " is missing");
        }
        if (!differences.isEmpty()) {
            throw new SaveException(SaveException.RESUME_REFUSED, "cannot resume " + opt.outFile() + ": "
                    + String.join("; ", differences));
        }
        for (Manifest.Release r : manifest.releases) {
            if (r.state == Manifest.State.started) {
                messages.println("vmcorefs save: warning: release of " + r.what + " was under way when the save "
                        + "stopped; not repeating it");
                r.state = Manifest.State.done;
            }
        }
        int checked = 0;
        int recopy = 0;
        try (SourceFile out = open(opt.outFile())) {
            for (int i = 0; i < manifest.segments.size(); i++) {
                Manifest.Segment s = manifest.segments.get(i);
                if (s.state != Manifest.State.done) {
                    continue;
                }
                checked++;
                if (!Verifier.matches(out, s, manifest.outputSize)) {
                    if (releasedDependsOn(i)) {
                        throw new SaveException(SaveException.VERIFY_FAILED, String.format("%s: segment %s does not "
                                + "match its checksum, and the memory it held has been released: it cannot be "
                                + "copied again", opt.outFile(), s));
                    }
                    messages.println(String.format(
                            "vmcorefs save: segment %s on disk does not match its checksum; copying it again", s));
                    s.state = Manifest.State.pending;
                    recopy++;
                }
            }
        }
        store();
        messages.println(String.format("vmcorefs save: resuming %s: %d done segments verified%s, %s left",
                opt.outFile(), checked,
                recopy > 0 ? " (" + recopy + " to copy again)" : "",
                Sizes.human(manifest.outputSize - manifest.bytesDone())));
    }

    private boolean releasedDependsOn(int segment) {
        return manifest.releases.stream().anyMatch(r -> r.state != Manifest.State.pending && r.dependsOn.contains(segment));
    }

    // ---------------------------------------------------------------- copying

    private void copyAll(SourceFile src) throws SaveException {
        fireReleases(false);
        int doneThisRun = 0;
        try (FileChannel out = FileChannel.open(opt.outFile(), StandardOpenOption.WRITE);
                Progress progress = progressFactory.create("save " + opt.outFile().getFileName(), manifest.outputSize,
                        manifest.bytesDone())) {
            ByteBuffer buf = ByteBuffer.allocateDirect(READ_SIZE);
            long done = manifest.bytesDone();
            for (Manifest.Segment s : manifest.segments) {
                if (s.state == Manifest.State.done) {
                    continue;
                }
                boolean halt = opt.haltAfterSegments() >= 0 && doneThisRun == opt.haltAfterSegments();
                final long base = done;
                copySegment(src, out, buf, s, halt, n -> progress.update(base + n));
                out.force(true);
                s.state = Manifest.State.done;
                done += s.length;
                doneThisRun++;
                progress.update(done);
                store();
                fireReleases(false);
            }
        } catch (IOException e) {
            throw new SaveException(SaveException.WRITE_FAILED, "writing " + opt.outFile() + " failed: " + e.getMessage()
                    + " (the manifest is kept: --resume continues)", e);
        }
    }

    private void copySegment(SourceFile src, FileChannel out, ByteBuffer buf, Manifest.Segment s, boolean halt,
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
                s.sha256 = HexFormat.of().formatHex(sha256().digest(data));
                s.zero = false;
                return;
            }
            case copy -> {
            }
        }
        MessageDigest md = sha256();
        boolean allZero = true;
        for (long off = s.offset; off < s.end(); ) {
            buf.clear().limit((int) Math.min(buf.capacity(), s.end() - off));
            reader.read(src, off, buf);
            buf.flip();
            md.update(buf.duplicate());
            allZero &= write(out, buf, off);
            off += buf.limit();
            bytesCopied += buf.limit();
            progress.accept(off - s.offset);
            if (halt) {
                // After its first part (or all of a one-read segment), before the manifest records it.
                LOG.warn("test hook: halting in segment {}", s);
                messages.println("vmcorefs save: test hook: halting after a part of segment " + s);
                messages.flush();
                Runtime.getRuntime().halt(137);
            }
        }
        s.sha256 = HexFormat.of().formatHex(md.digest());
        s.zero = allZero;
    }

    /** Writes buf at offset; with --exclude-zero, all-zero pages are skipped (holes). Returns whether all zero. */
    private boolean write(FileChannel out, ByteBuffer buf, long offset) throws IOException {
        if (!opt.excludeZero()) {
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

    // ---------------------------------------------------------------- releasing

    /** Releases every pending release whose segments are all durable; after-verify ones only when {@code end}. */
    private void fireReleases(boolean end) throws SaveException {
        for (Manifest.Release r : manifest.releases) {
            if (r.state != Manifest.State.pending || (r.afterVerify && !end)) {
                continue;
            }
            boolean ready = r.dependsOn.stream().allMatch(i -> manifest.segments.get(i).state == Manifest.State.done);
            if (!ready) {
                continue;
            }
            r.state = Manifest.State.started;
            store();
            Path file = opt.root().resolve(r.file);
            try {
                control.write(file, r.text);
            } catch (SourceFile.Failure e) {
                r.state = Manifest.State.pending; // the kernel refused it: a resume tries again
                store();
                throw new SaveException(SaveException.RELEASE_FAILED, "releasing " + r.what + " failed: "
                        + e.getMessage() + "; what it held is saved, the memory stays reserved", e);
            }
            r.state = Manifest.State.done;
            releasesDone++;
            store();
            LOG.info("released {} ({} <- '{}')", r.what, file, r.text.strip());
            messages.println("vmcorefs save: released " + r.what);
        }
    }

    // ---------------------------------------------------------------- verifying

    private void verifyAll() throws SaveException {
        List<Manifest.Segment> bad = new ArrayList<>();
        try (SourceFile out = open(opt.outFile());
                Progress progress = progressFactory.create("verify " + opt.outFile().getFileName(),
                        manifest.outputSize, 0)) {
            long done = 0;
            for (Manifest.Segment s : manifest.segments) {
                if (!Verifier.matches(out, s, manifest.outputSize)) {
                    bad.add(s);
                }
                done += s.length;
                progress.update(done);
            }
        }
        if (!bad.isEmpty()) {
            throw new SaveException(SaveException.VERIFY_FAILED, opt.outFile() + ": " + bad.size()
                    + " segment(s) do not match their checksums, first " + bad.get(0));
        }
        LOG.info("verified {} segments of {}", manifest.segments.size(), opt.outFile());
    }

    // ---------------------------------------------------------------- helpers

    private void store() throws SaveException {
        try {
            manifest.store(manifestPath);
        } catch (IOException e) {
            throw new SaveException(SaveException.WRITE_FAILED, "cannot write " + manifestPath + ": " + e.getMessage(), e);
        }
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }

    /** Bytes the file takes on disk (st_blocks x 512), -1 if unknown. */
    static long diskUsage(Path p) {
        return SourceFile.diskUsage(p);
    }
}
