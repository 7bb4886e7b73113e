package org.vmcorefs.fs;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HexFormat;

/** Per-mount files kept outside the mount: the daemon's pid and its log, in a private (0700) directory. */
public final class RuntimeFiles {
    private RuntimeFiles() {
    }

    public static Path directory() throws IOException {
        String xdg = System.getenv("XDG_RUNTIME_DIR");
        Path dir = xdg != null && !xdg.isEmpty() ? Path.of(xdg, "vmcorefs")
                : Path.of(System.getProperty("java.io.tmpdir"), "vmcorefs-" + new com.sun.security.auth.module.UnixSystem().getUid());
        if (!Files.isDirectory(dir)) {
            Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        }
        return dir;
    }

    private static String key(Path mountPoint) {
        String s = mountPoint.toAbsolutePath().normalize().toString();
        return Integer.toHexString(s.hashCode()) + "-" + HexFormat.of().formatHex(
                s.substring(Math.max(0, s.length() - 24)).getBytes(StandardCharsets.UTF_8)).substring(0, 8);
    }

    public static Path log(Path mountPoint) throws IOException {
        return directory().resolve(key(mountPoint) + ".log");
    }

    static Path pidFile(Path mountPoint) throws IOException {
        return directory().resolve(key(mountPoint) + ".pid");
    }

    public static void writePid(Path mountPoint, long pid) throws IOException {
        Files.writeString(pidFile(mountPoint), pid + "\n");
    }

    public static long readPid(Path mountPoint) {
        try {
            return Long.parseLong(Files.readString(pidFile(mountPoint)).trim());
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
    }

    public static void clear(Path mountPoint) {
        try {
            Files.deleteIfExists(pidFile(mountPoint));
        } catch (IOException e) {
            // Nothing to do: a stale pid file is ignored when its process is gone.
        }
    }
}
