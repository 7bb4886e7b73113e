package org.vmcorefs.fs;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** The system's mount table and the fusermount helper. */
public final class Mounts {
    private Mounts() {
    }

    /** Whether {@code mountPoint} is a mount point of the kernel's table (as {@code /proc/self/mounts} spells it). */
    public static boolean isMounted(Path mountPoint) {
        String target = escape(mountPoint.toAbsolutePath().normalize().toString());
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/mounts"))) {
                String[] f = line.split(" ");
                if (f.length > 2 && f[1].equals(target)) {
                    return true;
                }
            }
        } catch (IOException e) {
            return false;
        }
        return false;
    }

    /** A FUSE mount whose daemon is gone: listed, but any access fails with ENOTCONN. */
    static boolean isStale(Path mountPoint) {
        if (!isMounted(mountPoint)) {
            return false;
        }
        try {
            Files.readAttributes(mountPoint, "unix:mode");
            return false;
        } catch (IOException e) {
            String m = String.valueOf(e.getMessage());
            return m.contains("not connected") || m.contains("ENOTCONN");
        }
    }

    private static String escape(String path) {
        return path.replace("\\", "\\134").replace(" ", "\\040").replace("\t", "\\011").replace("\n", "\\012");
    }

    /** Runs {@code fusermount -u [-z] mountPoint}; returns its exit status (127 if fusermount is missing). */
    public static int fusermountUnmount(Path mountPoint, boolean lazy) {
        for (String tool : List.of("fusermount", "fusermount3")) {
            List<String> cmd = lazy ? List.of(tool, "-u", "-z", mountPoint.toString())
                    : List.of(tool, "-u", mountPoint.toString());
            try {
                Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                        .start();
                if (!p.waitFor(10, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    return 124;
                }
                return p.exitValue();
            } catch (IOException e) {
                continue;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return 130;
            }
        }
        return 127;
    }
}
