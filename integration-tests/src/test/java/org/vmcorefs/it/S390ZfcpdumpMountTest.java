package org.vmcorefs.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vmcorefs.machine.CpuState;
import org.vmcorefs.machine.MemoryRange;

/**
 * The s390x-zfcpdump profile on real mounts: readelf, gdb-multiarch and libkdumpfile read the dumps, a
 * zfcpdump-style capture copies zcore/mem with dd and releases the HSA, failing SCLP requests fail only
 * HSA reads, and the complete dump replays as the same machine. Every byte and register is checked
 * against {@link S390Model}, not against vmcorefs.
 */
class S390ZfcpdumpMountTest {
    static final long MIB = 1L << 20;
    static final String PY = "/usr/bin/python3";
    static final String[] MACHINE = {"--profile", "s390x-zfcpdump", "--memory", "256M", "--cpus", "3", "--seed", "7",
        "--hsa-size", "32M"};
    private static final ObjectMapper JSON = new ObjectMapper();

    static String[] options(String... extra) {
        List<String> o = new ArrayList<>(List.of(MACHINE));
        o.addAll(List.of(extra));
        return o.toArray(new String[0]);
    }

    static Path script(Path dir, String resource) throws IOException {
        Path p = dir.resolve(resource);
        try (InputStream in = S390ZfcpdumpMountTest.class.getResourceAsStream("/" + resource)) {
            Files.copy(in, p);
        }
        return p;
    }

    /** Physical addresses worth reading: HSA start, a lowcore, HSA's last page, above the HSA, the second range. */
    static List<long[]> probes(S390Model model) {
        List<long[]> p = new ArrayList<>();
        p.add(new long[] {0, 4096});
        p.add(new long[] {0xc00000, 4096}); // the VMCOREINFO note
        p.add(new long[] {model.cpus.get(0).get("prefix") + 0x1200, 0x200});
        p.add(new long[] {model.cpus.get(1).get("prefix") + 0x1200, 0x200});
        p.add(new long[] {32 * MIB - 4096, 8192});
        p.add(new long[] {100 * MIB + 123, 5000});
        p.add(new long[] {model.ram().get(1).start() + 7 * MIB, 4096});
        return p;
    }

    JsonNode probe(Path helper, Path dump, S390Model model) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(PY, helper.toString(), dump.toString()));
        for (long[] p : probes(model)) {
            cmd.add(Long.toHexString(p[0]) + ":" + p[1]);
        }
        return JSON.readTree(Exec.run(120, null, cmd).ok().stdout());
    }

    void checkReads(JsonNode out, S390Model model, String what) {
        for (long[] p : probes(model)) {
            assertEquals(model.hex(p[0], (int) p[1]), out.get("reads").get(Long.toHexString(p[0])).asText(),
                    what + " at 0x" + Long.toHexString(p[0]));
        }
    }

    void checkCpus(JsonNode out, S390Model model, String what) {
        assertEquals(model.cpus.size(), out.get("cpus").size(), what);
        for (int i = 0; i < model.cpus.size(); i++) {
            CpuState c = model.cpus.get(i);
            JsonNode regs = out.get("cpus").get(i).get("regs");
            assertEquals(i + 1, out.get("cpus").get(i).get("pid").asInt(), what + " pid");
            assertEquals(Long.toHexString(c.get("psw_mask")), regs.get("pswm").asText(), what + " CPU " + i);
            assertEquals(Long.toHexString(c.get("psw_addr")), regs.get("pswa").asText(), what + " CPU " + i);
            for (int r = 0; r < 16; r++) {
                assertEquals(Long.toHexString(c.get("r" + r)), regs.get("r" + r).asText(), what + " CPU " + i + " r" + r);
            }
            assertEquals(Long.toHexString(c.get("a3")), regs.get("a3").asText(), what + " CPU " + i + " a3");
        }
    }

    @Test
    void clientsReadTheDumpsAndTheCompleteDumpReplays(@TempDir Path tmp) throws Exception {
        S390Model model = new S390Model(256 * MIB, 3, 7, 32 * MIB);
        Path helper = script(tmp, "kdumpfile_probe.py");
        Path copy = tmp.resolve("copy.s390");
        try (Mounted m = Mounted.mount(options())) {
            Path vmcore = m.path("proc/vmcore");
            String notes = Exec.run(60, "readelf", "-n", vmcore.toString()).ok().stdout();
            // Every note is named by readelf but VMCOREINFO (type 0), which it calls an unknown note type.
            assertEquals(1, count(notes, "Unknown note"), notes);
            assertEquals(1, count(notes, "NT_PRPSINFO"));
            for (String n : List.of("NT_PRSTATUS", "NT_FPREGSET", "NT_S390_TIMER", "NT_S390_TODCMP", "NT_S390_TODPREG",
                    "NT_S390_CTRS", "NT_S390_PREFIX", "NT_S390_VXRS_HIGH", "NT_S390_VXRS_LOW")) {
                assertEquals(3, count(notes, n + " "), n + " per CPU\n" + notes);
            }
            assertEquals(1, count(notes, "VMCOREINFO"), notes);
            String headers = Exec.run(60, "readelf", "-h", "-l", vmcore.toString()).ok().stdout();
            assertTrue(headers.contains("big endian") && headers.contains("IBM S/390"), headers);
            assertEquals(2, count(headers, "LOAD"), headers);

            String gdb = Exec.run(120, "gdb-multiarch", "-batch", "-nx", "-ex", "set architecture s390:64-bit", "-ex",
                    "core-file " + vmcore, "-ex", "info threads", "-ex",
                    "thread apply all info registers pswm pswa r2 r15").ok().stdout();
            Matcher t = Pattern.compile("Thread (\\d+) \\(LWP (\\d+)\\)").matcher(gdb);
            int threads = 0;
            while (t.find()) {
                int lwp = Integer.parseInt(t.group(2));
                String block = gdb.substring(t.end(), Math.min(gdb.length(), t.end() + 400));
                CpuState c = model.cpus.get(lwp - 1);
                for (String[] reg : new String[][] {{"pswm", "psw_mask"}, {"pswa", "psw_addr"}, {"r2", "r2"},
                    {"r15", "r15"}}) {
                    Matcher v = Pattern.compile("(?m)^" + reg[0] + "\\s+0x([0-9a-f]+)").matcher(block);
                    assertTrue(v.find(), reg[0] + " in\n" + block);
                    assertEquals(Long.toHexString(c.get(reg[1])), v.group(1), "gdb LWP " + lwp + " " + reg[0]);
                }
                threads++;
            }
            assertEquals(3, threads, gdb);

            JsonNode elf = probe(helper, vmcore, model);
            assertEquals("elf", elf.get("format").asText());
            assertEquals("s390x", elf.get("arch").asText());
            assertEquals("6.1.0-vmcorefs-synthetic", elf.get("osrelease").asText(), "VMCOREINFO");
            checkCpus(elf, model, "vmcore");
            checkReads(elf, model, "vmcore");

            Path complete = m.path(".vmcorefs/s390.dump");
            JsonNode s390 = probe(helper, complete, model);
            assertEquals("s390dump", s390.get("format").asText());
            assertEquals("s390x", s390.get("arch").asText());
            checkReads(s390, model, "complete dump");
            Exec.run(120, "cp", complete.toString(), copy.toString()).ok();
        }
        // The copied complete dump, replayed: the same CPUs from the lowcores, the same memory.
        try (Mounted r = Mounted.mount("--profile", "s390x-zfcpdump", "--image", copy.toString(), "--hsa-size", "32M")) {
            JsonNode elf = probe(helper, r.path("proc/vmcore"), model);
            checkCpus(elf, model, "replayed vmcore");
            assertEquals("6.1.0-vmcorefs-synthetic", elf.get("osrelease").asText(), "VMCOREINFO from the lowcore");
            checkReads(elf, model, "replayed vmcore");
        }
    }

    static int count(String text, String what) {
        return text.split(Pattern.quote(what), -1).length - 1;
    }

    static final String CAPTURE = String.join("\n",
            "set -eu",
            "Z=$1/sys/kernel/debug/zcore; OUT=$2",
            "map=$(cat $Z/memmap)",
            "exec 3< $Z/mem", // one open for the whole copy: its close releases the HSA
            "dd bs=4096 count=1 of=$OUT status=none <&3",
            "cur=4096",
            "set -- $map",
            "while [ $# -ge 2 ]; do",
            "  start=$((16#$1)); size=$((16#$2)); shift 2",
            "  off=$((start + 4096))",
            // dd skips on its (shared) standard input with lseek(SEEK_CUR): skip relative to where we are.
            "  dd bs=1M iflag=skip_bytes,count_bytes skip=$((off - cur)) count=$size of=$OUT oflag=seek_bytes "
                    + "seek=$off conv=notrunc status=none <&3",
            "  cur=$((off + size))",
            "done",
            "exec 3<&-",
            "");

    static final String ERRNO = String.join("\n",
            "import os, sys",
            "path, off, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])",
            "try:",
            "    fd = os.open(path, os.O_RDONLY)",
            "    data = os.pread(fd, n, off)",
            "    os.close(fd)",
            "    print('ok', data.hex())",
            "except OSError as e:",
            "    print('errno', e.errno)",
            "");

    String pread(Path file, long offset, int length) {
        return Exec.run(60, PY, "-c", ERRNO, file.toString(), Long.toString(offset), Integer.toString(length)).ok()
                .stdout().trim();
    }

    static long firstLoadOffset(Path vmcore) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(vmcore.toFile(), "r")) {
            byte[] h = new byte[64 + 56 * 2];
            f.readFully(h);
            return ByteBuffer.wrap(h).getLong(64 + 56 + 8); // phdr[1].p_offset, big-endian
        }
    }

    @Test
    void zfcpdumpStyleCaptureThenReleaseThenReipl(@TempDir Path tmp) throws Exception {
        S390Model model = new S390Model(256 * MIB, 3, 7, 32 * MIB);
        Path out = tmp.resolve("dump.s390");
        try (Mounted m = Mounted.mount(options())) {
            Path z = m.path("sys/kernel/debug/zcore");
            assertEquals("2000000\n", Files.readString(z.resolve("hsa")));
            assertEquals(String.format("%016x %016x %016x %016x ", 0, 192 * MIB, 256 * MIB, 64 * MIB),
                    Files.readString(z.resolve("memmap")));
            Exec.run(300, null, List.of("bash", "-c", CAPTURE, "capture", m.root.toString(), out.toString())).ok();

            byte[] header = new byte[4096];
            try (RandomAccessFile f = new RandomAccessFile(out.toFile(), "r")) {
                f.readFully(header);
                ByteBuffer h = ByteBuffer.wrap(header);
                assertEquals(0xa8190173618f23fdL, h.getLong(0), "magic");
                assertEquals(5, h.getInt(8), "version");
                assertEquals(256 * MIB, h.getLong(0x18), "mem_size: the RAM's size");
                assertEquals(320 * MIB, h.getLong(0x28), "mem_end: the end of RAM");
                assertEquals(2, h.getInt(0x48), "arch s390x");
                assertEquals(3, h.getShort(0x5d), "cpu_cnt");
                assertEquals(model.cpus.get(0).get("prefix"), h.getInt(0x800), "boot CPU's lowcore first");
                byte[] got = new byte[1 << 20];
                for (MemoryRange r : model.ram()) {
                    for (long a = r.start(); a < r.end(); a += got.length) {
                        f.seek(4096 + a);
                        f.readFully(got);
                        if (!java.util.Arrays.equals(model.bytes(a, got.length), got)) {
                            assertArrayEquals(model.bytes(a, got.length), got, "captured memory at 0x" + Long.toHexString(a));
                        }
                    }
                }
            }
            JsonNode hsa = m.stats().get("savedArea");
            assertEquals(8192, hsa.get("blocks").asLong(), "every HSA block fetched once: " + hsa);
            assertEquals(8192, hsa.get("requests").asLong(), "and requested once: " + hsa);
            assertEquals(0, hsa.get("failures").asLong());

            // zcore/mem's close released the HSA (FUSE delivers the release just after close returns).
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (!Files.readString(z.resolve("hsa")).equals("0\n") && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertEquals("0\n", Files.readString(z.resolve("hsa")));
            Exec.run(30, "sh", "-c", "echo 0 > " + z.resolve("hsa")).ok();
            assertEquals("errno 61", pread(z.resolve("mem"), 0, 16), "zcore/mem: ENODATA once released");
            Path vmcore = m.path("proc/vmcore");
            long load = firstLoadOffset(vmcore);
            assertEquals("errno 61", pread(vmcore, load + 4096, 4096), "HSA part of /proc/vmcore: ENODATA");
            assertEquals("ok " + model.hex(40 * MIB, 4096), pread(vmcore, load + 40 * MIB, 4096), "above the HSA");
            assertEquals(8192, m.stats().get("savedArea").get("requests").asLong(), "no SCLP request after release");

            Exec.run(30, "sh", "-c", "echo 1 > " + z.resolve("reipl")).ok();
            assertEquals("errno 19", pread(vmcore, load + 40 * MIB, 4096), "after re-IPL: ENODEV");
            assertEquals("errno 19", pread(m.path(".vmcorefs/s390.dump"), 0, 16));
            JsonNode events = m.stats().get("events");
            List<String> kinds = new ArrayList<>();
            events.forEach(e -> kinds.add(e.get("kind").asText()));
            assertEquals(List.of("release", "reipl"), kinds, events.toString());
        }
    }

    static final String RETRY = String.join("\n",
            "import os, sys",
            "path, off, n, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]",
            "fd = os.open(path, os.O_RDONLY)",
            "data = bytearray(); failed = 0",
            "while len(data) < n:",
            "    try:",
            "        data += os.pread(fd, 65536, off + len(data))",
            "    except OSError as e:",
            "        assert e.errno == 5, e",
            "        failed += 1",
            "open(out, 'wb').write(data[:n])",
            "print(failed)",
            "");

    @Test
    void failingSclpRequestsFailOnlyHsaReads(@TempDir Path tmp) throws Exception {
        S390Model model = new S390Model(256 * MIB, 3, 7, 32 * MIB);
        try (Mounted m = Mounted.mount(options("--saved-area-fail-rate", "0.02", "--fault-seed", "5"))) {
            Path vmcore = m.path("proc/vmcore");
            long load = firstLoadOffset(vmcore);
            Path hsaCopy = tmp.resolve("hsa");
            int failed = Integer.parseInt(Exec.run(120, PY, "-c", RETRY, vmcore.toString(), Long.toString(load),
                    Long.toString(4 * MIB), hsaCopy.toString()).ok().stdout().trim());
            assertTrue(failed > 0, "some SCLP requests failed");
            assertArrayEquals(model.bytes(0, (int) (4 * MIB)), Files.readAllBytes(hsaCopy), "retried reads are right");
            Path above = tmp.resolve("above");
            assertEquals("0", Exec.run(120, PY, "-c", RETRY, vmcore.toString(), Long.toString(load + 32 * MIB),
                    Long.toString(16 * MIB), above.toString()).ok().stdout().trim(), "no failure above the HSA");
            assertArrayEquals(model.bytes(32 * MIB, (int) (16 * MIB)), Files.readAllBytes(above));
            JsonNode hsa = m.stats().get("savedArea");
            assertEquals(failed, hsa.get("failures").asLong(), hsa.toString());
            assertEquals("2000000\n", Files.readString(m.path("sys/kernel/debug/zcore/hsa")), "the mount survives");
        }
    }
}
