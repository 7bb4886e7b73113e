package org.vmcorefs.fs.save;

import java.io.PrintStream;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gives memory back through the mechanism's control files, each release only once every segment it waits for
 * is durably written, and recorded in the manifest as under way before it is made and as done after.
 */
final class Releaser {
    private static final Logger LOG = LoggerFactory.getLogger(Releaser.class);
    private final Path root;
    private final Manifest manifest;
    private final Path manifestPath;
    private final Saver.ControlWriter control;
    private final PrintStream messages;
    private final Saver.Checkpoints checkpoints;
    private int done;

    Releaser(Path root, Manifest manifest, Path manifestPath, Saver.ControlWriter control, PrintStream messages,
            Saver.Checkpoints checkpoints) {
        this.root = root;
        this.manifest = manifest;
        this.manifestPath = manifestPath;
        this.control = control;
        this.messages = messages;
        this.checkpoints = checkpoints;
    }

    /** Releases made by this run. */
    int done() {
        return done;
    }

    /** Releases every pending release whose segments are all durable; after-verify ones only when {@code end}. */
    void fire(boolean end) throws SaveException {
        for (Manifest.Release r : manifest.releases) {
            if (r.state != Manifest.State.pending || (r.afterVerify && !end)) {
                continue;
            }
            boolean ready = r.dependsOn.stream().allMatch(i -> manifest.segments.get(i).state == Manifest.State.done);
            if (!ready) {
                continue;
            }
            r.state = Manifest.State.started;
            manifest.commit(manifestPath);
            checkpoints.reached(Saver.Phase.release, r.what);
            Path file = root.resolve(r.file);
            try {
                control.write(file, r.text);
            } catch (SourceFile.Failure e) {
                r.state = Manifest.State.pending; // the kernel refused it: a resume tries again
                manifest.commit(manifestPath);
                throw new SaveException(SaveException.RELEASE_FAILED, "releasing " + r.what + " failed: "
                        + e.getMessage() + "; what it held is saved, the memory stays reserved", e);
            }
            checkpoints.reached(Saver.Phase.released, r.what);
            r.state = Manifest.State.done;
            done++;
            manifest.commit(manifestPath);
            LOG.info("released {} ({} <- '{}')", r.what, file, r.text.strip());
            messages.println("vmcorefs save: released " + r.what);
        }
    }
}
