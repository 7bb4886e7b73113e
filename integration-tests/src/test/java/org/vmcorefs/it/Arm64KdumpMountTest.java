package org.vmcorefs.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.vmcorefs.machine.Architecture;
import org.vmcorefs.machine.CpuState;
import org.vmcorefs.machine.synthetic.SyntheticArm64;
import org.vmcorefs.machine.memory.SyntheticMemory;

/**
 * The arm64-kdump profile of a sparse 1 TiB synthetic machine on one real mount, checked with readelf,
 * gdb-multiarch and libkdumpfile, and the real arm64 kdump /proc/vmcore replayed through a mount. Expected
 * values come from the model (SyntheticMemory.byteAt, SyntheticArm64's CPUs) and the kernel's layout rules,
 * never from vmcorefs's own read path.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class Arm64KdumpMountTest {
    static final long SEED = 11;
    static final long MEMORY = 1L << 40;
    static final int CPUS = 4;
    static final long KASLR = 0x206d95800000L;
    static final long CRASH_TIME = 1700000000L;
    /** PAGE_OFFSET with 48-bit VAs (arch/arm64/include/asm/memory.h), where PHYS_OFFSET 0x40000000 maps. */
    static final long PAGE_OFFSET = 0xffff000000000000L;
    static final long PHYS_OFFSET = 0x40000000L;
    static final long KIMAGE_VADDR = 0xffff800008000000L;
    /** The real arm64 dumps (scripts/make-fixtures.sh makes them with shared/tools/make-arch-dump.sh). */
    static final Path ARCH_DIR = Fixtures.ARCH_ROOT.resolve("arm64");
    static final Path REAL = ARCH_DIR.resolve("kdump-vmcore.elf");

    private Mounted m;
    private Path vmcore;
    private double mountSeconds;
    private final SyntheticMemory memory = new SyntheticMemory(SEED, 1.0);

    @BeforeAll
    void mount() throws IOException {
        long start = System.nanoTime();
        m = Mounted.mount("--profile", "arm64-kdump", "--memory", "1T", "--cpus", String.valueOf(CPUS), "--seed",
                String.valueOf(SEED), "--kaslr-offset", Long.toHexString(KASLR), "--crash-time",
                String.valueOf(CRASH_TIME));
        vmcore = m.path("proc/vmcore");
        Files.size(vmcore);
        mountSeconds = (System.nanoTime() - start) / 1e9;
    }

    @AfterAll
    void unmount() throws IOException {
        if (m != null) {
            m.close();
        }
    }

    private static long roundUp(long v, long a) {
        return (v + a - 1) / a * a;
    }

    private static long hex(String s) {
        return Long.parseUnsignedLong(s.replaceFirst("^0x", ""), 16);
    }

    private List<CpuState> modelCpus() {
        return SyntheticArm64.system(MEMORY, CPUS, memory, KASLR, Instant.ofEpochSecond(CRASH_TIME)).cpus();
    }

    @Test
    void oneTebibyteMountsQuickly() {
        System.out.printf("arm64-kdump 1 TiB: mount to first stat %.2f s%n", mountSeconds);
        // bin/vmcorefs's JVM start and the FUSE handshake included; the brief's 1.5 s, with room for load.
        assertTrue(mountSeconds < 10, String.format("1 TiB took %.2f s to mount", mountSeconds));
        assertEquals(List.of("vmcore"), Arrays.stream(m.path("proc").toFile().list()).sorted().toList());
        assertTrue(!Files.exists(m.path("dev/oldmem")), "arm64 kernels have no /dev/oldmem");
    }

    @Test
    void readelfShowsTheArm64VmcoreLayout() throws Exception {
        Requirements.tool("readelf");
        String out = Exec.run(60, "readelf", "-h", "-l", "-n", "-W", vmcore.toString()).ok().stdout();
        assertTrue(out.contains("CORE (Core file)"), out);
        assertTrue(out.contains("AArch64"), out);
        assertTrue(out.contains("little endian"), out);
        List<String[]> rows = Readelf.segments(out);
        // PT_NOTE, kernel image, linear map below the 256M reservation under 4 GiB, linear map from 4 GiB.
        assertEquals(4, rows.size(), out);
        assertEquals("NOTE", rows.get(0)[0]);
        assertEquals(0x1000, hex(rows.get(0)[1]), "notes on the page after the headers");
        long cursor = 0x1000 + roundUp(hex(rows.get(0)[4]), 4096);
        long crashkernel = (1L << 32) - (256L << 20);
        long[][] expect = {
            {KIMAGE_VADDR + KASLR, SyntheticArm64.TEXT_PHYSICAL, SyntheticArm64.TEXT_SIZE},
            {PAGE_OFFSET, PHYS_OFFSET, crashkernel - PHYS_OFFSET},
            {PAGE_OFFSET + (1L << 32) - PHYS_OFFSET, 1L << 32, PHYS_OFFSET + MEMORY - (1L << 32)}};
        for (int i = 1; i < rows.size(); i++) {
            String[] r = rows.get(i);
            assertEquals("LOAD", r[0]);
            assertEquals(cursor, hex(r[1]), "page-aligned data back to back");
            assertEquals(expect[i - 1][0], hex(r[2]), "p_vaddr of LOAD " + i);
            assertEquals(expect[i - 1][1], hex(r[3]), "p_paddr of LOAD " + i);
            assertEquals(expect[i - 1][2], hex(r[4]), "p_filesz of LOAD " + i);
            assertEquals(hex(r[4]), hex(r[5]));
            assertEquals("RWE", r[6]);
            assertEquals(0, hex(r[7]), "p_align 0, as the real arm64 vmcore");
            cursor += hex(r[4]);
        }
        assertEquals(cursor, Files.size(vmcore));
        List<String> owners = new ArrayList<>();
        for (String note : Readelf.notes(out)) {
            String[] n = note.split(" ");
            owners.add(n[0]);
            if (n[0].equals("CORE")) {
                assertEquals(392, Integer.parseInt(n[1]), "arm64 NT_PRSTATUS of 392 bytes");
            }
        }
        assertEquals(List.of("CORE", "CORE", "CORE", "CORE", "VMCOREINFO"), owners);
        for (String key : List.of("NUMBER(VA_BITS)=48", "NUMBER(kimage_voffset)=0x"
                + Long.toHexString(KIMAGE_VADDR + KASLR - SyntheticArm64.TEXT_PHYSICAL),
                "NUMBER(PHYS_OFFSET)=0x40000000", "NUMBER(TCR_EL1_T1SZ)=0x10", "KERNELOFFSET="
                + Long.toHexString(KASLR))) {
            assertTrue(Exec.run(60, "sh", "-c", "head -c 8192 '" + vmcore + "' | grep -a -c -F '" + key + "'").ok()
                    .stdout().trim().equals("1"), key + " in VMCOREINFO");
        }
    }

    @Test
    void gdbMultiarchShowsEveryCpusRegisters() throws Exception {
        Requirements.tool("gdb-multiarch");
        String out = Exec.run(120, "gdb-multiarch", "-nx", "-batch", "-ex", "set architecture aarch64", "-ex",
                "info threads", "-ex", "thread apply all info registers pc sp cpsr x0 x29 x30", "-c",
                vmcore.toString()).ok().stdout();
        Map<Integer, Map<String, Long>> cpus = Gdb.registersByCpu(out);
        assertEquals(CPUS, cpus.size(), out);
        Architecture a = Architecture.ARM64;
        for (CpuState cpu : modelCpus()) {
            Map<String, Long> got = cpus.get(cpu.index());
            assertEquals(cpu.get("pc"), got.get("pc"), "pc of CPU " + cpu.index() + "\n" + out);
            assertEquals(cpu.get("sp"), got.get("sp"), "sp of CPU " + cpu.index());
            assertEquals(cpu.get("pstate"), got.get("cpsr"), "pstate of CPU " + cpu.index());
            for (String x : List.of("x0", "x29", "x30")) {
                assertEquals(cpu.registers()[a.registerIndex(x)], got.get(x), x + " of CPU " + cpu.index());
            }
        }
        assertTrue(out.contains("in ?? ()"), out);
    }

    @Test
    void libkdumpfileReadsTheArchitectureAndPhysicalMemory() throws Exception {
        String python = "/usr/bin/python3";
        Requirements.pythonModule("kdumpfile", "python3-libkdumpfile");
        long[] addresses = {PHYS_OFFSET + 0x1234, SyntheticArm64.TEXT_PHYSICAL + 0x10000, (1L << 32) + 0x777000,
            PHYS_OFFSET + MEMORY - 64};
        StringBuilder program = new StringBuilder("import sys, kdumpfile\n"
                + "k = kdumpfile.kdumpfile(sys.argv[1])\n"
                + "print('arch', k.attr['arch.name'])\n");
        for (long a : addresses) {
            program.append("print(k.read(kdumpfile.KDUMP_MACHPHYSADDR, ").append(a).append(", 64).hex())\n");
        }
        String out = Exec.run(60, program.toString(), List.of(python, "-", vmcore.toString())).ok().stdout();
        String[] lines = out.trim().split("\n");
        assertEquals("arch aarch64", lines[0], out);
        for (int i = 0; i < addresses.length; i++) {
            byte[] want = new byte[64];
            for (int j = 0; j < 64; j++) {
                want[j] = memory.byteAt(addresses[i] + j);
            }
            assertEquals(HexFormat.of().formatHex(want), lines[i + 1], "physical 0x" + Long.toHexString(addresses[i]));
        }
    }

    @Test
    void drgnReadsTheArchitectureAndPhysicalMemory() throws Exception {
        Requirements.tool("drgn");
        long address = PHYS_OFFSET + 0x5678000L + 24;
        Path script = Files.createTempFile("vmcorefs-drgn", ".py");
        try {
            Files.writeString(script, "print(prog.platform.arch)\nprint(prog.read(" + address + ", 32, True).hex())\n");
            String out = Exec.run(120, null, List.of("drgn", "-q", "-c", vmcore.toString(), "--no-default-symbols",
                    script.toString())).ok().stdout();
            byte[] want = new byte[32];
            for (int j = 0; j < want.length; j++) {
                want[j] = memory.byteAt(address + j);
            }
            assertEquals("Architecture.AARCH64\n" + HexFormat.of().formatHex(want), out.trim(), out);
        } finally {
            Files.deleteIfExists(script);
        }
    }

    /** vmcorefs save of a smaller arm64-kdump machine gives the mounted /proc/vmcore byte for byte. */
    @Test
    void saveCopiesTheVmcore() throws Exception {
        Path dir = Files.createTempDirectory("vmcorefs-arm64-save");
        Path out = dir.resolve("vmcore");
        try (Mounted small = Mounted.mount("--profile", "arm64-kdump", "--memory", "512M", "--cpus", "2", "--seed",
                "3", "--populated", "0.25")) {
            Exec.Result save = Exec.run(300, null, List.of(Mounted.LAUNCHER.toString(), "save", "--progress", "none",
                    small.root.toString(), out.toString()));
            assertEquals(0, save.exit(), save.all());
            Exec.Result cmp = Exec.run(300, "cmp", small.path("proc/vmcore").toString(), out.toString());
            assertEquals(0, cmp.exit(), cmp.all());
        } finally {
            try (var files = Files.list(dir)) {
                for (Path f : files.toList()) {
                    Files.deleteIfExists(f);
                }
            }
            Files.deleteIfExists(dir);
        }
    }

    /** The real /proc/vmcore of an in-guest kdump of Debian's arm64 kernel, replayed: cmp-identical. */
    @Test
    void realArm64KdumpReplaysByteIdentical() throws Exception {
        Fixtures.arch(REAL);
        // No --profile: an arm64 image mounts as arm64-kdump, the first profile of its architecture.
        try (Mounted r = Mounted.mount("--image", REAL.toString())) {
            assertEquals("arm64-kdump", r.stats().get("profile").asText(), "the profile follows from the image");
            Exec.Result cmp = Exec.run(600, "cmp", REAL.toString(), r.path("proc/vmcore").toString());
            assertEquals(0, cmp.exit(), cmp.all());
            assertTrue(Files.size(r.path("proc/vmcore")) == Files.size(REAL));
            Path vmlinux = REAL.resolveSibling("vmlinux");
            Requirements.tool("drgn");
            Fixtures.arch(vmlinux);
            {
                Path script = Files.createTempFile("vmcorefs-drgn", ".py");
                try {
                    Files.writeString(script, "print(prog['init_uts_ns'].name.release.string_().decode())\n");
                    String out = Exec.run(180, null, List.of("drgn", "-q", "-c", r.path("proc/vmcore").toString(),
                            "-s", vmlinux.toString(), "--main-symbols", script.toString())).ok().stdout();
                    assertEquals(Files.readString(REAL.resolveSibling("KVER")).trim(), out.trim(),
                            "drgn reads the release through the linear map and kimage_voffset");
                } finally {
                    Files.deleteIfExists(script);
                }
            }
        }
    }

    /**
     * QEMU's dump-guest-memory of an arm64 guest has physical PT_LOADs only; the mount adds the kernel image
     * and linear-map segments from its VMCOREINFO, so drgn reads the kernel's variables through the mount.
     */
    @Test
    void qemuDumpOfAnArm64GuestReadsInDrgnThroughTheMount() throws Exception {
        Path qemu = REAL.resolveSibling("guest.elf");
        Path vmlinux = REAL.resolveSibling("vmlinux");
        Fixtures.arch(qemu);
        Fixtures.arch(vmlinux);
        Requirements.tool("drgn");
        Path script = Files.createTempFile("vmcorefs-drgn", ".py");
        try (Mounted r = Mounted.mount("--profile", "arm64-kdump", "--image", qemu.toString())) {
            Files.writeString(script, "print(prog['init_uts_ns'].name.release.string_().decode())\n");
            String out = Exec.run(180, null, List.of("drgn", "-q", "-c", r.path("proc/vmcore").toString(), "-s",
                    vmlinux.toString(), "--main-symbols", script.toString())).ok().stdout();
            assertEquals(Files.readString(REAL.resolveSibling("KVER")).trim(), out.trim());
        } finally {
            Files.deleteIfExists(script);
        }
    }

    /**
     * QEMU's kdump-compressed dump of the same arm64 guest at the same moment (utsname.machine "Unknown", told
     * apart by its 392-byte NT_PRSTATUS) mounts as arm64-kdump with and without --profile and gives the
     * /proc/vmcore of the guest.elf replay byte for byte; gdb-multiarch (registers of every CPU, a variable),
     * libkdumpfile (arch.name, virtual and physical reads) and drgn (release, the sleep task the console log
     * names) read the same on both mounts.
     */
    @Test
    void qemuKdumpCompressedDumpMountsAsItsElf() throws Exception {
        Path kdump = Fixtures.arch(ARCH_DIR.resolve("guest.kdump"));
        Path elf = Fixtures.arch(ARCH_DIR.resolve("guest.elf"));
        Path vmlinux = Fixtures.arch(ARCH_DIR.resolve("vmlinux"));
        String release = Files.readString(Fixtures.arch(ARCH_DIR.resolve("KVER"))).trim();
        Matcher sleep = Pattern.compile("FIXTURE-MARKER-42 sleep_pid=(\\d+)")
                .matcher(Files.readString(Fixtures.arch(ARCH_DIR.resolve("guest-console.log"))));
        assertTrue(sleep.find(), "the marker line in guest-console.log");
        Requirements.tool("gdb-multiarch");
        Requirements.tool("drgn");
        Requirements.pythonModule("kdumpfile", "python3-libkdumpfile");
        Path script = Files.createTempFile("vmcorefs-drgn", ".py");
        Files.writeString(script, "import sys\nfrom drgn.helpers.linux.pid import find_task\n"
                + "print(prog['init_uts_ns'].name.release.string_().decode())\n"
                + "print(find_task(prog, int(sys.argv[1])).comm.string_().decode())\n");
        String py = "import sys, kdumpfile\n"
                + "k = kdumpfile.kdumpfile(sys.argv[1])\n"
                + "print(k.attr['arch.name'])\n"
                + "a = int(k.attr['linux.vmcoreinfo.SYMBOL.init_uts_ns'])\n"
                + "print(k.read(kdumpfile.KDUMP_KVADDR, a, 200).hex())\n"
                + "print(k.read(kdumpfile.KDUMP_MACHPHYSADDR, " + (PHYS_OFFSET + 0x123000) + ", 64).hex())\n";
        try (Mounted named = Mounted.mount("--image", kdump.toString(), "--profile", "arm64-kdump")) {
            assertEquals("arm64-kdump", named.stats().get("profile").asText());
        }
        try (Mounted fromElf = Mounted.mount("--image", elf.toString());
                Mounted unnamed = Mounted.mount("--image", kdump.toString())) {
            assertEquals("arm64-kdump", unnamed.stats().get("profile").asText(), "the profile follows from the dump");
            Path want = fromElf.path("proc/vmcore");
            long t0 = System.nanoTime();
            Exec.Result cmp = Exec.run(600, "cmp", want.toString(), unnamed.path("proc/vmcore").toString());
            assertEquals(0, cmp.exit(), cmp.all());
            System.out.printf("arm64 guest.kdump: cmp with the guest.elf replay %.1f s%n", (System.nanoTime() - t0) / 1e9);
            List<String> answers = new ArrayList<>();
            for (Mounted r : List.of(fromElf, unnamed)) {
                Path v = r.path("proc/vmcore");
                String gdb = Exec.run(180, "gdb-multiarch", "-nx", "-batch", "-ex", "set architecture aarch64",
                        "-ex", "file " + vmlinux, "-ex", "core-file " + v, "-ex",
                        "thread apply all info registers pc sp cpsr x0 x29 x30", "-ex",
                        "print init_uts_ns.name.release").ok().stdout().replace(v.toString(), "CORE");
                assertEquals(2, Gdb.registersByCpu(gdb).size(), gdb);
                assertTrue(gdb.contains("\"" + release + "\""), gdb);
                String kdf = Exec.run(60, py, List.of("/usr/bin/python3", "-", v.toString())).ok().stdout();
                assertTrue(kdf.startsWith("aarch64\n"), kdf);
                String drgn = Exec.run(180, null, List.of("drgn", "-q", "-c", v.toString(), "-s", vmlinux.toString(),
                        "--main-symbols", script.toString(), sleep.group(1))).ok().stdout();
                assertEquals(release + "\nsleep", drgn.trim(), drgn);
                answers.add(gdb + kdf + drgn);
            }
            assertEquals(answers.get(0), answers.get(1), "gdb-multiarch, libkdumpfile, drgn on both mounts");
            System.out.printf("arm64 guest.kdump: cmp-identical to the guest.elf replay (%d bytes); tools agree%n",
                    Files.size(want));
        } finally {
            Files.deleteIfExists(script);
        }
    }
}
