package org.vmcorefs.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code vmcorefs save} against real mounts of the x86_64-kdump profile, checked with cmp, readelf and gdb. */
class SaveTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path out;

    private static Exec.Result save(long timeoutSeconds, String... args) {
        List<String> cmd = new ArrayList<>(List.of(Mounted.LAUNCHER.toString(), "save", "--progress", "lines"));
        cmd.addAll(List.of(args));
        return Exec.run(timeoutSeconds, null, cmd);
    }

    private static void assertSameBytes(Path expected, Path actual) {
        Exec.Result r = Exec.run(120, "cmp", expected.toString(), actual.toString());
        assertEquals(0, r.exit(), "cmp " + expected + " " + actual + ": " + r.all());
    }

    @Test
    void theSavedDumpIsTheMountedVmcoreByteForByteAndReadelfAndGdbReadIt() throws Exception {
        try (Mounted m = Mounted.mount("--memory", "512M", "--cpus", "2", "--seed", "11")) {
            Path dump = out.resolve("vmcore");
            Exec.Result r = save(120, m.root.toString(), dump.toString()).ok();
            assertTrue(r.stderr().contains("verified"), r.all());
            assertSameBytes(m.path("proc/vmcore"), dump);
            JsonNode manifest = JSON.readTree(Files.readString(out.resolve("vmcore.manifest.json")));
            assertEquals("kdump", manifest.get("mechanism").asText());
            for (JsonNode s : manifest.get("segments")) {
                assertEquals("done", s.get("state").asText());
                assertEquals(64, s.get("sha256").asText().length());
            }
            String mounted = Exec.run(60, "readelf", "-l", m.path("proc/vmcore").toString()).ok().stdout();
            String saved = Exec.run(60, "readelf", "-l", dump.toString()).ok().stdout();
            assertTrue(saved.contains("CORE (Core file)"), saved);
            assertEquals(mounted.replace(m.path("proc/vmcore").toString(), "F"), saved.replace(dump.toString(), "F"));
            Requirements.tool("gdb");
            String g = Exec.run(60, "gdb", "-batch", "-nx", "-ex", "info threads", "-c", dump.toString()).all();
            assertTrue(g.contains("Thread 2") || g.contains("LWP 2"), g);
        }
    }

    @Test
    void transientSavedAreaFailuresAreRetriedAndTheResultIsIdentical() throws Exception {
        String[] machine = {"--memory", "256M", "--seed", "12"};
        Path dump = out.resolve("vmcore");
        try (Mounted faulty = Mounted.mount(concat(machine, "--saved-area-fail-rate", "0.3", "--fault-seed", "7"))) {
            Exec.Result r = save(120, "--retries", "16", "--retry-delay", "1", faulty.root.toString(), dump.toString()).ok();
            JsonNode area = faulty.stats().get("savedArea");
            assertTrue(area.get("failures").asLong() > 10, "faults were injected: " + area);
            assertTrue(r.stderr().matches("(?s).* ([1-9][0-9]*) transient error\\(s\\) retried.*"), r.all());
        }
        try (Mounted clean = Mounted.mount(machine)) {
            assertSameBytes(clean.path("proc/vmcore"), dump);
        }
    }

    @Test
    void anInterruptedSaveResumedGivesTheSameFile() throws Exception {
        try (Mounted m = Mounted.mount("--memory", "256M", "--seed", "13")) {
            Path dump = out.resolve("vmcore");
            // Killed (SIGKILL) in the sixth segment, after its first part.
            SaveKillTest.killedAt("part:6", List.of(Mounted.LAUNCHER.toString(), "save", "--progress", "lines",
                    "--segment-size", "8M", m.root.toString(), dump.toString()));
            JsonNode manifest = JSON.readTree(Files.readString(out.resolve("vmcore.manifest.json")));
            long done = 0;
            long pending = 0;
            for (JsonNode s : manifest.get("segments")) {
                if (s.get("state").asText().equals("done")) {
                    done++;
                } else {
                    pending++;
                }
            }
            assertEquals(5, done);
            assertTrue(pending > 15, "pending " + pending);

            Exec.Result again = save(120, m.root.toString(), dump.toString());
            assertEquals(15, again.exit(), "no overwrite without --resume: " + again.all());
            Exec.Result resumed = save(120, "--resume", m.root.toString(), dump.toString()).ok();
            assertTrue(resumed.stderr().contains("5 done segments verified"), resumed.all());
            assertSameBytes(m.path("proc/vmcore"), dump);
        }
    }

    @Test
    void aSaveKilledWithSigkillPartwayIsResumedIntoTheSameFile() throws Exception {
        try (Mounted m = Mounted.mount("--memory", "1G", "--seed", "15")) {
            Path dump = out.resolve("vmcore");
            Path manifestFile = out.resolve("vmcore.manifest.json");
            Process p = new ProcessBuilder(Mounted.LAUNCHER.toString(), "save", "--progress", "none", "--segment-size",
                    "8M", m.root.toString(), dump.toString()).redirectErrorStream(true)
                    .redirectOutput(out.resolve("save.log").toFile()).start();
            long done = 0;
            long deadline = System.nanoTime() + 60_000_000_000L;
            while (done < 3 && p.isAlive() && System.nanoTime() < deadline) {
                Thread.sleep(20);
                try {
                    done = 0;
                    for (JsonNode s : JSON.readTree(Files.readString(manifestFile)).get("segments")) {
                        done += s.get("state").asText().equals("done") ? 1 : 0;
                    }
                } catch (java.io.IOException e) {
                    done = 0; // not written yet
                }
            }
            assertTrue(p.isAlive(), "the save ended before it could be killed: " + Files.readString(out.resolve("save.log")));
            p.destroyForcibly(); // SIGKILL
            p.waitFor();
            assertEquals(137, p.exitValue());
            Exec.Result resumed = save(120, "--resume", m.root.toString(), dump.toString()).ok();
            assertTrue(resumed.stderr().matches("(?s).*resuming .*: ([3-9]|[1-9][0-9]+) done segments verified.*"),
                    resumed.all());
            assertSameBytes(m.path("proc/vmcore"), dump);
        }
    }

    @Test
    void aSparseTerabyteMachineIsSavedQuicklyIntoASmallSparseFile() throws Exception {
        try (Mounted m = Mounted.mount("--memory", "1T", "--populated", "0.0001", "--seed", "14")) {
            Path vmcore = m.path("proc/vmcore");
            Path dump = out.resolve("vmcore");
            long t0 = System.nanoTime();
            Exec.Result r = save(180, "--exclude-zero", m.root.toString(), dump.toString()).ok();
            double seconds = (System.nanoTime() - t0) / 1e9;
            long apparent = Files.size(dump);
            long disk = Long.parseLong(Exec.run(30, "du", "-B1", dump.toString()).ok().stdout().split("\\s+")[0]);
            System.out.printf("1 TiB save: %.1f s, apparent %d, on disk %d%n%s", seconds, apparent, disk, r.all());
            assertEquals(Files.size(vmcore), apparent);
            assertTrue(apparent > 1L << 40 - 1, "a 1 TiB vmcore: " + apparent);
            assertTrue(disk < 512L << 20, "small on disk: " + disk);
            assertTrue(seconds < 90, "quick: " + seconds + " s");
            Random random = new Random(14);
            try (RandomAccessFile a = new RandomAccessFile(vmcore.toFile(), "r");
                    RandomAccessFile b = new RandomAccessFile(dump.toFile(), "r")) {
                List<Long> offsets = new ArrayList<>(List.of(0L, apparent - 4096));
                for (int i = 0; i < 200; i++) {
                    offsets.add(Math.floorMod(random.nextLong(), apparent - 4096));
                }
                // And inside the populated data, where a mistake would show.
                JsonNode manifest = JSON.readTree(Files.readString(out.resolve("vmcore.manifest.json")));
                for (JsonNode s : manifest.get("segments")) {
                    if (s.get("kind").asText().equals("copy")) {
                        offsets.add(s.get("offset").asLong() + s.get("length").asLong() / 2 - 2048);
                    }
                }
                byte[] x = new byte[4096];
                byte[] y = new byte[4096];
                for (long off : offsets) {
                    a.seek(off);
                    a.readFully(x);
                    b.seek(off);
                    b.readFully(y);
                    assertArrayEquals(x, y, "4 KiB at offset " + off);
                }
            }
        }
    }

    private static String[] concat(String[] a, String... b) {
        String[] r = new String[a.length + b.length];
        System.arraycopy(a, 0, r, 0, a.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }
}
