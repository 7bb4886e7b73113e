package org.vmcorefs.fs.save;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import jnr.constants.platform.Errno;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vmcorefs.format.DumpPaths;

/**
 * Copies a capture environment's dump to a file and gives memory back only once what it held is durably
 * written: plan ({@link Planning}) or load the manifest of an interrupted save ({@link Resumption}), copy
 * segment by segment with checksums and an fsync each ({@link Copier}), release what the mechanism allows as
 * soon as it is saved ({@link Releaser}), verify ({@link Verifier}), then release the rest.
 */
public final class Saver {
    private static final Logger LOG = LoggerFactory.getLogger(Saver.class);

    /** The output's format: the source ELF core as it is, or s390's standalone dump format. */
    public enum Format { elf, s390 }

    /**
     * What to do.
     *
     * @param maxAttempts reads of one offset before a transient error counts as permanent
     * @param retryDelayMillis the first retry's delay; it doubles per attempt, up to 2 s
     */
    public record Options(Path root, Path outFile, Format format, boolean excludeZero, boolean resume,
            boolean force, boolean verify, boolean release, long segmentSize, int maxAttempts,
            long retryDelayMillis) {
    }

    /** What a save did, for the summary line. */
    public record Result(Mechanism mechanism, long outputSize, long bytesCopied, long diskBytes, int segments,
            int releases, long transientErrors, long nanos) {
    }

    /** Makes the progress display once the total is known. */
    @FunctionalInterface
    public interface ProgressFactory {
        Progress create(String task, long total, long done);
    }

    /** The points of a save where a crash matters, in the order a segment and a release pass them. */
    public enum Phase {
        /** A part of a segment is written (the segment not yet fsync'ed); counted per segment. */
        part,
        /** A segment is written in full; its fsync comes next. */
        fsync,
        /** A segment is fsync'ed and recorded as done in the manifest; the releases it allows come next. */
        segment,
        /** A release is recorded as under way; its control-file write comes next. */
        release,
        /** A release's control-file write is made; recording it as done comes next. */
        released,
        /** A segment is read back and checked at the end. */
        verify
    }

    /**
     * A test seam: told at every {@link Phase} the save passes, with a description of where, so that a test can
     * stop the save there and kill it as a crash would. Production saves use {@link #NONE}.
     */
    @FunctionalInterface
    public interface Checkpoints {
        Checkpoints NONE = (phase, what) -> {
        };

        /** The save has reached {@code phase} at {@code what} (a segment or a release). */
        void reached(Phase phase, String what) throws SaveException;
    }

    /** Writes a release's text to its control file; tests record the order through it. */
    @FunctionalInterface
    interface ControlWriter {
        void write(Path file, String text) throws SourceFile.Failure;
    }

    private final Options opt;
    private final PrintStream messages;
    private final ProgressFactory progressFactory;
    private final ControlWriter control;
    private final Checkpoints checkpoints;

    public Saver(Options options, PrintStream messages, ProgressFactory progress) {
        this(options, messages, progress, Checkpoints.NONE);
    }

    public Saver(Options options, PrintStream messages, ProgressFactory progress, Checkpoints checkpoints) {
        this(options, messages, progress, SourceFile::writeControl, checkpoints);
    }

    Saver(Options options, PrintStream messages, ProgressFactory progress, ControlWriter control,
            Checkpoints checkpoints) {
        this.opt = options;
        this.messages = messages;
        this.progressFactory = progress;
        this.control = control;
        this.checkpoints = checkpoints;
    }

    public Result run() throws SaveException {
        long t0 = System.nanoTime();
        Path root = opt.root();
        Path manifestPath = Manifest.pathFor(opt.outFile());
        Mechanism mechanism;
        try {
            mechanism = Mechanism.detect(root);
        } catch (SaveException e) {
            // A dump whose last release took its files away (fadump's release_mem removes /proc/vmcore): the
            // manifest says what it was, and the resume only finishes what is all copied.
            mechanism = e.exitCode() == SaveException.NO_DUMP && opt.resume() ? recorded(manifestPath) : null;
            if (mechanism == null) {
                throw e;
            }
        }
        if (opt.format() == Format.s390 && mechanism != Mechanism.S390_ZFCPDUMP) {
            throw new SaveException(SaveException.NO_DUMP, "--format s390 needs an s390 zfcpdump environment ("
                    + DumpPaths.relative(DumpPaths.ZCORE) + "/); " + root + " has " + mechanism.id());
        }
        Path sourcePath = DumpPaths.under(root, opt.format() == Format.s390 ? DumpPaths.ZCORE_MEM : DumpPaths.VMCORE);
        if (!Files.exists(sourcePath) && !(opt.resume() && Files.exists(manifestPath))) {
            throw new SaveException(SaveException.NO_DUMP, sourcePath + " does not exist");
        }
        RetryingReader reader = new RetryingReader(opt.maxAttempts(), opt.retryDelayMillis(), "nothing that was not "
                + "saved has been released, and " + manifestPath + " lets --resume continue");
        CaptureFiles files = new CaptureFiles(root);
        LOG.info("{} dump under {}; copying {}", mechanism.id(), root, sourcePath);
        Manifest manifest;
        Releaser releaser;
        Copier copier;
        if (!Files.exists(sourcePath)) {
            // Stopped after a release that took the source with it (fadump's release_mem): only finishing is left.
            manifest = new Resumption(opt, reader, messages, files).resume(mechanism, null, manifestPath);
            releaser = new Releaser(root, manifest, manifestPath, control, messages, checkpoints);
            copier = new Copier(opt, reader, manifest, manifestPath, releaser, progressFactory, checkpoints);
        } else {
            try (SourceFile src = openSource(sourcePath)) {
                manifest = opt.resume()
                        ? new Resumption(opt, reader, messages, files).resume(mechanism, src, manifestPath)
                        : new Planning(opt, reader, messages, files).start(mechanism, src, manifestPath);
                releaser = new Releaser(root, manifest, manifestPath, control, messages, checkpoints);
                copier = new Copier(opt, reader, manifest, manifestPath, releaser, progressFactory, checkpoints);
                copier.copyAll(src);
            }
        }
        if (opt.verify()) {
            Verifier.verifyAll(opt.outFile(), manifest, progressFactory, checkpoints);
        }
        releaser.fire(true);
        long disk = SourceFile.diskUsage(opt.outFile());
        return new Result(mechanism, manifest.outputSize, copier.bytesCopied(), disk, manifest.segments.size(),
                releaser.done(), reader.transientErrors(), System.nanoTime() - t0);
    }

    /** The mechanism the manifest at {@code manifestPath} records, or null if there is none to read. */
    private static Mechanism recorded(Path manifestPath) {
        try {
            String id = Manifest.load(manifestPath).mechanism;
            for (Mechanism m : Mechanism.values()) {
                if (m.id().equals(id)) {
                    return m;
                }
            }
        } catch (java.io.IOException e) {
            LOG.info("no manifest to tell the mechanism: {}", e.toString());
        }
        return null;
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
}
