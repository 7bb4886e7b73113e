package org.vmcorefs.fs.cli;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vmcorefs.fs.save.Progress;
import org.vmcorefs.fs.save.SaveException;
import org.vmcorefs.fs.save.Saver;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code vmcorefs save ROOT OUTFILE}: copies a capture environment's dump away, then releases its memory. */
@Command(name = "save", mixinStandardHelpOptions = true, sortOptions = false, usageHelpWidth = 110,
        header = "Copies a capture environment's dump to a file, then releases the memory it held.",
        description = {"Copies the dump of the capture environment at ROOT (/ in a real capture kernel, or a",
            "vmcorefs mount point) to OUTFILE, verifies it, and gives the crashed system's memory back only",
            "once what it held is on disk (fsync'ed).",
            "",
            "The mechanism is detected from the files under ROOT:",
            "  sys/kernel/debug/zcore/    s390 zfcpdump: the HSA part is copied first, then the HSA is released",
            "                             (\"0\" to zcore/hsa), then the rest (as s390-tools' hsavmcore does)",
            "  sys/kernel/release_region  phyp-assisted dump: each saved range is echoed to release_region",
            "  sys/kernel/fadump/         fadump: \"1\" to fadump/release_mem once everything is saved and verified",
            "  proc/vmcore                kdump: nothing to release",
            "",
            "OUTFILE is an ELF core with proc/vmcore's layout (readelf, gdb, crash, makedumpfile read it), or",
            "with --format s390 zcore/mem's s390 dump and its end marker (zgetdump, libkdumpfile).",
            "Beside it, OUTFILE.manifest.json records every segment's SHA-256 and state, and every release,",
            "so that --resume continues an interrupted save. Transient read errors (EIO) are retried with a",
            "doubling delay; a permanent one stops the save with the file, offset and errno.",
            ""},
        footerHeading = "%nExit codes:%n",
        footer = {
            "  0  saved (and verified, and released)",
            "  1  an unexpected failure (the manifest is kept: --resume continues)",
            "  2  bad usage",
            " 10  no dump under ROOT (or not the files --format needs)",
            " 11  a read of the dump failed for good: nothing unsaved was released; --resume continues",
            " 12  writing OUTFILE or its manifest failed (e.g. no space left); --resume continues",
            " 13  OUTFILE does not match its checksums",
            " 14  a release failed: the dump is saved, the memory stays reserved",
            " 15  --resume refused (no manifest, another dump, other options), or OUTFILE exists without",
            "     --resume or --force",
            " 16  the dump's headers are not sane",
            "",
            "With a vmcorefs mount as ROOT, --exclude-zero also skips what ROOT/.vmcorefs/zero-ranges lists",
            "(file ranges of proc/vmcore the simulator knows are zero), without reading it: a simulator-only",
            "shortcut that a real capture kernel does not have (there, every byte is read).",
            "",
            "Examples:",
            "  vmcorefs save / /var/crash/vmcore                     # in a capture kernel",
            "  vmcorefs save --exclude-zero ./mnt /var/tmp/vmcore    # sparse output, zero pages are holes",
            "  vmcorefs save --resume ./mnt /var/tmp/vmcore          # continue an interrupted save",
            "  vmcorefs save --format s390 ./mnt /var/tmp/dump.s390  # s390 dump format (zfcpdump)"})
final class SaveCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "ROOT", description = "Root of the capture environment: / or a mount point.")
    Path root;

    @Parameters(index = "1", paramLabel = "OUTFILE", description = "Where to write the dump.")
    Path outFile;

    @Option(names = "--format", paramLabel = "FORMAT", defaultValue = "elf",
            description = "elf (default: proc/vmcore's bytes as they are) or s390 (zcore/mem plus end marker; "
                    + "s390 only).")
    Saver.Format format;

    @Option(names = "--exclude-zero",
            description = "Leave all-zero pages out: OUTFILE is sparse, same apparent size, small on disk.")
    boolean excludeZero;

    @Option(names = "--resume", description = "Continue the save that OUTFILE.manifest.json records, after "
            + "checking the segments already written.")
    boolean resume;

    @Option(names = "--force", description = "Overwrite an existing OUTFILE and manifest.")
    boolean force;

    @Option(names = "--no-verify", negatable = false,
            description = "Do not read OUTFILE back to check every segment's checksum at the end.")
    boolean noVerify;

    @Option(names = "--no-release", negatable = false,
            description = "Copy only: release no memory (it stays reserved for another try).")
    boolean noRelease;

    @Option(names = "--segment-size", paramLabel = "SIZE", defaultValue = "64M", converter = SizeConverter.class,
            description = "Bytes per segment: the unit of checksums, fsync, resume and release. "
                    + "Default: ${DEFAULT-VALUE}.")
    long segmentSize;

    @Option(names = "--retries", paramLabel = "N", defaultValue = "8",
            description = "Attempts at one offset before a transient error (EIO) counts as permanent. "
                    + "Default: ${DEFAULT-VALUE}.")
    int retries;

    @Option(names = "--retry-delay", paramLabel = "MILLIS", defaultValue = "10",
            description = "Delay before the first retry; it doubles per attempt, up to 2 s. Default: ${DEFAULT-VALUE}.")
    long retryDelay;

    @Option(names = "--progress", paramLabel = "MODE", defaultValue = "auto",
            description = "auto (a bar on a terminal, plain lines otherwise), bar, lines or none. "
                    + "Default: ${DEFAULT-VALUE}.")
    String progress;

    @Option(names = "--verbose", description = "Log every decision and retry to stderr.")
    boolean verbose;

    /**
     * Test hook: at the N-th time this run reaches PHASE (a {@link Saver.Phase}: part, fsync, segment, release,
     * released, verify), say so on stderr and wait there, so that the test kills the process with a real SIGKILL.
     */
    @Option(names = "--debug-pause-at", paramLabel = "PHASE:N", hidden = true)
    String pauseAt;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger(Logger.ROOT_LOGGER_NAME))
                .setLevel(verbose ? ch.qos.logback.classic.Level.INFO : ch.qos.logback.classic.Level.WARN);
        if (retries < 1) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--retries must be at least 1");
        }
        if (segmentSize < 65536 || segmentSize % 65536 != 0) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--segment-size must be a multiple of 64K");
        }
        if (resume && force) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--resume and --force exclude each other");
        }
        boolean terminal = System.console() != null;
        boolean bar = progress.equals("bar") || (progress.equals("auto") && terminal);
        Saver.ProgressFactory pf = switch (progress) {
            case "auto" -> terminal ? (t, total, done) -> Progress.bar(t, total, done, System.out)
                    : (t, total, done) -> Progress.lines(t, total, done, System.out, 2000);
            case "bar" -> (t, total, done) -> Progress.bar(t, total, done, System.out);
            case "lines" -> (t, total, done) -> Progress.lines(t, total, done, System.out, 2000);
            case "none" -> (t, total, done) -> Progress.none();
            default -> throw new CommandLine.ParameterException(spec.commandLine(),
                    "--progress must be auto, bar, lines or none, not '" + progress + "'");
        };
        Saver.Options o = new Saver.Options(root.toAbsolutePath().normalize(), outFile.toAbsolutePath().normalize(),
                format, excludeZero, resume, force, !noVerify, !noRelease, segmentSize, retries, retryDelay);
        PrintStream messages = bar ? Progress.besideBar(System.err) : System.err;
        try {
            Saver.Result r = new Saver(o, messages, pf, pauseAt == null ? Saver.Checkpoints.NONE
                    : pauseAt(pauseAt, messages)).run();
            System.err.printf("vmcorefs save: %s saved to %s (%s on disk), %d segments%s, %d release(s), "
                    + "%d transient error(s) retried, %.1f s%n", r.mechanism().id(), outFile,
                    r.diskBytes() < 0 ? "?" : humanSize(r.diskBytes()), r.segments(),
                    noVerify ? "" : " verified", r.releases(), r.transientErrors(), r.nanos() / 1e9);
            return ExitCode.OK;
        } catch (SaveException e) {
            System.err.println("vmcorefs save: " + e.getMessage());
            return e.exitCode();
        }
    }

    /** How long a paused save waits for its kill before it gives up (exit 1): a test that died leaves nothing. */
    private static final long PAUSE_LIMIT_SECONDS = 300;

    /**
     * The hidden test hook: at the N-th time this run reaches the phase named in {@code point}
     * ("PHASE:N"), the save says "paused at" on stderr and waits there to be killed (SIGKILL from the test), with
     * no cleanup and nothing more written. Only --debug-pause-at installs it; the save itself never pauses.
     */
    private Saver.Checkpoints pauseAt(String point, PrintStream messages) {
        String[] parts = point.split(":", 2);
        Saver.Phase phase;
        int n;
        try {
            phase = Saver.Phase.valueOf(parts[0]);
            n = parts.length == 2 ? Integer.parseInt(parts[1]) : 1;
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--debug-pause-at wants PHASE:N with PHASE one"
                    + " of " + java.util.Arrays.toString(Saver.Phase.values()) + ", not '" + point + "'");
        }
        int[] seen = new int[1];
        return (reached, what) -> {
            if (reached != phase || ++seen[0] != n) {
                return;
            }
            LoggerFactory.getLogger(Saver.class).warn("test hook: paused at {} {} ({})", phase, n, what);
            messages.println("vmcorefs save: paused at " + phase + " " + n + " (" + what + ", pid "
                    + ProcessHandle.current().pid() + "): waiting to be killed");
            messages.flush();
            System.err.flush();
            try {
                Thread.sleep(PAUSE_LIMIT_SECONDS * 1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            throw new SaveException(ExitCode.FAILED, "paused at " + phase + " " + n + " and not killed within "
                    + PAUSE_LIMIT_SECONDS + " s (--debug-pause-at)");
        };
    }

    private static String humanSize(long bytes) {
        return bytes < (1 << 20) ? (bytes >> 10) + " KiB" : String.format("%.1f MiB", bytes / 1048576.0);
    }
}
