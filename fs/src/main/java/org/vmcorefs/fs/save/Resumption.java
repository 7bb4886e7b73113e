package org.vmcorefs.fs.save;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.vmcorefs.format.DumpPaths;
import org.vmcorefs.format.text.ReleaseRegionText;
import org.vmcorefs.format.text.ReleaseRequest;
import org.vmcorefs.machine.DumpException;
import org.vmcorefs.machine.MemoryRange;

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

    /**
     * The manifest at {@code manifestPath}, ready to continue; RESUME_REFUSED if it is not this save's. {@code src}
     * is null where the source is gone (fadump's release_mem removes /proc/vmcore): then only a save with every
     * segment copied can be finished (verified, its releases settled).
     */
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
        if (pending && src == null) {
            throw new SaveException(SaveException.RESUME_REFUSED, "cannot resume " + opt.outFile() + ": the dump is "
                    + "gone (" + mechanism.id() + ", its source file is missing) and segments are still to be copied");
        }
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
                if (stillReserved(r)) {
                    // Stopped before its write reached the kernel: what it frees is still reserved.
                    messages.println("vmcorefs save: release of " + r.what + " was under way when the save stopped, "
                            + "and " + r.file + " shows it still reserved: making it");
                    r.state = Manifest.State.pending;
                } else {
                    messages.println("vmcorefs save: release of " + r.what + " was under way when the save stopped; "
                            + "it was made (or cannot be told from " + r.file + "): not repeating it");
                    r.state = Manifest.State.done;
                }
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

    /**
     * Whether the control files show that a release recorded as under way was not made: phyp's release_region
     * still lists a range it frees, zcore/hsa still shows the HSA, fadump's /proc/vmcore is still there (its
     * release_mem removes it). Where that cannot be told, false: a release is never repeated on a guess, since
     * the kernel frees what it is told to (phyp's release_region would free pages twice).
     */
    private boolean stillReserved(Manifest.Release r) throws SaveException {
        if (r.file.equals(Planner.HSA_FILE)) {
            return files.hsaSize() != 0;
        }
        if (r.file.equals(Planner.RELEASE_MEM_FILE)) {
            return Files.exists(files.path(DumpPaths.VMCORE));
        }
        if (r.file.equals(Planner.RELEASE_REGION_FILE)) {
            MemoryRange asked;
            try {
                ReleaseRequest q = ReleaseRequest.parse(r.text);
                asked = new MemoryRange(q.start(), q.length());
            } catch (DumpException e) {
                return false;
            }
            ReleaseRegionText now = files.releaseRegion();
            return List.of(now.cpu(), now.hpte(), now.savedLowMemory(), now.reserved()).stream()
                    .anyMatch(shown -> !shown.isEmpty() && shown.overlaps(asked));
        }
        return false;
    }

    /** Whether a release made or under way frees memory that segment {@code segment} holds. */
    private static boolean releasedDependsOn(Manifest manifest, int segment) {
        return manifest.releases.stream()
                .anyMatch(r -> r.state != Manifest.State.pending && r.dependsOn.contains(segment));
    }
}
