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

    /**
     * A test seam: told after every part of a segment is written, before the manifest records the segment, so
     * that a test can stop the save there as a crash would. Production saves use {@link #NONE}.
     */
    @FunctionalInterface
    public interface Interruption {
        Interruption NONE = (segment, segmentsDoneThisRun) -> {
        };

        /** A part of {@code segment} is written; {@code segmentsDoneThisRun} segments were completed before it. */
        void partWritten(String segment, int segmentsDoneThisRun);
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
    private final Interruption interruption;

    public Saver(Options options, PrintStream messages, ProgressFactory progress) {
        this(options, messages, progress, Interruption.NONE);
    }

    public Saver(Options options, PrintStream messages, ProgressFactory progress, Interruption interruption) {
        this(options, messages, progress, SourceFile::writeControl, interruption);
    }

    Saver(Options options, PrintStream messages, ProgressFactory progress, ControlWriter control,
            Interruption interruption) {
        this.opt = options;
        this.messages = messages;
        this.progressFactory = progress;
        this.control = control;
        this.interruption = interruption;
    }

    public Result run() throws SaveException {
        long t0 = System.nanoTime();
        Path root = opt.root();
        Mechanism mechanism = Mechanism.detect(root);
        if (opt.format() == Format.s390 && mechanism != Mechanism.S390_ZFCPDUMP) {
            throw new SaveException(SaveException.NO_DUMP, "--format s390 needs an s390 zfcpdump environment ("
                    + DumpPaths.relative(DumpPaths.ZCORE) + "/); " + root + " has " + mechanism.id());
        }
        Path sourcePath = DumpPaths.under(root, opt.format() == Format.s390 ? DumpPaths.ZCORE_MEM : DumpPaths.VMCORE);
        if (!Files.exists(sourcePath)) {
            throw new SaveException(SaveException.NO_DUMP, sourcePath + " does not exist");
        }
        Path manifestPath = Manifest.pathFor(opt.outFile());
        RetryingReader reader = new RetryingReader(opt.maxAttempts(), opt.retryDelayMillis(), "nothing that was not "
                + "saved has been released, and " + manifestPath + " lets --resume continue");
        CaptureFiles files = new CaptureFiles(root);
        LOG.info("{} dump under {}; copying {}", mechanism.id(), root, sourcePath);
        Manifest manifest;
        Releaser releaser;
        Copier copier;
        try (SourceFile src = openSource(sourcePath)) {
            manifest = opt.resume()
                    ? new Resumption(opt, reader, messages, files).resume(mechanism, src, manifestPath)
                    : new Planning(opt, reader, messages, files).start(mechanism, src, manifestPath);
            releaser = new Releaser(root, manifest, manifestPath, control, messages);
            copier = new Copier(opt, reader, manifest, manifestPath, releaser, progressFactory, interruption);
            copier.copyAll(src);
        }
        if (opt.verify()) {
            Verifier.verifyAll(opt.outFile(), manifest, progressFactory);
        }
        releaser.fire(true);
        long disk = SourceFile.diskUsage(opt.outFile());
        return new Result(mechanism, manifest.outputSize, copier.bytesCopied(), disk, manifest.segments.size(),
                releaser.done(), reader.transientErrors(), System.nanoTime() - t0);
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
