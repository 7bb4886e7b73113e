package org.vmcorefs.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.vmcorefs.machine.Architecture;
import org.vmcorefs.machine.CpuState;
import org.vmcorefs.machine.memory.SyntheticMemory;
import org.vmcorefs.machine.synthetic.SyntheticPowerSystem;

/**
 * The ppc64-phyp profile on a real mount: readelf and gdb-multiarch read the vmcore, and the documented
 * copy-and-release flow runs with cat, dd and echo until the dump is invalidated. Every byte copied is checked
 * against the model (SyntheticMemory), not against vmcorefs.
 */
class PowerPhypMountTest {
    private static final long SEED = 5;
    private static final double POPULATED = 0.5;
    private static final int CPUS = 3;
    private static final long GIB = 1L << 30;
    private static final long PIECE = 64L << 20;
    private static final int BLOCK = 65536;
    private static final Pattern LINE = Pattern.compile(
            "CPU:0x(\\p{XDigit}+)-0x(\\p{XDigit}+): HPTE:0x(\\p{XDigit}+)-0x(\\p{XDigit}+): "
                    + "DUMP:0x(\\p{XDigit}+)-0x(\\p{XDigit}+), 0x(\\p{XDigit}+)-0x(\\p{XDigit}+):\n");

    private final SyntheticMemory model = new SyntheticMemory(SEED, POPULATED);

    private static Mounted mount() throws Exception {
        return Mounted.mount("--profile", "ppc64-phyp", "--memory", "1G", "--cpus", String.valueOf(CPUS), "--seed",
                String.valueOf(SEED), "--populated", String.valueOf(POPULATED));
    }

    private static Exec.Result bash(String script) {
        return Exec.run(120, "bash", "-c", script);
    }

    /** The pairs of release_region as (address, length), read with cat. */
    private static List<long[]> pairs(Mounted m) {
        String line = Exec.run(30, "cat", m.path("sys/kernel/release_region").toString()).ok().stdout();
        Matcher x = LINE.matcher(line);
        assertTrue(x.matches(), line);
        List<long[]> out = new ArrayList<>();
        for (int i = 1; i <= 8; i += 2) {
            out.add(new long[] {Long.parseUnsignedLong(x.group(i), 16), Long.parseUnsignedLong(x.group(i + 1), 16)});
        }
        return out;
    }

    @Test
    void readelfAndGdbReadTheVmcoreAndBadWritesChangeNothing() throws Exception {
        try (Mounted m = mount()) {
            String vmcore = m.path("proc/vmcore").toString();
            String elf = Exec.run(60, "readelf", "-h", "-l", "-n", "-W", vmcore).ok().stdout();
            assertTrue(elf.contains("2's complement, big endian"), elf);
            assertTrue(elf.contains("PowerPC64"), elf);
            assertTrue(elf.contains("CORE (Core file)"), elf);
            assertEquals(CPUS, elf.split("NT_PRSTATUS", -1).length - 1, elf);
            assertTrue(elf.contains("VMCOREINFO"), elf);
            assertTrue(elf.matches("(?s).*LOAD +0x0*20000 0xc000000000000000 0x0+ 0x0*10000000 0x0*10000000 RWE.*"),
                    elf);
            assertTrue(elf.matches("(?s).*LOAD +0x0*10020000 0xc000000010000000 0x0*10000000 0x0*1ffe0000 "
                    + "0x0*1ffe0000 RWE.*"), elf);
            assertEquals(3, elf.split("\n *(NOTE|LOAD) ", -1).length - 1, elf);

            Requirements.tool("gdb-multiarch");
            List<CpuState> cpus = SyntheticPowerSystem.system(Architecture.PPC64, GIB, CPUS, model, Instant.EPOCH)
                    .cpus();
            String gdb = Exec.run(120, "gdb-multiarch", "-nx", "-batch", "-ex", "set architecture powerpc:common64",
                    "-ex", "core-file " + vmcore, "-ex", "info threads",
                    "-ex", "thread apply all info registers pc msr r1 r3 lr ctr trap",
                    "-ex", "x/2gx 0xc000000000001000", "-ex", "x/2gx 0xc000000012340000").all();
            assertEquals(CPUS, gdb.split("\n\\*? +\\d+ +LWP ", -1).length - 1, gdb);
            for (CpuState cpu : cpus) {
                int lwp = cpu.index() + 1;
                Matcher t = Pattern.compile("(?s)Thread \\d+ \\(LWP " + lwp + "\\):\n(.*?)(\n\n|\n0x|\\z)")
                        .matcher(gdb);
                assertTrue(t.find(), "no registers of LWP " + lwp + " in\n" + gdb);
                String regs = t.group(1);
                for (String[] r : new String[][] {{"pc", "nip"}, {"msr", "msr"}, {"r1", "r1"}, {"r3", "r3"},
                        {"lr", "link"}, {"ctr", "ctr"}, {"trap", "trap"}}) {
                    Matcher v = Pattern.compile("(?m)^" + r[0] + " +0x(\\p{XDigit}+)").matcher(regs);
                    assertTrue(v.find(), r[0] + " of LWP " + lwp + " in\n" + regs);
                    assertEquals(cpu.get(r[1]), Long.parseUnsignedLong(v.group(1), 16), r[0] + " of LWP " + lwp);
                }
            }
            for (long phys : new long[] {0x1000, 0x12340000L}) {
                Matcher x = Pattern.compile(String.format("0x%x:\\s+0x(\\p{XDigit}{16})", 0xc000000000000000L | phys))
                        .matcher(gdb);
                assertTrue(x.find(), gdb);
                assertEquals(beLong(phys), Long.parseUnsignedLong(x.group(1), 16), gdb);
            }

            // The hypervisor's dump header in the device tree names the same areas as release_region.
            String od = Exec.run(30, "od", "-An", "-v", "-tx1", m.path("proc/device-tree/rtas/ibm,kernel-dump")
                    .toString()).ok().stdout().replaceAll("\\s+", "");
            assertEquals(0xa0 * 2, od.length(), od);
            List<long[]> pairs = pairs(m);
            for (int section = 0; section < 3; section++) {
                int at = (0x28 + 0x28 * section) * 2;
                assertEquals(pairs.get(section)[0], Long.parseUnsignedLong(od.substring(at + 0x40, at + 0x50), 16));
                assertEquals(pairs.get(section)[1], Long.parseUnsignedLong(od.substring(at + 0x30, at + 0x40), 16));
            }

            // Not two numbers: EINVAL. What the kernel silently corrects and that releases nothing here
            // (a wrapped 65-bit start, a range above the reserved memory): accepted, warned about, counted.
            String before = Exec.run(30, "cat", m.path("sys/kernel/release_region").toString()).ok().stdout();
            String rr = m.path("sys/kernel/release_region").toString();
            for (String b : new String[] {"hello", "0x10000000"}) {
                Exec.Result r = bash("echo '" + b + "' > " + rr);
                assertEquals(1, r.exit(), b + ": " + r.all());
                assertTrue(r.stderr().contains("Invalid argument"), b + ": " + r.stderr());
            }
            for (String b : new String[] {"0x1ffffffffffffffff 0x10000", "0x40000000 0x10000"}) {
                Exec.Result r = bash("echo '" + b + "' > " + rr);
                assertEquals(0, r.exit(), b + ": the kernel accepts it: " + r.all());
            }
            assertEquals(2, m.stats().get("toleratedInputs").asLong());
            assertEquals(before, Exec.run(30, "cat", rr).ok().stdout());
            JsonNode fw = m.stats().get("firmwareDump");
            assertEquals(0, fw.get("released").size(), fw.toString());
            assertTrue(fw.get("dumpActive").asBoolean());
            assertEquals(2, m.stats().get("events").size(), "only the two tolerated inputs");
        }
    }

    @Test
    void strictRefusesWhatTheKernelWouldSilentlyCorrect() throws Exception {
        try (Mounted m = Mounted.mount("--profile", "ppc64-phyp", "--memory", "1G", "--cpus", "2", "--strict")) {
            String rr = m.path("sys/kernel/release_region").toString();
            String before = Exec.run(30, "cat", rr).ok().stdout();
            for (String b : new String[] {"hello", "0x10000000", "0x1ffffffffffffffff 0x10000", "0x10000100 0x10000",
                "0x3fff0000 0x20000", "0x40000000 0x10000", "0x10000000 0x10000 junk"}) {
                Exec.Result r = bash("echo '" + b + "' > " + rr);
                assertEquals(1, r.exit(), b + ": " + r.all());
                assertTrue(r.stderr().contains("Invalid argument"), b + ": " + r.stderr());
            }
            assertEquals(before, Exec.run(30, "cat", rr).ok().stdout());
            assertEquals(0, m.stats().get("firmwareDump").get("released").size());
            assertEquals(0, m.stats().get("events").size());
            assertEquals(0, m.stats().get("toleratedInputs").asLong());
        }
    }

    /** The big-endian u64 at {@code phys} of the crashed system's memory, as the model defines it. */
    private long beLong(long phys) {
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v = (v << 8) | (model.byteAt(phys + i) & 0xff);
        }
        return v;
    }

    @Test
    void copyAndReleasePieceByPieceUntilTheDumpIsInvalidated() throws Exception {
        try (Mounted m = mount()) {
            Path work = Files.createTempDirectory("phyp-copy");
            try {
                copyAndRelease(m, work);
            } finally {
                try (var s = Files.list(work)) {
                    s.forEach(p -> p.toFile().delete());
                }
                Files.deleteIfExists(work);
            }
        }
    }

    private void copyAndRelease(Mounted m, Path work) throws Exception {
        String vmcore = m.path("proc/vmcore").toString();
        String rr = m.path("sys/kernel/release_region").toString();
        // The headers and notes first: they tell where each physical range lies in the file.
        Path head = work.resolve("head");
        bash("dd if=" + vmcore + " of=" + head + " bs=" + BLOCK + " count=2 status=none").ok();
        ByteBuffer h = ByteBuffer.wrap(Files.readAllBytes(head)).order(ByteOrder.BIG_ENDIAN);
        assertEquals(0x7f454c46, h.getInt(0));
        int phnum = h.getShort(0x38);
        List<long[]> loads = new ArrayList<>();
        for (int i = 1; i < phnum; i++) {
            int at = 64 + 56 * i;
            loads.add(new long[] {h.getLong(at + 0x18), h.getLong(at + 0x20), h.getLong(at + 0x08)});
        }
        List<long[]> first = pairs(m);
        long copyStart = first.get(2)[0];
        assertEquals(0x10000000L, first.get(2)[1]);
        long copied = 0;
        int releases = 0;
        SplittableRandom random = new SplittableRandom(3);
        while (true) {
            List<long[]> now = pairs(m);
            int which = -1;
            for (int i = 0; i < now.size(); i++) {
                if (now.get(i)[1] != 0) {
                    which = i;
                    break;
                }
            }
            if (which < 0) {
                break;
            }
            long address = now.get(which)[0];
            long length = Math.min(PIECE, now.get(which)[1]);
            if (which >= 2) {
                // DUMP holds the boot memory's copy (physical 0..256 MiB of the dump); the rest lies in place.
                long phys = which == 2 ? address - copyStart : address;
                long offset = fileOffset(loads, phys, length);
                Path piece = work.resolve("piece");
                bash(String.format("dd if=%s of=%s bs=%d skip=%d count=%d status=none", vmcore, piece, BLOCK,
                        offset / BLOCK, length / BLOCK)).ok();
                check(piece, phys, length, random);
                copied += length;
                Files.delete(piece);
            }
            bash(String.format("echo \"0x%x 0x%x\" > %s", address, length, rr)).ok();
            releases++;
            if (which >= 2 && m.path("proc/vmcore").toFile().exists()) {
                long offset = fileOffset(loads, which == 2 ? address - copyStart : address, length);
                Exec.Result gone = bash(String.format("dd if=%s of=/dev/null bs=%d skip=%d count=1 status=none",
                        vmcore, BLOCK, offset / BLOCK));
                assertNotEquals(0, gone.exit(), "a released range must not read");
                assertTrue(gone.stderr().contains("Input/output error"), gone.stderr());
            }
        }
        assertEquals(0x10000000L + 0x1ffe0000L, copied);
        assertEquals(1 + 1 + 4 + 8, releases);
        for (long[] p : pairs(m)) {
            assertArrayEquals(new long[] {0, 0}, p);
        }
        Exec.Result open = bash("dd if=" + vmcore + " of=/dev/null bs=4096 count=1 status=none");
        assertNotEquals(0, open.exit());
        assertTrue(open.stderr().contains("No such file or directory"), open.stderr());
        // The kernel may keep the name in its dentry cache for FUSE's entry timeout (1 s); then it is gone.
        for (int i = 0; i < 30 && Files.exists(m.path("proc/vmcore")); i++) {
            Thread.sleep(100);
        }
        assertFalse(Files.exists(m.path("proc/vmcore")), "the invalidated dump has no vmcore");
        JsonNode stats = m.stats();
        JsonNode fw = stats.get("firmwareDump");
        assertFalse(fw.get("dumpActive").asBoolean(), fw.toString());
        assertTrue(fw.get("registered").asBoolean(), fw.toString());
        assertEquals(GIB - 0x10000000L, fw.get("releasedBytes").asLong());
        assertEquals(0, fw.get("stillReservedBytes").asLong());
        JsonNode saved = stats.get("savedArea");
        assertTrue(saved.get("released").asBoolean());
        assertTrue(saved.get("blocks").asLong() >= 0x10000000L / BLOCK, saved.toString());
        List<String> kinds = new ArrayList<>();
        for (JsonNode e : stats.get("events")) {
            kinds.add(e.get("kind").asText());
        }
        assertEquals(List.of("invalidate", "register"), kinds.subList(kinds.size() - 2, kinds.size()));
        assertEquals(releases + 1, kinds.stream().filter("release"::equals).count(), kinds.toString());
    }

    private static long fileOffset(List<long[]> loads, long phys, long length) {
        for (long[] l : loads) {
            if (phys >= l[0] && phys + length <= l[0] + l[1]) {
                return l[2] + phys - l[0];
            }
        }
        throw new AssertionError("no PT_LOAD holds 0x" + Long.toHexString(phys));
    }

    /** The piece equals the model: in bulk, and byte by byte (SyntheticMemory.byteAt) in sampled windows. */
    private void check(Path piece, long phys, long length, SplittableRandom random) throws Exception {
        byte[] got = Files.readAllBytes(piece);
        assertEquals(length, got.length);
        ByteBuffer want = ByteBuffer.allocate(got.length);
        model.read(phys, want);
        assertArrayEquals(want.array(), got, "piece at 0x" + Long.toHexString(phys));
        for (int w = 0; w < 16; w++) {
            int at = w == 0 ? 0 : w == 1 ? got.length - 4096 : random.nextInt(got.length - 4096);
            for (int i = at; i < at + 4096; i++) {
                if (got[i] != model.byteAt(phys + i)) {
                    throw new AssertionError(String.format("byte at physical 0x%x", phys + i));
                }
            }
        }
    }
}
