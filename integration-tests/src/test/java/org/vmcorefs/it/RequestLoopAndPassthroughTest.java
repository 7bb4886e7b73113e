package org.vmcorefs.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The libfuse 3 adapter's two request loops give the same bytes and counts (vmcorefs's own, the default, which
 * answers reads itself; and libfuse's, --libfuse-loop), and the jnr-fuse adapter beside them; and --passthrough
 * lets the kernel serve a replayed kdump vmcore from the dump file itself, uncounted, while files that are not
 * one backing file byte for byte stay vmcorefs's.
 */
class RequestLoopAndPassthroughTest {
    private static final long SIZE = 64L << 20;

    /** Reads of every kind of size and alignment: under two pages (copied), runs (spliced), across segments. */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"own loop", "--libfuse-loop", "--fuse 2"})
    void everyLoopReadsTheSameBytes(String loop, @TempDir Path tmp) throws Exception {
        Path image = tmp.resolve("memory.img");
        byte[] random = new byte[1 << 20];
        new Random(7).nextBytes(random);
        try (FileChannel ch = FileChannel.open(image, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            for (long at = 0; at < SIZE; at += random.length) {
                random[0] = (byte) (at >> 20);
                ch.write(ByteBuffer.wrap(random), at);
            }
        }
        String[] options = switch (loop) {
            case "own loop" -> new String[] {"--fuse", "3", "--image", image.toString()};
            case "--libfuse-loop" -> new String[] {"--fuse", "3", "--libfuse-loop", "--image", image.toString()};
            default -> new String[] {"--fuse", "2", "--image", image.toString()};
        };
        try (Mounted m = Mounted.mount(options)) {
            assertEquals(loop.equals("own loop") ? "vmcorefs" : loop.equals("--fuse 2") ? "jnr-fuse" : "libfuse",
                    m.stats().get("mount").get("requestLoop").asText());
            Path oldmem = m.path("dev/oldmem");
            Random r = new Random(11);
            long asked = 0;
            try (RandomAccessFile img = new RandomAccessFile(image.toFile(), "r");
                    FileChannel ch = FileChannel.open(oldmem, StandardOpenOption.READ)) {
                for (int i = 0; i < 300; i++) {
                    int len = switch (i % 4) {
                        case 0 -> 1 + r.nextInt(8192);
                        case 1 -> 4096 * (1 + r.nextInt(300));
                        case 2 -> 1 << 20;
                        default -> 3 * (1 << 20) + r.nextInt(4096);
                    };
                    // Above the 640 KiB that oldmem shows as the capture kernel's (RawImageReplayTest).
                    long at = 0xa0000 + (long) (r.nextDouble() * (SIZE - 0xa0000 - len));
                    ByteBuffer got = ByteBuffer.allocate(len);
                    while (got.hasRemaining() && ch.read(got, at + got.position()) > 0) {
                    }
                    byte[] want = new byte[len];
                    img.seek(at);
                    img.readFully(want);
                    assertArrayEquals(want, got.array(), loop + ": " + len + " bytes at " + at);
                    asked += len;
                }
                ByteBuffer end = ByteBuffer.allocate(4096);
                assertEquals(-1, ch.read(end, SIZE), "EOF at the end of /dev/oldmem");
            }
            JsonNode counted = m.stats().get("files").get("/dev/oldmem");
            assertTrue(counted.get("bytesRead").asLong() >= asked, loop + ": every read reached vmcorefs and was "
                    + "counted: " + counted + " for " + asked);
        }
    }

    /**
     * --passthrough on the genuine kdump vmcore: the kernel takes it (stats.json says so), /proc/vmcore is the
     * dump byte for byte, its reads are not counted, and a shared mmap works (passthrough maps the dump itself).
     * /dev/oldmem, whose low 640 KiB are the capture kernel's, is not one file's bytes and stays counted.
     */
    @Test
    void passthroughServesTheReplayedVmcoreFromTheDump() throws Exception {
        requirePassthrough();
        Path dump = Fixtures.dump(Fixtures.KDUMP_VMCORE);
        try (Mounted m = Mounted.mount("--passthrough", "--image", dump.toString())) {
            Path vmcore = m.path("proc/vmcore");
            assertEquals(-1, Files.mismatch(vmcore, dump), "/proc/vmcore is the dump");
            JsonNode pt = m.stats().get("mount").get("passthrough");
            assertTrue(pt.get("negotiated").asBoolean(), "the kernel agreed to passthrough: " + pt);
            assertEquals(dump.toString(), pt.get("files").path("/proc/vmcore").asText(), "served from the dump: " + pt);
            JsonNode files = m.stats().get("files");
            assertFalse(files.has("/proc/vmcore") && files.get("/proc/vmcore").get("bytesRead").asLong() > 0,
                    "the kernel served it, vmcorefs counted nothing: " + files.get("/proc/vmcore"));
            try (FileChannel ch = FileChannel.open(vmcore, StandardOpenOption.READ);
                    FileChannel d = FileChannel.open(dump, StandardOpenOption.READ)) {
                MappedByteBuffer map = ch.map(FileChannel.MapMode.READ_ONLY, 0x2000, 1 << 20);
                MappedByteBuffer want = d.map(FileChannel.MapMode.READ_ONLY, 0x2000, 1 << 20);
                assertEquals(want, map, "a shared mapping reads the dump");
            }
            byte[] low = m.read("dev/oldmem", 0, 8192);
            assertEquals(8192, low.length);
            assertTrue(m.stats().get("files").get("/dev/oldmem").get("bytesRead").asLong() >= 8192,
                    "/dev/oldmem is not one file's bytes: vmcorefs serves and counts it");
            assertFalse(pt.get("files").has("/dev/oldmem"), "/dev/oldmem not passed through: " + pt);
        }
    }

    /** A synthetic machine's files are no file's bytes: with --passthrough they are still vmcorefs's, counted. */
    @Test
    void passthroughLeavesSyntheticFilesToVmcorefs() throws Exception {
        requirePassthrough();
        try (Mounted m = Mounted.mount("--passthrough", "--memory", "1G")) {
            byte[] head = m.read("proc/vmcore", 0, 1 << 20);
            assertEquals(0x7f, head[0]);
            JsonNode pt = m.stats().get("mount").get("passthrough");
            assertTrue(pt.get("negotiated").asBoolean(), pt.toString());
            assertEquals(0, pt.get("files").size(), "nothing passed through: " + pt);
            assertTrue(m.stats().get("files").get("/proc/vmcore").get("bytesRead").asLong() >= 1 << 20);
            assertTrue(m.log().contains("/proc/vmcore: not served by passthrough"), "the log says why not");
        }
    }

    /** What --passthrough cannot be combined with is refused before anything is mounted (exit 2). */
    @Test
    void passthroughRefusesWhatItCannotWorkWith(@TempDir Path tmp) throws Exception {
        for (String other : new String[] {"--no-splice", "--libfuse-loop", "--multithreaded"}) {
            Exec.Result r = Mounted.mountFails(tmp, "--passthrough", other, "--memory", "1G");
            assertEquals(2, r.exit(), other + ": " + r.all());
            assertTrue(r.stderr().contains(other), "names " + other + ": " + r.all());
            assertFalse(Mounted.isMounted(tmp));
        }
    }

    private static void requirePassthrough() {
        Mounted.requireFuse();
        String eff = "";
        try {
            eff = Files.readAllLines(Path.of("/proc/self/status")).stream().filter(l -> l.startsWith("CapEff:"))
                    .findFirst().orElse("CapEff: 0").substring(7).trim();
        } catch (java.io.IOException e) {
            // falls through: no capability known
        }
        if ((Long.parseUnsignedLong(eff.isEmpty() ? "0" : eff, 16) & (1L << 21)) == 0) {
            Requirements.missing(Requirements.Skippable.FUSE, "CAP_SYS_ADMIN for FUSE passthrough",
                    "Run the tests as root (the kernel lets only CAP_SYS_ADMIN register a passthrough backing file)");
        }
    }

    /**
     * The default mount runs its read path first over an empty image of its own (the warm-up, so that the JIT is
     * done before the first read): that reads nothing of the mounted machine, neither its files nor its
     * hardware-saved area, and leaves no descriptor of its own open; --no-warm-up mounts without it.
     */
    @Test
    void theWarmUpReadsNothingOfTheMachineAndLeavesNothingOpen() throws Exception {
        int withWarmUp;
        try (Mounted m = Mounted.mount("--profile", "s390x-zfcpdump")) {
            JsonNode stats = m.stats();
            assertEquals(1000, stats.get("mount").get("warmUpReads").asInt(), stats.get("mount").toString());
            assertEquals(0, stats.get("files").size(), "no file was read: " + stats.get("files"));
            assertEquals(0, stats.get("savedArea").get("requests").asLong(), "the HSA was not fetched");
            long pid = stats.get("mount").get("pid").asLong();
            withWarmUp = descriptors(pid, true);
            // The machine's own bytes are still the first reads it sees.
            assertEquals(4096, m.read("proc/vmcore", 0, 4096).length);
            assertEquals(1, m.stats().get("files").get("/proc/vmcore").get("reads").asLong());
        }
        try (Mounted m = Mounted.mount("--profile", "s390x-zfcpdump", "--no-warm-up")) {
            JsonNode stats = m.stats();
            assertFalse(stats.get("mount").has("warmUpReads"), stats.get("mount").toString());
            assertEquals(descriptors(stats.get("mount").get("pid").asLong(), false), withWarmUp,
                    "the warm-up leaves no descriptor open");
        }
    }

    /** The daemon's open descriptors; fails if one of them is the warm-up's memfd (when {@code noMemfd}). */
    private static int descriptors(long pid, boolean noMemfd) throws java.io.IOException {
        int n = 0;
        try (var fds = Files.list(Path.of("/proc/" + pid + "/fd"))) {
            for (Path fd : (Iterable<Path>) fds::iterator) {
                String target;
                try {
                    target = Files.readSymbolicLink(fd).toString();
                } catch (java.io.IOException gone) {
                    continue; // the listing's own descriptor
                }
                assertFalse(noMemfd && target.contains("vmcorefs-warm-up"), "still open: " + target);
                n++;
            }
        }
        return n;
    }
}
