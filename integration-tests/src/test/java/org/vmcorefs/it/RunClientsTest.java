package org.vmcorefs.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code vmcorefs run}: real clients, unmodified, at the capture kernel's real paths in a private mount
 * namespace (Debian's kdump-tools, a phyp release loop in plain shell, zfcpdump's dd and echo), and the map of
 * what they read ({@code stats --map}).
 */
class RunClientsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private Path work;

    @BeforeEach
    void assumeRunnable() throws IOException {
        Mounted.requireFuse();
        Requirements.tool("unshare");
        if (Exec.run(10, "unshare", "--mount", "true").exit() != 0) {
            // A container without CAP_SYS_ADMIN: the one thing here a machine may truly lack.
            Requirements.missing("a mount namespace (unshare --mount)", "run the tests where mount namespaces "
                    + "can be made (as root, or where the kernel allows user namespaces)");
        }
        work = Files.createTempDirectory("vmcorefs-run");
    }

    @AfterEach
    void clean() throws IOException {
        if (work != null) {
            try (Stream<Path> s = Files.walk(work)) {
                s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /** {@code vmcorefs run MOUNT [options] -- sh -c SCRIPT}, with a time limit. */
    private static Exec.Result run(Mounted m, long seconds, String script, String... options) {
        List<String> cmd = new ArrayList<>(List.of(Mounted.LAUNCHER.toString(), "run"));
        cmd.addAll(List.of(options));
        cmd.addAll(List.of(m.root.toString(), "--", "sh", "-c", script));
        return Exec.run(seconds, null, cmd);
    }

    private static JsonNode readMap(Mounted m) throws IOException {
        return JSON.readTree(Files.readString(m.path(".vmcorefs/read-map.json")));
    }

    /** Draws the mount's map as SVG and PNG and checks both: the PNG decodes, the SVG renders (librsvg). */
    private void drawMap(Mounted m, String name, String... labels) throws IOException {
        Path svg = work.resolve(name + ".svg");
        Path png = work.resolve(name + ".png");
        Exec.run(60, Mounted.LAUNCHER.toString(), "stats", "--map", svg.toString(), m.root.toString()).ok();
        Exec.Result r = Exec.run(60, Mounted.LAUNCHER.toString(), "stats", "--map", png.toString(), m.root.toString()).ok();
        assertTrue(r.stdout().contains("\"savedArea\"") || r.stdout().contains("\"files\""),
                "the text stats are printed as before: " + r.stdout());
        BufferedImage image = javax.imageio.ImageIO.read(png.toFile());
        assertEquals(1100, image.getWidth());
        assertTrue(image.getHeight() > 200, "height " + image.getHeight());
        String text = Files.readString(svg);
        assertTrue(text.startsWith("<svg "), text);
        for (String l : labels) {
            assertTrue(text.contains(l), "the picture names " + l);
        }
        if (Exec.has("rsvg-convert")) {
            Path rendered = work.resolve(name + "-svg.png");
            Exec.run(60, "rsvg-convert", "-o", rendered.toString(), svg.toString()).ok();
            assertEquals(1100, javax.imageio.ImageIO.read(rendered.toFile()).getWidth());
        }
    }

    private static String kdumpConfig(Path conf, Path coreDir) throws IOException {
        // A private /etc/default/kdump-tools (in the namespace only) points KDUMP_COREDIR at the test's directory.
        Files.writeString(conf, "KDUMP_COREDIR=\"" + coreDir + "\"\n");
        return "mount --bind " + conf + " /etc/default/kdump-tools && kdump-config savecore";
    }

    private static List<Path> saved(Path coreDir, String prefix) throws IOException {
        try (Stream<Path> s = Files.walk(coreDir)) {
            return s.filter(p -> Files.isRegularFile(p) && p.getFileName().toString().startsWith(prefix)).toList();
        }
    }

    @Test
    void kdumpConfigSavecoreOnARealDumpSavesWhatDrgnReads() throws Exception {
        Requirements.tool("kdump-config");
        Requirements.tool("drgn");
        Path dump = Fixtures.dump(Fixtures.KDUMP_VMCORE);
        Path coreDir = Files.createDirectories(work.resolve("crash"));
        try (Mounted m = Mounted.mount("--image", dump.toString())) {
            Exec.Result r = run(m, 300, kdumpConfig(work.resolve("kdump-tools"), coreDir)).ok();
            assertTrue(r.all().contains("saved vmcore in"), r.all());
            List<Path> dumps = saved(coreDir, "dump.");
            List<Path> dmesg = saved(coreDir, "dmesg.");
            assertEquals(1, dumps.size(), "one saved dump: " + r.all());
            assertEquals(1, dmesg.size(), "one dmesg file: " + r.all());
            assertTrue(Files.readString(dmesg.get(0)).contains(Fixtures.MARKER), "the crashed kernel's log");
            // kdump-tools saves makedumpfile's flattened output: reassemble it, then open it as drgn would.
            Path elf = work.resolve("dump.kdump");
            Exec.run(120, null, List.of("sh", "-c", "makedumpfile -R " + elf + " < " + dumps.get(0))).ok();
            Path script = work.resolve("drgn.py");
            Files.writeString(script, String.join("\n",
                    "from drgn.helpers.linux.pid import for_each_task",
                    "print('release', prog['init_uts_ns'].name.release.string_().decode())",
                    "print('tasks', sum(1 for _ in for_each_task(prog)))", ""));
            String out = Exec.run(120, null, List.of("drgn", "-q", "-c", elf.toString(), "-s",
                    Fixtures.VMLINUX.toString(), script.toString())).ok().stdout();
            assertTrue(out.contains("release " + Fixtures.kernelRelease()), out);
            java.util.regex.Matcher tasks = java.util.regex.Pattern.compile("tasks (\\d+)").matcher(out);
            assertTrue(tasks.find() && Integer.parseInt(tasks.group(1)) > 10, out);
            // What makedumpfile -d 31 read: less than all of RAM, and the kexec backup fetched.
            JsonNode map = readMap(m);
            JsonNode vmcore = map.path("files").path("/proc/vmcore");
            long ram = 0;
            for (JsonNode x : map.path("ram")) {
                ram += x.get(1).asLong();
            }
            long touched = vmcore.path("touchedBytes").asLong();
            assertTrue(touched > 0 && touched < ram, "touched " + touched + " of " + ram);
            assertTrue(map.path("savedArea").path("fetchedBytes").asLong() > 0, map.toString());
            drawMap(m, "kdump-d31", "/proc/vmcore", "saved area fetched");
        }
    }

    /**
     * The synthetic kernel is complete enough for kdump-tools' own path: makedumpfile -F -c -d 31 reads its page
     * tables, struct pages and VMCOREINFO (no fallback to cp), --dump-dmesg its printk ring buffer.
     */
    @Test
    void kdumpConfigSavecoreOnASyntheticMachineSavesAFilteredDumpAndItsLog() throws Exception {
        Requirements.tool("kdump-config");
        Requirements.tool("makedumpfile");
        Path coreDir = Files.createDirectories(work.resolve("crash"));
        long seed = 4242;
        try (Mounted m = Mounted.mount("--memory", "1G", "--populated", "0.25", "--seed", String.valueOf(seed))) {
            Exec.Result r = run(m, 300, kdumpConfig(work.resolve("kdump-tools"), coreDir)).ok();
            assertTrue(r.all().contains("saved vmcore in"), r.all());
            assertFalse(r.all().contains("falling back to 'cp'"), "makedumpfile itself saved it: " + r.all());
            List<Path> dumps = saved(coreDir, "dump.");
            List<Path> dmesg = saved(coreDir, "dmesg.");
            assertEquals(1, dumps.size(), "one saved dump: " + r.all());
            assertEquals(1, dmesg.size(), "one dmesg file: " + r.all());
            String log = Files.readString(dmesg.get(0));
            assertTrue(log.contains(org.vmcorefs.machine.synthetic.SyntheticX86Kernel.MARKER + " seed=" + seed), log);
            assertTrue(log.contains("Kernel panic - not syncing"), log);
            // The flattened dump reassembles into a kdump-compressed file whose own log and pages read back.
            Path kdump = work.resolve("dump.kdump");
            Exec.run(120, null, List.of("sh", "-c", "makedumpfile -R " + kdump + " < " + dumps.get(0))).ok();
            byte[] head = new byte[8];
            try (var in = Files.newInputStream(kdump)) {
                assertEquals(8, in.read(head));
            }
            assertEquals("KDUMP   ", new String(head, java.nio.charset.StandardCharsets.US_ASCII));
            Path again = work.resolve("dmesg.again");
            Exec.run(120, "makedumpfile", "--dump-dmesg", kdump.toString(), again.toString()).ok();
            assertEquals(log, Files.readString(again), "the saved dump holds the same log");
            // libkdumpfile reads a kernel variable of the saved dump through its page tables (init_top_pgt).
            Requirements.pythonModule("kdumpfile", "python3-libkdumpfile");
            Path probe = work.resolve("uts.py");
            Files.writeString(probe, String.join("\n",
                    "import sys, kdumpfile, addrxlat",
                    "k = kdumpfile.kdumpfile(sys.argv[1])",
                    "k.attr['addrxlat.ostype'] = 'linux'",
                    "uts = int(k.attr['linux.vmcoreinfo.lines']['SYMBOL(init_uts_ns)'], 16)",
                    "print('release', bytes(k.read(addrxlat.KVADDR, uts + 130, 65)).split(b'\\0')[0].decode())", ""));
            String uts = Exec.run(60, "/usr/bin/python3", probe.toString(), kdump.toString()).ok().stdout();
            assertTrue(uts.contains("release " + org.vmcorefs.machine.synthetic.SyntheticSystem.OS_RELEASE), uts);
            // -d 31 kept the kernel's pages and dropped the free (unpopulated) blocks, user and cache pages.
            long ram = 1L << 30;
            assertTrue(Files.size(dumps.get(0)) < ram / 3, "filtered: " + Files.size(dumps.get(0)));
            // A quarter of the blocks hold data; the free ones (buddy pages in mem_map) are never read, not
            // even to see that they are zero.
            long read = m.stats().path("files").path("/proc/vmcore").path("bytesRead").asLong();
            assertTrue(read > ram / 8 && read < ram * 4 / 10, "makedumpfile skipped the free pages: read " + read);
        }
    }

    @Test
    void thePathsAreThereInsideOnlyAndTheStatusIsTheCommands() throws Exception {
        assumeTrue(!Files.exists(Path.of("/proc/vmcore")), "this machine has a /proc/vmcore of its own");
        try (Mounted m = Mounted.mount("--memory", "128M")) {
            Exec.Result r = run(m, 120, "head -c 4 /proc/vmcore | od -An -c; grep -c MemTotal /proc/meminfo; "
                    + "cmp -n 65536 /dev/oldmem " + m.path("dev/oldmem") + " && echo same; exit 7");
            assertEquals(7, r.exit(), r.all());
            assertTrue(r.stdout().contains("177   E   L   F"), r.all());
            assertTrue(r.stdout().contains("\n1\n"), "the real /proc/meminfo is there: " + r.all());
            assertTrue(r.stdout().contains("same"), r.all());
            assertFalse(Files.exists(Path.of("/proc/vmcore")), "nothing changes outside the namespace");
            assertFalse(Files.exists(Path.of("/dev/oldmem")), "nothing changes outside the namespace");
            assertEquals(127, run(m, 60, "exec no-such-command-here").exit());
            // What an ordinary user gets: the same, inside a user namespace.
            Exec.Result user = run(m, 120, "head -c 4 /proc/vmcore | od -An -c; id -u", "--user-namespace");
            if (user.exit() == 125) {
                assertTrue(user.stderr().contains("does not let"), user.all());
            } else {
                assertEquals(0, user.exit(), user.all());
                assertTrue(user.stdout().contains("177   E   L   F"), user.all());
            }
            // vmcorefs save with ROOT / inside gives what it gives with the mount point outside.
            Path outside = work.resolve("outside.vmcore");
            Path inside = work.resolve("inside.vmcore");
            Exec.run(300, Mounted.LAUNCHER.toString(), "save", "--progress", "none", m.root.toString(),
                    outside.toString()).ok();
            run(m, 300, Mounted.LAUNCHER + " save --progress none / " + inside).ok();
            assertEquals(Files.size(outside), Files.size(inside));
            assertEquals(-1L, Files.mismatch(outside, inside), "the same bytes");
        }
    }

    /**
     * An ordinary user (as root: user nobody through setpriv) mounts and runs a tool at the real paths through a
     * user namespace. What the machine allows decides which outcome is right, and each is checked, none
     * skipped: without read-write access to /dev/fuse the mount fails and says so; with it the mount works, and
     * {@code run} either works or, where the kernel forbids user namespaces, says that (exit 125).
     */
    @Test
    void anOrdinaryUserMountsAndRunsWhereTheSystemAllowsIt() throws Exception {
        boolean root = "0".equals(Exec.run(10, "id", "-u").ok().stdout().trim());
        List<String> as = new ArrayList<>(List.of("env", "-u", "XDG_RUNTIME_DIR", "HOME=/tmp"));
        if (root) {
            Requirements.tool("setpriv");
            as.addAll(0, List.of("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"));
        }
        Path dir = Files.createTempDirectory(Path.of("/tmp"), "vmcorefs-user-");
        try {
            Path mnt = Files.createDirectory(dir.resolve("mnt"));
            if (root) {
                Exec.run(10, "chown", "-R", "65534:65534", dir.toString()).ok();
                Exec.run(10, "chmod", "755", dir.toString()).ok();
            }
            java.util.function.Function<List<String>, Exec.Result> user = cmd -> {
                List<String> all = new ArrayList<>(as);
                all.addAll(cmd);
                return Exec.run(120, null, all);
            };
            boolean fuseOpen = user.apply(List.of("sh", "-c", "test -r /dev/fuse && test -w /dev/fuse")).exit() == 0;
            Exec.Result mount = user.apply(List.of(Mounted.LAUNCHER.toString(), "mount", "--memory", "256M",
                    mnt.toString()));
            try {
                if (!fuseOpen) {
                    assertEquals(1, mount.exit(), mount.all());
                    assertTrue(mount.stderr().contains("/dev/fuse (") && mount.stderr().contains("is not open to this user"),
                            "the refusal names /dev/fuse and its mode: " + mount.all());
                    return;
                }
                assertEquals(0, mount.exit(), "the user has /dev/fuse, so the mount must work: " + mount.all());
                boolean userns = user.apply(List.of("unshare", "--user", "--map-root-user", "--mount", "true")).exit() == 0;
                Exec.Result r = user.apply(List.of(Mounted.LAUNCHER.toString(), "run", mnt.toString(), "--", "sh", "-c",
                        "head -c 4 /proc/vmcore | od -An -c; id -u"));
                if (userns) {
                    assertEquals(0, r.exit(), r.all());
                    assertTrue(r.stdout().contains("177   E   L   F"), r.all());
                } else {
                    assertEquals(125, r.exit(), r.all());
                    assertTrue(r.stderr().contains("does not let"), r.all());
                }
            } finally {
                if (mount.exit() == 0) {
                    user.apply(List.of(Mounted.LAUNCHER.toString(), "unmount", mnt.toString()));
                }
            }
        } finally {
            try (Stream<Path> w = Files.walk(dir)) {
                w.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    @Test
    void aPhypReleaseLoopInPlainShellThroughRun() throws Exception {
        try (Mounted m = Mounted.mount("--profile", "ppc64-phyp", "--memory", "1G", "--cpus", "2")) {
            Path copy = work.resolve("vmcore");
            // Copy the dump, then give back every (address, length) pair release_region shows until none is left.
            String loop = String.join("\n",
                    "set -e",
                    "R=/sys/kernel/release_region",
                    "head -c 4 /proc/device-tree/rtas/ibm,kernel-dump | od -An -tx1",
                    "cp /proc/vmcore " + copy,
                    "n=0",
                    "while pairs=$(grep -o '0x[0-9a-f]*-0x[0-9a-f]*' $R | grep -v '^0x0-0x0$'); do",
                    "  for p in $pairs; do echo \"${p%-*} ${p#*-}\" > $R; n=$((n+1)); done",
                    "  [ $n -lt 100 ] || exit 9",
                    "done",
                    "cat $R; echo releases $n", "");
            Exec.Result r = run(m, 300, loop).ok();
            assertTrue(r.stdout().contains("CPU:0x0-0x0: HPTE:0x0-0x0: DUMP:0x0-0x0, 0x0-0x0:"), r.all());
            JsonNode stats = m.stats();
            assertFalse(stats.path("firmwareDump").path("dumpActive").asBoolean(), stats.toString());
            assertEquals(0, stats.path("firmwareDump").path("stillReservedBytes").asLong(), stats.toString());
            assertEquals(Files.size(copy), stats.path("files").path("/proc/vmcore").path("bytesRead").asLong());
            JsonNode map = readMap(m);
            assertEquals(768L << 20, sum(map.path("released")), map.toString());
            assertEquals(map.path("savedArea").path("size").asLong(), map.path("savedArea").path("fetchedBytes").asLong());
            drawMap(m, "phyp", "released", "boot memory");
        }
    }

    @Test
    void zfcpdumpsDdAndEchoThroughRun() throws Exception {
        try (Mounted m = Mounted.mount("--profile", "s390x-zfcpdump", "--memory", "256M", "--cpus", "2")) {
            Path copy = work.resolve("dump.s390");
            // As zfcpdump's user space: copy zcore/mem (header and the first memory chunk), then release the HSA.
            String script = String.join("\n",
                    "set -e",
                    "Z=/sys/kernel/debug/zcore",
                    "size=$(( 0x$(cut -d' ' -f2 $Z/memmap) ))",
                    "dd if=$Z/mem of=" + copy + " bs=1M iflag=count_bytes count=$((4096 + size)) 2>/dev/null",
                    "echo 0 > $Z/hsa",
                    "cat $Z/hsa", "");
            Exec.Result r = run(m, 300, script).ok();
            assertEquals("0", r.stdout().trim(), r.all());
            assertEquals(4096 + (192L << 20), Files.size(copy));
            byte[] magic = new byte[8];
            try (var in = Files.newInputStream(copy)) {
                assertEquals(8, in.read(magic));
            }
            assertArrayEquals(java.util.HexFormat.of().parseHex("a8190173618f23fd"), magic);
            JsonNode stats = m.stats();
            assertTrue(stats.path("savedArea").path("released").asBoolean(), stats.toString());
            assertEquals(8192, stats.path("savedArea").path("blocks").asLong(), stats.toString());
            JsonNode map = readMap(m);
            assertEquals(192L << 20, map.path("files").path("/sys/kernel/debug/zcore/mem").path("touchedBytes").asLong());
            assertEquals(32L << 20, map.path("savedArea").path("fetchedBytes").asLong());
            assertEquals(32L << 20, sum(map.path("released")));
            drawMap(m, "zfcpdump", "/sys/kernel/debug/zcore/mem", "released");
        }
    }

    private static long sum(JsonNode pairs) {
        long s = 0;
        for (JsonNode p : pairs) {
            s += p.get(1).asLong();
        }
        return s;
    }
}
