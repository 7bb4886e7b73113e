package org.vmcorefs.fs;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Checks a mount point before mounting, and recovers one left stale by a killed daemon. */
public final class MountPoints {
    private static final Logger LOG = LoggerFactory.getLogger(MountPoints.class);

    /** Why a mount point cannot be used. */
    public static final class Unusable extends Exception {
        private static final long serialVersionUID = 1L;

        Unusable(String message) {
            super(message);
        }
    }

    private MountPoints() {
    }

    public static Path prepare(Path mountPoint) throws Unusable {
        Path mp = mountPoint.toAbsolutePath().normalize();
        if (Mounts.isStale(mp)) {
            LOG.warn("{} is a stale mount (its daemon is gone); unmounting it first", mp);
            System.err.println("vmcorefs: " + mp + " was left mounted by a daemon that is gone; recovering it");
            if (Mounts.fusermountUnmount(mp, false) != 0 && Mounts.fusermountUnmount(mp, true) != 0) {
                throw new Unusable(mp + " is a stale mount and fusermount -u failed; run: fusermount -u " + mp);
            }
        }
        if (Mounts.isMounted(mp)) {
            throw new Unusable(mp + " is already a mount point (unmount it first: vmcorefs unmount " + mp + ")");
        }
        if (!Files.exists(mp)) {
            throw new Unusable(mp + " does not exist (create it with: mkdir -p " + mp + ")");
        }
        if (!Files.isDirectory(mp)) {
            throw new Unusable(mp + " is not a directory");
        }
        try (Stream<Path> entries = Files.list(mp)) {
            if (entries.findAny().isPresent()) {
                throw new Unusable(mp + " is not empty");
            }
        } catch (IOException e) {
            throw new Unusable(mp + " cannot be listed: " + e.getMessage());
        }
        return mp;
    }
}
