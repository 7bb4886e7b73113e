package org.vmcorefs.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The command line's answers to bad input, signals, stale mounts, permissions and a failing image. */
class CommandLineAndLifecycleTest {
    @TempDir
    Path tmp;

    /** (case, options, mount point kind, expected exit code, expected words in the one-line message). */
    static Stream<Arguments> badInput() {
        return Stream.of(
                Arguments.of("unknown profile", List.of("--profile", "vax-kdump"), "empty", 2, "unknown profile"),
                Arguments.of("bad size", List.of("--memory", "12Q"), "empty", 2, "is not a size"),
                Arguments.of("size too small", List.of("--memory", "1M"), "empty", 3, "at least 64 MiB"),
                Arguments.of("no CPUs", List.of("--cpus", "0"), "empty", 3, "CPU count"),
                Arguments.of("bad fraction", List.of("--populated", "2"), "empty", 3, "populated"),
                Arguments.of("missing mount point", List.of(), "missing", 4, "does not exist"),
                Arguments.of("file as mount point", List.of(), "file", 4, "not a directory"),
                Arguments.of("non-empty mount point", List.of(), "nonempty", 4, "not empty"),
                Arguments.of("missing image", List.of("--image", "/nonexistent/vmcore"), "empty", 3, "no such image"),
                Arguments.of("corrupt image", List.of("--image", "CORRUPT"), "empty", 3, "ELF"),
                Arguments.of("truncated image", List.of("--image", "TRUNCATED"), "empty", 3, "truncated"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badInput")
    void badInputGivesOneClearLineADocumentedExitCodeAndNoMount(String name, List<String> options, String kind,
            int exit, String words) throws Exception {
        Mounted.requireFuse();
        Path mp = tmp.resolve("mnt");
        switch (kind) {
            case "empty" -> Files.createDirectory(mp);
            case "file" -> Files.writeString(mp, "x");
            case "nonempty" -> {
                Files.createDirectory(mp);
                Files.writeString(mp.resolve("f"), "x");
            }
            default -> { }
        }
        Path corrupt = tmp.resolve("corrupt.elf");
        Files.write(corrupt, new byte[] {0x7f, 'E', 'L', 'F', 2, 1, 1, 0, 0, 0});
        Path truncated = tmp.resolve("truncated.elf");
        Files.write(truncated, truncatedElfCore());
        String[] opts = options.stream().map(o -> o.replace("CORRUPT", corrupt.toString())
                .replace("TRUNCATED", truncated.toString())).toArray(String[]::new);
        Exec.Result r = Mounted.mountFails(mp, opts);
        assertEquals(exit, r.exit(), r.all());
        List<String> lines = r.stderr().lines().filter(l -> l.startsWith("vmcorefs: ")).toList();
        assertFalse(lines.isEmpty(), r.all());
        assertTrue(lines.get(0).contains(words), lines.get(0));
        assertTrue(r.stderr().lines().count() <= 3, "a short message, not a usage dump: " + r.stderr());
        assertFalse(Files.isDirectory(mp) && Mounted.isMounted(mp), "nothing mounted");
    }

    /** An ELF core whose one PT_LOAD points past the end of the file. */
    private static byte[] truncatedElfCore() {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(64 + 56).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[] {0x7f, 'E', 'L', 'F', 2, 1, 1});
        b.putShort(16, (short) 4).putShort(18, (short) 62).putInt(20, 1).putLong(32, 64);
        b.putShort(52, (short) 64).putShort(54, (short) 56).putShort(56, (short) 1);
        b.putInt(64, 1).putLong(64 + 8, 4096).putLong(64 + 32, 1 << 20).putLong(64 + 40, 1 << 20);
        return b.array();
    }

    @Test
    void unmountOfSomethingNotMountedSaysSo() throws IOException {
        Mounted.requireFuse();
        Exec.Result r = Exec.run(30, Mounted.LAUNCHER.toString(), "unmount", tmp.toString());
        assertEquals(5, r.exit(), r.all());
        assertTrue(r.stderr().contains("is not mounted"), r.all());
    }

    private static long daemonPid(Mounted m) throws IOException {
        return m.stats().get("mount").get("pid").asLong();
    }

    private static void waitGone(long pid, Path mp) throws Exception {
        ProcessHandle h = ProcessHandle.of(pid).orElse(null);
        if (h != null) {
            h.onExit().get(20, TimeUnit.SECONDS);
        }
        assertFalse(Mounted.isMounted(mp), "still mounted after the daemon exited");
    }

    @ParameterizedTest(name = "{0} during a read")
    @org.junit.jupiter.params.provider.ValueSource(strings = {"TERM", "INT"})
    void aSignalDuringHeavyReadsUnmountsCleanlyAndTheReaderDoesNotHang(String signal) throws Exception {
        Mounted m = Mounted.mount("--memory", "4G");
        try {
            long pid = daemonPid(m);
            Process reader = new ProcessBuilder("dd", "if=" + m.path("proc/vmcore"), "of=/dev/null", "bs=1M")
                    .redirectErrorStream(true).start();
            Thread.sleep(300);
            Exec.run(10, "kill", "-" + signal, Long.toString(pid)).ok();
            assertTrue(reader.waitFor(30, TimeUnit.SECONDS), "the reader hung after SIG" + signal);
            waitGone(pid, m.root);
        } finally {
            m.close();
        }
    }

    @Test
    void aStaleMountLeftByKill9IsRecoveredByTheNextMount() throws Exception {
        Mounted.requireFuse();
        Path mp = Files.createDirectory(tmp.resolve("stale"));
        Exec.run(60, Mounted.LAUNCHER.toString(), "mount", "--memory", "256M", mp.toString()).ok();
        long pid = Long.parseLong(Files.readString(mp.resolve(".vmcorefs/stats.json")).replaceAll("(?s).*\"pid\" : (\\d+).*", "$1"));
        Exec.run(10, "kill", "-KILL", Long.toString(pid)).ok();
        ProcessHandle.of(pid).ifPresent(h -> h.onExit().join());
        assertTrue(Mounted.isMounted(mp), "a killed daemon leaves its mount behind");
        Exec.Result r = Exec.run(60, Mounted.LAUNCHER.toString(), "mount", "--memory", "256M", mp.toString());
        try {
            assertEquals(0, r.exit(), r.all());
            assertTrue(r.stderr().contains("recovering"), r.all());
            assertTrue(Files.size(mp.resolve("proc/vmcore")) > 0);
        } finally {
            Exec.run(30, Mounted.LAUNCHER.toString(), "unmount", mp.toString());
        }
        assertFalse(Mounted.isMounted(mp));
    }

    @Test
    void filesAreTheMountingUsersAndOtherUsersCannotReadThem() throws Exception {
        try (Mounted m = Mounted.mount("--memory", "256M")) {
            for (String f : List.of("proc/vmcore", "dev/oldmem", ".vmcorefs/stats.json")) {
                assertEquals("r--------", PosixFilePermissions.toString(Files.getPosixFilePermissions(m.path(f))), f);
                assertEquals(System.getProperty("user.name"), Files.getOwner(m.path(f)).getName(), f);
            }
            Exec.Result other = Exec.run(30, "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                    "head", "-c", "16", m.path("proc/vmcore").toString());
            assertNotEquals(0, other.exit(), "user nobody read the dump: " + other.all());
            assertTrue(other.stderr().contains("Permission denied"), other.all());
        }
    }

    @Test
    void allowOtherIsExplicitAndWarnedAbout() throws Exception {
        try (Mounted m = Mounted.mount("--memory", "256M", "--allow-other")) {
            assertTrue(m.mountOutput().contains("warning: --allow-other"), m.mountOutput());
            Exec.Result other = Exec.run(30, "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                    "head", "-c", "16", m.path("proc/vmcore").toString());
            assertNotEquals(0, other.exit(), "0400 still keeps user nobody out: " + other.all());
        }
    }

    @Test
    void anImageTruncatedWhileMountedFailsOnlyTheReadsItNoLongerHolds() throws Exception {
        Path image = tmp.resolve("raw.img");
        byte[] chunk = new byte[1 << 20];
        new java.util.Random(7).nextBytes(chunk);
        try (var out = Files.newOutputStream(image)) {
            for (int i = 0; i < 64; i++) {
                out.write(chunk);
            }
        }
        try (Mounted m = Mounted.mount("--image", image.toString())) {
            long size = Files.size(m.path("proc/vmcore"));
            byte[] before = m.read("proc/vmcore", size - 4096, 4096);
            try (RandomAccessFile f = new RandomAccessFile(image.toFile(), "rw")) {
                f.setLength(32 << 20);
            }
            IOException e = org.junit.jupiter.api.Assertions.assertThrows(IOException.class,
                    () -> m.read("proc/vmcore", size - 4096, 4096));
            assertTrue(String.valueOf(e.getMessage()).contains("Input/output error"), e.toString());
            // A read large enough to be spliced from the image fails the same way, not short.
            IOException big = org.junit.jupiter.api.Assertions.assertThrows(IOException.class,
                    () -> m.read("proc/vmcore", size - (128 << 10), 128 << 10));
            assertTrue(String.valueOf(big.getMessage()).contains("Input/output error"), big.toString());
            // Bytes still in the image read as before; the mount is alive.
            assertEquals(4096, m.read("dev/oldmem", 16 << 20, 4096).length);
            assertTrue(m.stats().get("files").get("/proc/vmcore").get("errors").asLong() >= 1);
            assertEquals(before.length, 4096);
        }
    }
}
