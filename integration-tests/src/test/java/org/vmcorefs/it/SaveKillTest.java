package org.vmcorefs.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code vmcorefs save} killed with a real SIGKILL at every phase, then resumed, for every mechanism save knows:
 * after a part of a segment (before its fsync), just before a segment's fsync, after each segment (fsync'ed and
 * recorded), inside each release (recorded as under way, before its control-file write; and after the write,
 * before it is recorded done), and during the final verify. The save is started with the hidden
 * {@code --debug-pause-at PHASE:N}: it says "paused at" on stderr and waits, and the test kills it there. Each
 * resumed run is killed at the next point, until one finishes. At every kill the mount's event log must show no
 * memory released whose bytes are not in segments the manifest on disk records as done (fsync'ed), and those
 * bytes must be the dump's. The end result must be byte-identical to an uninterrupted save of the same machine,
 * with the same releases made, each once.
 */
class SaveKillTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern RANGE = Pattern.compile("\\[0x(\\p{XDigit}+)-0x(\\p{XDigit}+)\\)");

    /** One mechanism, on the profile that has it, with a segment size giving a handful of segments. */
    enum Case {
        X86_64_KDUMP("128M", "--profile", "x86_64-kdump", "--memory", "256M"),
        ARM64_KDUMP("128M", "--profile", "arm64-kdump", "--memory", "256M"),
        PPC64_PHYP("128M", "--profile", "ppc64-phyp", "--memory", "768M"),
        PPC64LE_FADUMP("128M", "--profile", "ppc64le-fadump", "--memory", "768M"),
        S390X_ZFCPDUMP("64M", "--profile", "s390x-zfcpdump", "--memory", "256M", "--hsa-size", "32M");

        final String segmentSize;
        final String[] machine;

        Case(String segmentSize, String... machine) {
            this.segmentSize = segmentSize;
            List<String> m = new ArrayList<>(List.of(machine));
            m.addAll(List.of("--cpus", "2", "--seed", "41"));
            this.machine = m.toArray(new String[0]);
        }
    }

    @TempDir
    Path out;

    /** Every case; {@code -Dvmcorefs.savekill.cases=PPC64_PHYP,...} runs only those (to look at one closely). */
    static List<Case> cases() {
        String only = System.getProperty("vmcorefs.savekill.cases", "");
        return Arrays.stream(Case.values()).filter(c -> only.isEmpty() || Arrays.asList(only.split(",")).contains(
                c.name())).toList();
    }

    @ParameterizedTest
    @MethodSource("cases")
    void aSaveKilledAtEveryPhaseResumesIntoTheUninterruptedSavesBytes(Case c) throws Exception {
        long t0 = System.nanoTime();
        Path reference = out.resolve("reference");
        List<String> referenceReleases;
        String referenceState;
        try (Mounted a = Mounted.mount(c.machine)) {
            run(c, a, reference, false).ok();
            referenceReleases = releases(a.stats());
            referenceState = endState(a);
        }
        Loads loads = Loads.of(reference);
        Path dump = out.resolve("vmcore");
        List<String> kills = new ArrayList<>();
        try (Mounted b = Mounted.mount(c.machine)) {
            Chain chain = new Chain();
            for (String point = chain.next(null); point != null; point = chain.next(manifest(dump))) {
                String paused = killAt(c, b, dump, point, !kills.isEmpty());
                kills.add(point + " " + paused);
                checkNothingUnsavedReleased(b, dump, reference, loads, point);
                assertTrue(kills.size() < 60, "the chain of kills does not end: " + kills);
            }
            Exec.Result last = run(c, b, dump, true).ok();
            assertTrue(last.stderr().contains("resuming"), last.all());
            Exec.Result cmp = Exec.run(120, "cmp", reference.toString(), dump.toString());
            assertEquals(0, cmp.exit(), "the resumed save differs from the uninterrupted one: " + cmp.all()
                    + "\nkills: " + kills);
            assertEquals(referenceReleases, releases(b.stats()), "the same releases, each made once; kills: " + kills);
            assertEquals(referenceState, endState(b), "kills: " + kills);
        }
        Set<String> phases = new HashSet<>();
        kills.forEach(k -> phases.add(k.substring(0, k.indexOf(':'))));
        assertTrue(phases.containsAll(List.of("part", "fsync", "segment", "verify")), phases.toString());
        if (manifest(reference).get("releases").size() > 0) {
            assertTrue(phases.containsAll(List.of("release", "released")), phases.toString());
        }
        System.out.printf("%s: %d kills (%s), %.1f s: %s%n", c, kills.size(), phases, (System.nanoTime() - t0) / 1e9,
                kills);
    }

    /**
     * Where to kill next, from the manifest the last killed run left (null before the first run): inside every
     * release that is due (before its write and, for every other one, after it), else in the next segment (after
     * its first part the first time, before its fsync the second time, after it each time), else in the verify
     * (half-way), else inside the releases that wait for the verify; null when
     * every phase has had its kill and the save may finish.
     */
    private static final class Chain {
        private int segmentKills;
        private int verifyKills;
        private final java.util.Map<String, Integer> killedBefore = new java.util.HashMap<>();
        private final Set<String> killedAfter = new HashSet<>();

        String next(JsonNode manifest) {
            if (manifest == null) {
                segmentKills++;
                return "part:1";
            }
            List<JsonNode> segments = new ArrayList<>();
            manifest.get("segments").forEach(segments::add);
            boolean allDone = segments.stream().allMatch(s -> s.get("state").asText().equals("done"));
            // The next run makes the due releases in the manifest's order (a resumed one first, if the control
            // files show it still to do): the k-th of them is its k-th release.
            int k = 0;
            for (JsonNode r : manifest.get("releases")) {
                String what = r.get("what").asText();
                boolean due = !r.get("state").asText().equals("done") && !killedAfter.contains(what)
                        && (r.get("afterVerify").asBoolean() ? allDone && verifyKills >= 1 : dependsDone(r, segments));
                if (!due) {
                    continue;
                }
                k++;
                if (!killedBefore.containsKey(what)) {
                    killedBefore.put(what, killedBefore.size() + 1);
                    return "release:" + k;
                }
                // After the write too (then it is made, and the resumed run does not count it): the first release,
                // then every other one.
                int ordinal = killedBefore.get(what);
                if (ordinal == 1 || ordinal % 2 == 0) {
                    killedAfter.add(what);
                    return "released:" + k;
                }
            }
            if (!allDone) {
                segmentKills++;
                return segmentKills == 3 ? "fsync:1" : "segment:1";
            }
            if (verifyKills < 1) {
                verifyKills++;
                return "verify:" + Math.max(1, segments.size() / 2);
            }
            return null;
        }

        private static boolean dependsDone(JsonNode release, List<JsonNode> segments) {
            for (JsonNode i : release.get("dependsOn")) {
                if (!segments.get(i.asInt()).get("state").asText().equals("done")) {
                    return false;
                }
            }
            return true;
        }
    }

    /** Runs the save (a resume if {@code resume}) paused at {@code point}, kills it there: what it paused in. */
    private static String killAt(Case c, Mounted m, Path dump, String point, boolean resume) throws Exception {
        return killedAt(point, command(c, m, dump, resume));
    }

    /**
     * Runs {@code save} (a {@code bin/vmcorefs save ... ROOT OUTFILE} command) with {@code --debug-pause-at point},
     * waits until it says it paused there, and kills it with SIGKILL. Returns where it paused (the segment or
     * release it names).
     */
    static String killedAt(String point, List<String> save) throws Exception {
        List<String> cmd = new ArrayList<>(save);
        cmd.addAll(cmd.size() - 2, List.of("--debug-pause-at", point));
        Process p = new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        StringBuilder err = new StringBuilder();
        String paused = null;
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getErrorStream(), StandardCharsets.UTF_8))) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            String line;
            while (System.nanoTime() < deadline && (line = r.readLine()) != null) {
                err.append(line).append('\n');
                if (line.startsWith("vmcorefs save: paused at " + point.replace(':', ' ') + " (")) {
                    paused = line.replaceFirst(".*\\((.*), pid .*", "$1");
                    break;
                }
            }
            assertTrue(paused != null, "the save did not pause at " + point + ": " + err);
            // A real SIGKILL, from outside, while the save waits at that point.
            Exec.run(10, "kill", "-KILL", Long.toString(p.pid())).ok();
            assertTrue(p.waitFor(30, TimeUnit.SECONDS), "the killed save did not end");
        } finally {
            p.destroyForcibly();
        }
        assertEquals(137, p.exitValue(), "killed by SIGKILL: " + err);
        return paused;
    }

    private static List<String> command(Case c, Mounted m, Path dump, boolean resume) {
        List<String> cmd = new ArrayList<>(List.of(Mounted.LAUNCHER.toString(), "save", "--progress", "none"));
        cmd.addAll(List.of("--segment-size", c.segmentSize));
        if (resume) {
            cmd.add("--resume");
        }
        cmd.addAll(List.of(m.root.toString(), dump.toString()));
        return cmd;
    }

    private static Exec.Result run(Case c, Mounted m, Path dump, boolean resume) {
        return Exec.run(240, null, command(c, m, dump, resume));
    }

    private static JsonNode manifest(Path dump) throws IOException {
        return JSON.readTree(Files.readString(dump.resolveSibling(dump.getFileName() + ".manifest.json")));
    }

    /**
     * What the event log says was released so far, against the manifest on disk: every byte of the dump that
     * released memory held (the PT_LOAD parts of each released physical range, and the headers once anything
     * is released) lies in a segment recorded as done, and equals the uninterrupted save's; an invalidated dump
     * has every segment done.
     */
    private static void checkNothingUnsavedReleased(Mounted m, Path dump, Path reference, Loads loads, String point)
            throws IOException {
        JsonNode manifest = manifest(dump);
        List<long[]> done = new ArrayList<>();
        boolean allDone = true;
        for (JsonNode s : manifest.get("segments")) {
            if (s.get("state").asText().equals("done")) {
                done.add(new long[] {s.get("offset").asLong(), s.get("offset").asLong() + s.get("length").asLong()});
            } else {
                allDone = false;
            }
        }
        for (JsonNode e : m.stats().get("events")) {
            String kind = e.get("kind").asText();
            String detail = e.get("detail").asText();
            if (kind.equals("invalidate")) {
                assertTrue(allDone, "after the kill at " + point + ": " + detail + " with segments still to save");
            }
            if (!kind.equals("release")) {
                continue;
            }
            List<long[]> held = new ArrayList<>();
            held.add(new long[] {0, loads.headersEnd});
            Matcher r = RANGE.matcher(detail);
            while (r.find()) {
                held.addAll(loads.fileRanges(Long.parseUnsignedLong(r.group(1), 16),
                        Long.parseUnsignedLong(r.group(2), 16)));
            }
            for (long[] f : held) {
                assertTrue(covered(done, f[0], f[1]), String.format("after the kill at %s: '%s' released, but the "
                        + "dump's [0x%x, 0x%x) it held is not in segments recorded as done", point, detail, f[0], f[1]));
                assertTrue(sameBytes(reference, dump, f[0], f[1]), String.format("after the kill at %s: '%s' "
                        + "released, and the dump's [0x%x, 0x%x) on disk is not what it held", point, detail, f[0], f[1]));
            }
        }
    }

    private static boolean covered(List<long[]> done, long start, long end) {
        long at = start;
        boolean moved = true;
        while (at < end && moved) {
            moved = false;
            for (long[] d : done) {
                if (d[0] <= at && at < d[1]) {
                    at = d[1];
                    moved = true;
                }
            }
        }
        return at >= end;
    }

    private static boolean sameBytes(Path a, Path b, long start, long end) throws IOException {
        try (RandomAccessFile x = new RandomAccessFile(a.toFile(), "r");
                RandomAccessFile y = new RandomAccessFile(b.toFile(), "r")) {
            byte[] p = new byte[1 << 20];
            byte[] q = new byte[1 << 20];
            for (long at = start; at < end; ) {
                int n = (int) Math.min(p.length, end - at);
                x.seek(at);
                x.readFully(p, 0, n);
                y.seek(at);
                y.readFully(q, 0, n);
                if (!Arrays.equals(p, 0, n, q, 0, n)) {
                    return false;
                }
                at += n;
            }
        }
        return true;
    }

    /** The machine's events (releases, invalidation, registration), in order, without their sequence numbers. */
    private static List<String> releases(JsonNode stats) {
        List<String> out = new ArrayList<>();
        for (JsonNode e : stats.get("events")) {
            out.add(e.get("kind").asText() + " " + e.get("detail").asText());
        }
        return out;
    }

    /** What the machine looks like after the save: the dump file's presence, the control files, the stats. */
    private static String endState(Mounted m) throws IOException {
        StringBuilder s = new StringBuilder("vmcore " + Files.exists(m.path("proc/vmcore")));
        for (String f : List.of("sys/kernel/release_region", "sys/kernel/debug/zcore/hsa")) {
            if (Files.exists(m.path(f))) {
                s.append('\n').append(f).append(": ").append(Files.readString(m.path(f)).strip());
            }
        }
        JsonNode stats = m.stats();
        for (String node : List.of("firmwareDump")) {
            if (stats.hasNonNull(node)) {
                s.append('\n').append(node).append(": ").append(stats.get(node));
            }
        }
        if (stats.hasNonNull("savedArea")) {
            s.append("\nsavedArea released: ").append(stats.get("savedArea").get("released"));
        }
        return s.toString();
    }

    /** The PT_LOADs of an ELF64 core (either byte order): physical ranges to file ranges. */
    private record Loads(long headersEnd, List<long[]> loads) {
        static Loads of(Path core) throws IOException {
            try (RandomAccessFile f = new RandomAccessFile(core.toFile(), "r")) {
                byte[] h = new byte[64];
                f.readFully(h);
                ByteBuffer e = ByteBuffer.wrap(h).order(h[5] == 2 ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN);
                assertTrue(e.getInt(0) == (h[5] == 2 ? 0x7f454c46 : 0x464c457f) && h[4] == 2, core + ": not ELF64");
                long phoff = e.getLong(0x20);
                int phnum = Short.toUnsignedInt(e.getShort(0x38));
                byte[] p = new byte[56 * phnum];
                f.seek(phoff);
                f.readFully(p);
                ByteBuffer ph = ByteBuffer.wrap(p).order(e.order());
                List<long[]> loads = new ArrayList<>();
                long first = f.length();
                for (int i = 0; i < phnum; i++) {
                    int o = 56 * i;
                    if (ph.getInt(o) == 1) {
                        long offset = ph.getLong(o + 8);
                        loads.add(new long[] {ph.getLong(o + 24), ph.getLong(o + 32), offset}); // paddr, filesz, offset
                        first = Math.min(first, offset);
                    }
                }
                return new Loads(first, loads);
            }
        }

        /** The file ranges holding physical [start, end). */
        List<long[]> fileRanges(long start, long end) {
            List<long[]> out = new ArrayList<>();
            for (long[] l : loads) {
                long s = Math.max(start, l[0]);
                long e = Math.min(end, l[0] + l[1]);
                if (s < e) {
                    out.add(new long[] {l[2] + (s - l[0]), l[2] + (e - l[0])});
                }
            }
            return out;
        }
    }
}
