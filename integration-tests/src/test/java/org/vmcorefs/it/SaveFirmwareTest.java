package org.vmcorefs.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code vmcorefs save} on the machines whose memory is released (s390x-zfcpdump, ppc64-phyp, fadump), with
 * injected SCLP and hypervisor failures: the saved dump equals a fault-free mount of the same machine, clients
 * open it, and the machine's events show every release after the saved area's last request.
 */
class SaveFirmwareTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String[] S390 = {"--profile", "s390x-zfcpdump", "--memory", "256M", "--cpus", "3", "--seed",
        "7", "--hsa-size", "32M"};
    private static final String[] PHYP = {"--profile", "ppc64-phyp", "--memory", "768M", "--cpus", "2", "--seed", "3"};
    private static final String[] FADUMP = {"--profile", "ppc64le-fadump", "--memory", "768M", "--cpus", "2", "--seed",
        "4"};

    @TempDir
    Path out;

    private static Exec.Result save(String... args) {
        List<String> cmd = new ArrayList<>(List.of(Mounted.LAUNCHER.toString(), "save", "--progress", "none"));
        cmd.addAll(List.of(args));
        return Exec.run(240, null, cmd);
    }

    private static String[] with(String[] machine, String... extra) {
        List<String> o = new ArrayList<>(List.of(machine));
        o.addAll(List.of(extra));
        return o.toArray(new String[0]);
    }

    private static void assertSameBytes(Path expected, Path actual) {
        Exec.Result r = Exec.run(120, "cmp", expected.toString(), actual.toString());
        assertEquals(0, r.exit(), "cmp " + expected + " " + actual + ": " + r.all());
    }

    /** The sequence numbers of the machine's events of {@code kind} whose detail contains {@code detail}. */
    private static List<Long> events(JsonNode stats, String kind, String detail) {
        List<Long> out = new ArrayList<>();
        for (JsonNode e : stats.get("events")) {
            if (e.get("kind").asText().equals(kind) && e.get("detail").asText().contains(detail)) {
                out.add(e.get("sequence").asLong());
            }
        }
        return out;
    }

    private static String sha256(Path file, long length) throws Exception {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        try (InputStream in = Files.newInputStream(file)) {
            byte[] b = new byte[1 << 20];
            for (long left = length; left > 0; ) {
                int n = in.read(b, 0, (int) Math.min(b.length, left));
                if (n < 0) {
                    break;
                }
                md.update(b, 0, n);
                left -= n;
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }

    private static boolean hasLibkdumpfile() {
        return Exec.run(30, "/usr/bin/python3", "-c", "import kdumpfile").exit() == 0;
    }

    private Path probe() throws Exception {
        Path p = out.resolve("kdumpfile_probe.py");
        try (InputStream in = SaveFirmwareTest.class.getResourceAsStream("/kdumpfile_probe.py")) {
            Files.copy(in, p);
        }
        return p;
    }

    @Test
    void s390ReleasesTheHsaAfterItsLastSclpRequestAndBothFormatsEqualTheMachine() throws Exception {
        Path elf = out.resolve("vmcore");
        try (Mounted faulty = Mounted.mount(with(S390, "--saved-area-fail-rate", "0.05", "--fault-seed", "3"))) {
            Exec.Result r = save("--retries", "16", "--retry-delay", "1", "--segment-size", "16M",
                    faulty.root.toString(), elf.toString()).ok();
            assertTrue(r.stderr().contains("released HSA"), r.all());
            JsonNode stats = faulty.stats();
            JsonNode hsa = stats.get("savedArea");
            assertTrue(hsa.get("failures").asLong() > 0, "SCLP failures were injected: " + hsa);
            assertTrue(hsa.get("released").asBoolean());
            List<Long> releases = events(stats, "release", "HSA");
            assertEquals(1, releases.size(), stats.get("events").toString());
            assertTrue(hsa.get("lastRequestSequence").asLong() < releases.get(0),
                    "no SCLP request after the release: " + hsa + " " + releases);
            assertEquals("0", Files.readString(faulty.path("sys/kernel/debug/zcore/hsa")).strip());
        }
        Path s390 = out.resolve("dump.s390");
        try (Mounted clean = Mounted.mount(S390)) {
            assertSameBytes(clean.path("proc/vmcore"), elf);
            // The mount's complete s390 dump, but for its end marker's TOD (a copy ends when it ends).
            Path complete = clean.path(".vmcorefs/s390.dump");
            long size = Files.size(complete);
            String expected = sha256(complete, size - 8);
            save("--format", "s390", clean.root.toString(), s390.toString()).ok();
            assertEquals(size, Files.size(s390));
            assertEquals(expected, sha256(s390, size - 8));
            assertEquals("0", Files.readString(clean.path("sys/kernel/debug/zcore/hsa")).strip());
        }
        String headers = Exec.run(60, "readelf", "-h", "-l", elf.toString()).ok().stdout();
        assertTrue(headers.contains("IBM S/390") && headers.contains("CORE (Core file)"), headers);
        if (hasLibkdumpfile()) {
            Path p = probe();
            JsonNode e = JSON.readTree(Exec.run(60, "/usr/bin/python3", p.toString(), elf.toString(), "100000:16").ok()
                    .stdout());
            JsonNode d = JSON.readTree(Exec.run(60, "/usr/bin/python3", p.toString(), s390.toString(), "100000:16").ok()
                    .stdout());
            assertEquals("elf", e.get("format").asText());
            assertEquals("s390dump", d.get("format").asText());
            assertEquals("s390x", d.get("arch").asText());
            assertEquals(e.get("reads").get("100000").asText(), d.get("reads").get("100000").asText());
        }
    }

    @Test
    void aPermanentReadErrorStopsTheSaveResumablyAndReleasesNothing() throws Exception {
        Path dump = out.resolve("vmcore");
        try (Mounted m = Mounted.mount(S390)) {
            // Killed (SIGKILL) in its third segment: the HSA part is not all saved, the HSA not released.
            SaveKillTest.killedAt("part:3", List.of(Mounted.LAUNCHER.toString(), "save", "--progress", "none",
                    "--segment-size", "8M", m.root.toString(), dump.toString()));
            assertEquals("2000000", Files.readString(m.path("sys/kernel/debug/zcore/hsa")).strip());
            // Someone releases the HSA by hand: what is left of it can no longer be read (ENODATA: not retried).
            Files.writeString(m.path("sys/kernel/debug/zcore/hsa"), "0");
            Exec.Result resumed = save("--resume", "--retries", "3", "--retry-delay", "1", m.root.toString(),
                    dump.toString());
            assertEquals(11, resumed.exit(), resumed.all());
            assertTrue(resumed.stderr().contains(m.path("proc/vmcore").toString()) && resumed.stderr().contains("ENODATA")
                    && resumed.stderr().contains("a permanent error") && resumed.stderr().contains("--resume"),
                    resumed.all());
            JsonNode manifest = JSON.readTree(Files.readString(out.resolve("vmcore.manifest.json")));
            assertEquals("pending", manifest.get("releases").get(0).get("state").asText());
            assertEquals(1, events(m.stats(), "release", "HSA").size(), "only the release by hand");
        }
    }

    @Test
    void phypReleasesEveryRangeOnlyAfterSavingItAndTheDumpIsRearmed() throws Exception {
        Path dump = out.resolve("vmcore");
        try (Mounted faulty = Mounted.mount(with(PHYP, "--saved-area-fail-rate", "0.05", "--fault-seed", "9"))) {
            String before = Files.readString(faulty.path("sys/kernel/release_region"));
            save("--retries", "16", "--retry-delay", "1", "--segment-size", "32M", faulty.root.toString(),
                    dump.toString()).ok();
            JsonNode stats = faulty.stats();
            JsonNode area = stats.get("savedArea");
            assertTrue(area.get("failures").asLong() > 0, "hypervisor failures were injected: " + area);
            JsonNode fw = stats.get("firmwareDump");
            assertFalse(fw.get("dumpActive").asBoolean(), fw.toString());
            assertTrue(fw.get("registered").asBoolean(), "re-armed: " + fw);
            assertEquals(0, fw.get("stillReservedBytes").asLong());
            // The hypervisor's copy of the low memory went back only after its last request.
            List<Long> copyGone = events(stats, "release", "boot memory copy");
            assertEquals(1, copyGone.size());
            assertTrue(area.get("lastRequestSequence").asLong() < copyGone.get(0), area + " " + copyGone);
            // Chunk by chunk, not in one go.
            assertTrue(events(stats, "release", "newly released").size() > 10, stats.get("events").toString());
            assertEquals(1, events(stats, "register", "").size());
            assertTrue(before.startsWith("CPU:0x"), before);
            assertEquals("CPU:0x0-0x0: HPTE:0x0-0x0: DUMP:0x0-0x0, 0x0-0x0:",
                    Files.readString(faulty.path("sys/kernel/release_region")).strip());
        }
        try (Mounted clean = Mounted.mount(PHYP)) {
            assertSameBytes(clean.path("proc/vmcore"), dump);
        }
        String headers = Exec.run(60, "readelf", "-h", "-l", dump.toString()).ok().stdout();
        assertTrue(headers.contains("PowerPC64") && headers.contains("CORE (Core file)"), headers);
    }

    @Test
    void fadumpReleasesItsMemoryOnlyOnceEverythingIsSavedAndVerified() throws Exception {
        Path dump = out.resolve("vmcore");
        try (Mounted clean = Mounted.mount(FADUMP)) {
            Path vmcore = clean.path("proc/vmcore");
            long size = Files.size(vmcore);
            String expected = sha256(vmcore, size);
            Exec.Result r = save(clean.root.toString(), dump.toString()).ok();
            assertTrue(r.stderr().contains("verified") && r.stderr().contains("1 release(s)"), r.all());
            assertFalse(Files.exists(vmcore), "release_mem removes /proc/vmcore");
            JsonNode stats = clean.stats();
            assertEquals(1, events(stats, "invalidate", "").size(), stats.get("events").toString());
            assertEquals(size, Files.size(dump));
            assertEquals(expected, sha256(dump, size));
        }
        String headers = Exec.run(60, "readelf", "-h", "-l", dump.toString()).ok().stdout();
        assertTrue(headers.contains("PowerPC64") && headers.contains("CORE (Core file)"), headers);
    }
}
