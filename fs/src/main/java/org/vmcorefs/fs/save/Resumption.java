package org.vmcorefs.fs.save;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The continuation of an interrupted save: its manifest, checked against this dump and these options, and
 * every segment it records as done checked on disk (a damaged one is copied again, unless its memory is gone).
 */
final class Resumption {
    private final Saver.Options opt;
    private final RetryingReader reader;
    private final PrintStream messages;
    private final CaptureFiles files;

    Resumption(Saver.Options opt, RetryingReader reader, PrintStream messages, CaptureFiles files) {
        this.opt = opt;
        this.reader = reader;
        this.messages = messages;
        this.files = files;
    }

    /** The manifest at {@code manifestPath}, ready to continue; RESUME_REFUSED if it is not this save's. */
    Manifest resume(Mechanism mechanism, SourceFile src, Path manifestPath) throws SaveException {
        Manifest manifest;
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
            DumpSource ds = DumpSource.of(src, opt.format(), reader, files);
            if (ds.size() != manifest.sourceSize) {
                differences.add("source size " + manifest.sourceSize + " there, " + ds.size() + " here");
            } else if (!reader.sha256(src, manifest.fingerprintLength).equals(manifest.sourceFingerprint)) {
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
        try (SourceFile out = SourceFile.openForSave(opt.outFile())) {
            for (int i = 0; i < manifest.segments.size(); i++) {
                Manifest.Segment s = manifest.segments.get(i);
                if (s.state != Manifest.State.done) {
                    continue;
                }
                checked++;
                if (!Verifier.matches(out, s, manifest.outputSize)) {
                    if (releasedDependsOn(manifest, i)) {
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
        manifest.commit(manifestPath);
        messages.println(String.format("vmcorefs save: resuming %s: %d done segments verified%s, %s left",
                opt.outFile(), checked,
                recopy > 0 ? " (" + recopy + " to copy again)" : "",
                Sizes.human(manifest.outputSize - manifest.bytesDone())));
        return manifest;
    }

    /** Whether a release made or under way frees memory that segment {@code segment} holds. */
    private static boolean releasedDependsOn(Manifest manifest, int segment) {
        return manifest.releases.stream()
                .anyMatch(r -> r.state != Manifest.State.pending && r.dependsOn.contains(segment));
    }
}
