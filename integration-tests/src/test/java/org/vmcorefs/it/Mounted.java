package org.vmcorefs.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * A real FUSE mount made by {@code bin/vmcorefs mount}, ended by {@code bin/vmcorefs unmount} (and
 * {@code fusermount -u -z} if that fails) under a time limit. Tests that need FUSE fail, saying what is missing
 * and how to get it, where /dev/fuse, fusermount or the built jar is missing (see {@link Requirements}).
 */
final class Mounted implements AutoCloseable {
    static final Path HOME = Path.of(System.getProperty("vmcorefs.home", "..")).toAbsolutePath().normalize();
    static final Path LAUNCHER = HOME.resolve("bin/vmcorefs");
    private static final ObjectMapper JSON = new ObjectMapper();
    /**
     * The FUSE adapter every mount of the run uses: {@code -Dvmcorefs.it.fuse=2} runs the tests on jnr-fuse
     * (libfuse 2), {@code 3} on the libfuse 3 adapter; unset, the mount's default.
     */
    static final String FUSE = System.getProperty("vmcorefs.it.fuse", "");

    final Path root;
    private final Exec.Result mountResult;

    private Mounted(Path root, Exec.Result mountResult) {
        this.root = root;
        this.mountResult = mountResult;
    }

    /** Fails the calling test, saying what is missing and how to get it, unless a FUSE mount can be made here. */
    static void requireFuse() {
        Requirements.fuse(HOME.resolve("fs/target/vmcorefs.jar"));
    }

    /** Mounts with {@code options} (everything but the mount point) and waits until the files are visible. */
    static Mounted mount(String... options) throws IOException {
        requireFuse();
        Path dir = Files.createTempDirectory("vmcorefs-it");
        List<String> cmd = command(options);
        cmd.add(dir.toString());
        Exec.Result r = Exec.run(60, null, cmd);
        if (r.exit() != 0) {
            Files.deleteIfExists(dir);
            throw new AssertionError("mount failed (exit " + r.exit() + "): " + r.all());
        }
        Mounted m = new Mounted(dir, r);
        if (!FUSE.isEmpty() && !FUSE.equals(m.stats().get("mount").get("fuse").asText())) {
            m.close();
            throw new AssertionError("asked for the libfuse " + FUSE + " adapter, got " + r.all());
        }
        return m;
    }

    /** Runs {@code bin/vmcorefs mount} expecting failure; returns what it did (nothing stays mounted). */
    static Exec.Result mountFails(Path mountPoint, String... options) {
        requireFuse();
        List<String> cmd = command(options);
        cmd.add(mountPoint.toString());
        return Exec.run(60, null, cmd);
    }

    /** {@code bin/vmcorefs mount}, the adapter asked for by {@link #FUSE}, then {@code options}. */
    private static List<String> command(String... options) {
        List<String> cmd = new ArrayList<>(List.of(LAUNCHER.toString(), "mount"));
        if (!FUSE.isEmpty()) {
            cmd.addAll(List.of("--fuse", FUSE));
        }
        cmd.addAll(List.of(options));
        return cmd;
    }

    Path path(String relative) {
        return root.resolve(relative.startsWith("/") ? relative.substring(1) : relative);
    }

    String mountOutput() {
        return mountResult.all();
    }

    /** The parsed {@code .vmcorefs/stats.json}. */
    JsonNode stats() throws IOException {
        return JSON.readTree(Files.readString(path(".vmcorefs/stats.json")));
    }

    /** {@code length} bytes of {@code file} at {@code offset}, read with one positional read loop. */
    byte[] read(String file, long offset, int length) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(path(file).toFile(), "r")) {
            byte[] b = new byte[length];
            f.seek(offset);
            f.readFully(b);
            return b;
        }
    }

    static boolean isMounted(Path p) throws IOException {
        String target = p.toAbsolutePath().normalize().toString();
        try (Stream<String> lines = Files.lines(Path.of("/proc/self/mounts"))) {
            return lines.anyMatch(l -> l.split(" ")[1].equals(target));
        }
    }

    /** What the daemon has logged so far (its log file, named in the mount's output). */
    String log() throws IOException {
        java.util.regex.Matcher log = java.util.regex.Pattern.compile("log (/\\S+?)\\)").matcher(mountResult.stdout());
        if (!log.find()) {
            throw new AssertionError("the mount named no log: " + mountResult.all());
        }
        return Files.readString(Path.of(log.group(1)));
    }

    @Override
    public void close() throws IOException {
        Exec.Result r = Exec.run(30, LAUNCHER.toString(), "unmount", root.toString());
        if (r.exit() != 0 && isMounted(root)) {
            Exec.run(15, "fusermount", "-u", "-z", root.toString());
        }
        if (!isMounted(root)) {
            try (Stream<Path> s = Files.walk(root)) {
                s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
            // The daemon's log, named in the mount's output ("..., log /path)"): not kept after a clean end.
            java.util.regex.Matcher log = java.util.regex.Pattern.compile("log (/\\S+?)\\)").matcher(mountResult.stdout());
            if (r.exit() == 0 && log.find()) {
                Files.deleteIfExists(Path.of(log.group(1)));
            }
        }
    }
}
