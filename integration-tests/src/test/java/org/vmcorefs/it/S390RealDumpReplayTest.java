package org.vmcorefs.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real s390x dumps (Debian's s390x kernel crashed under QEMU: dump-guest-memory ELF and kdump-compressed,
 * made by shared/tools/make-arch-dump.sh) replayed as s390x-zfcpdump, read through the mount by drgn,
 * gdb-multiarch, libkdumpfile and the s390x makedumpfile (under qemu-user), after a zfcpdump-style dd of
 * zcore/mem and a {@code vmcorefs save --format s390}. Every answer is compared with what the same client
 * gives on the original dump (or, where the client cannot read the original, with a client that can: the
 * QEMU ELF has little-endian section headers in a big-endian file and no VMCOREINFO, which libkdumpfile and
 * makedumpfile refuse), and with the guest's own console log and KVER.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class S390RealDumpReplayTest {
    static final Path DIR = Fixtures.ARCH_ROOT.resolve("s390x");
    static final Path QEMU_ELF = DIR.resolve("guest.elf");
    static final Path QEMU_KDUMP = DIR.resolve("guest.kdump");
    static final Path VMLINUX = DIR.resolve("vmlinux");
    static final String PY = "/usr/bin/python3";
    /** Physical addresses outside the lowcores (whose save areas the replay fills), in and above the HSA. */
    static final long[] ADDRESSES = {0x100000, 0x1000000 + 0x1230, 0x3000000, 0x10000000, 0x3ffff000};

    /** drgn on a core: release, pids of the sleep tasks, the marker lines, the crashed thread's stack. */
    static final String DRGN = String.join("\n",
            "import sys, drgn",
            "from drgn.helpers.linux.pid import for_each_task",
            "from drgn.helpers.linux.printk import get_dmesg",
            "prog = drgn.Program()",
            "prog.set_core_dump(sys.argv[1])",
            "prog.load_debug_info([sys.argv[2]])",
            "print('release', prog['init_uts_ns'].name.release.string_().decode())",
            "print('sleep', sorted(t.pid.value_() for t in for_each_task(prog) if t.comm.string_() == b'sleep'))",
            "for l in get_dmesg(prog).decode(errors='replace').splitlines():",
            "    if 'FIXTURE-MARKER-42' in l:",
            "        print('marker', l)",
            "print('stack')",
            "print(prog.crashed_thread().stack_trace())",
            "");

    /** drgn's printk log of a core, whole. */
    static final String DRGN_DMESG = String.join("\n",
            "import sys, drgn",
            "from drgn.helpers.linux.printk import get_dmesg",
            "prog = drgn.Program()",
            "prog.set_core_dump(sys.argv[1])",
            "prog.load_debug_info([sys.argv[2]])",
            "sys.stdout.write(get_dmesg(prog).decode(errors='replace'))",
            "");

    /** libkdumpfile on a dump: format, arch, 64 bytes at each physical address, then the release by virtual address. */
    static final String KDUMPFILE = String.join("\n",
            "import sys, kdumpfile",
            "k = kdumpfile.kdumpfile(sys.argv[1])",
            "print('format', k.attr['file.format'])",
            "print('arch', k.attr['arch.name'] if 'arch.name' in k.attr else None)",
            "for a in sys.argv[3:]:",
            "    print(hex(int(a)), k.read(kdumpfile.KDUMP_MACHPHYSADDR, int(a), 64).hex())",
            "if sys.argv[2] != '-':",
            "    k.attr['addrxlat.ostype'] = 'linux'",
            "    print('release', k.read(kdumpfile.KDUMP_KVADDR, int(sys.argv[2], 16), 65).split(b'\\0')[0].decode())",
            "");

    private Mounted elf;
    private Mounted kdump;

    @BeforeAll
    void mount() throws IOException {
        Fixtures.arch(QEMU_ELF);
        Fixtures.arch(QEMU_KDUMP);
        // No --profile: an s390x image mounts as s390x-zfcpdump, the first profile of its architecture.
        elf = Mounted.mount("--image", QEMU_ELF.toString());
        kdump = Mounted.mount("--image", QEMU_KDUMP.toString());
    }

    @AfterAll
    void unmount() throws IOException {
        for (Mounted m : new Mounted[] {elf, kdump}) {
            if (m != null) {
                m.close();
            }
        }
    }

    static String release() throws IOException {
        return Files.readString(Fixtures.arch(DIR.resolve("KVER")), StandardCharsets.US_ASCII).trim();
    }

    static int sleepPid() throws IOException {
        String log = Files.readString(Fixtures.arch(DIR.resolve("guest-console.log")), StandardCharsets.ISO_8859_1);
        Matcher m = Pattern.compile("FIXTURE-MARKER-42 sleep_pid=(\\d+)").matcher(log);
        assertTrue(m.find(), "no sleep_pid in the console log");
        return Integer.parseInt(m.group(1));
    }

    static String drgn(Path core) {
        Requirements.tool("drgn");
        return Exec.run(300, DRGN, List.of(PY, "-", core.toString(), Fixtures.arch(VMLINUX).toString())).ok().stdout();
    }

    static String kdumpfile(Path dump, String releaseAddress) {
        Requirements.pythonModule("kdumpfile", "python3-libkdumpfile");
        List<String> cmd = new ArrayList<>(List.of(PY, "-", dump.toString(), releaseAddress));
        for (long a : ADDRESSES) {
            cmd.add(Long.toString(a));
        }
        return Exec.run(120, KDUMPFILE, cmd).ok().stdout();
    }

    /** The address of init_uts_ns.name.release (uts_namespace.name at 0, as VMCOREINFO says; release third of 65). */
    static String releaseAddress() {
        String nm = Exec.run(120, "sh", "-c", "nm '" + Fixtures.arch(VMLINUX) + "' | awk '$3==\"init_uts_ns\"{print $1}'")
                .ok().stdout().trim();
        assertTrue(!nm.isEmpty(), "init_uts_ns in vmlinux");
        return Long.toHexString(Long.parseLong(nm, 16) + 2 * 65);
    }

    /** The lines of {@code kdumpfile}'s output that read physical memory. */
    static List<String> physicalReads(String out) {
        return out.lines().filter(l -> l.startsWith("0x")).toList();
    }

    @Test
    void bothDumpsMountAsZfcpdump() throws Exception {
        assertEquals("s390x-zfcpdump", elf.stats().get("profile").asText(), "the profile follows from the image");
        assertEquals("s390x-zfcpdump", kdump.stats().get("profile").asText());
        assertEquals(release(), Exec.run(60, "sh", "-c", "head -c 65536 '" + elf.path("proc/vmcore")
                + "' | grep -a -o 'OSRELEASE=[^\\n]*' | head -1").ok().stdout().trim().replace("OSRELEASE=", ""),
                "the kernel's VMCOREINFO, found through the absolute lowcore, is the vmcore's note");
    }

    @Test
    void drgnReadsTheCrashedKernelAsOnTheOriginal() throws Exception {
        String original = drgn(QEMU_ELF);
        assertTrue(original.startsWith("release " + release() + "\nsleep [" + sleepPid() + "]\nmarker "), original);
        assertTrue(original.contains("FIXTURE-MARKER-42 sleep_pid=" + sleepPid()), original);
        assertTrue(original.contains("\n#0 "), "a stack: " + original);
        assertEquals(original, drgn(elf.path("proc/vmcore")), "drgn on the mounted vmcore of the ELF dump");
        assertEquals(original, drgn(kdump.path("proc/vmcore")), "drgn on the mounted vmcore of the kdump dump");
        System.out.println("drgn on the s390x mount and on guest.elf:\n" + original);
    }

    /** gdb-multiarch's view of every CPU's registers, thread numbers kept, pids (QEMU's byte-swapped ones) not. */
    static String gdbRegisters(Path core) {
        Requirements.tool("gdb-multiarch");
        String out = Exec.run(180, "gdb-multiarch", "-nx", "-batch", "-ex", "set architecture s390:64-bit", "-ex",
                "info threads", "-ex", "thread apply all info all-registers", "-c", core.toString()).ok().stdout();
        return out.lines().filter(l -> !l.startsWith("[New LWP") && !l.startsWith("[Current thread")
                && !l.startsWith("Core was generated")).map(l -> l.replaceAll("LWP \\d+ *", "LWP "))
                .reduce("", (a, b) -> a + b + "\n");
    }

    @Test
    void gdbMultiarchReadsEveryCpusRegistersAsOnTheOriginal() {
        String original = gdbRegisters(QEMU_ELF);
        assertEquals(2, original.split("\nThread ", -1).length - 1, original);
        assertTrue(original.contains("pswa ") && original.contains("r15 ") && original.contains("acr0 "), original);
        assertEquals(original, gdbRegisters(elf.path("proc/vmcore")));
        assertEquals(original, gdbRegisters(kdump.path("proc/vmcore")));
    }

    @Test
    void libkdumpfileOpensTheS390DumpAndTheVmcore() throws Exception {
        // libkdumpfile cannot open guest.elf ("Cannot allocate ELF string table": its section headers are
        // little-endian in a big-endian file); it opens guest.kdump, without arch or translation (no VMCOREINFO).
        String original = kdumpfile(QEMU_KDUMP, "-");
        assertTrue(original.startsWith("format diskdump\narch None\n"), original);
        String address = releaseAddress();
        for (Mounted m : new Mounted[] {elf, kdump}) {
            String vmcore = kdumpfile(m.path("proc/vmcore"), address);
            assertTrue(vmcore.startsWith("format elf\narch s390x\n"), vmcore);
            assertEquals(physicalReads(original), physicalReads(vmcore), "physical memory of /proc/vmcore");
            assertTrue(vmcore.endsWith("release " + release() + "\n"), vmcore);
            String dump = kdumpfile(m.path(".vmcorefs/s390.dump"), address);
            assertTrue(dump.startsWith("format s390dump\narch s390x\n"), dump);
            assertEquals(physicalReads(original), physicalReads(dump), "physical memory of s390.dump");
            assertTrue(dump.endsWith("release " + release() + "\n"), dump);
        }
    }

    /**
     * A zfcpdump-style copy of zcore/mem (dd of the header and each memmap range through one open, which releases
     * the HSA), replayed as an image, and a {@code vmcorefs save --format s390} of a fresh mount: drgn reads the
     * former's vmcore and libkdumpfile the latter as on the original.
     */
    @Test
    void ddOfZcoreMemAndSaveFormatS390OpenInTheClients(@TempDir Path tmp) throws Exception {
        Path copy = tmp.resolve("dd.s390");
        Path saved = tmp.resolve("saved.s390");
        try (Mounted m = Mounted.mount("--image", QEMU_ELF.toString())) {
            Exec.run(600, null, List.of("bash", "-c", S390ZfcpdumpMountTest.CAPTURE, "capture", m.root.toString(),
                    copy.toString())).ok();
            assertEquals("0\n", Files.readString(m.path("sys/kernel/debug/zcore/hsa")), "the close released the HSA");
        }
        try (Mounted r = Mounted.mount("--image", copy.toString())) {
            assertEquals(drgn(QEMU_ELF), drgn(r.path("proc/vmcore")), "drgn on the replayed dd copy");
        }
        Files.delete(copy);
        try (Mounted m = Mounted.mount("--image", QEMU_KDUMP.toString())) {
            Exec.run(900, null, List.of(Mounted.LAUNCHER.toString(), "save", "--progress", "none", "--format", "s390",
                    m.root.toString(), saved.toString())).ok();
        }
        String original = kdumpfile(QEMU_KDUMP, "-");
        String out = kdumpfile(saved, releaseAddress());
        assertTrue(out.startsWith("format s390dump\narch s390x\n"), out);
        assertEquals(physicalReads(original), physicalReads(out));
        assertTrue(out.endsWith("release " + release() + "\n"), out);
    }

    /**
     * The s390x makedumpfile (qemu-user) reads the printk log through the mounted vmcore from its VMCOREINFO.
     * On the originals it cannot (guest.elf: "Can't get the number of PT_LOAD"; guest.kdump: no VMCOREINFO,
     * "Can't find some symbols for log_buf"), so the log is compared with drgn's on guest.elf.
     */
    @Test
    void makedumpfileDumpsTheLogAsDrgnReadsItOnTheOriginal(@TempDir Path tmp) throws Exception {
        Path makedumpfile = Fixtures.arch(DIR.resolve("bin/makedumpfile"));
        Requirements.tool("drgn");
        String original = Exec.run(300, DRGN_DMESG, List.of(PY, "-", QEMU_ELF.toString(), Fixtures.arch(VMLINUX).toString()))
                .ok().stdout();
        assertTrue(original.contains("FIXTURE-MARKER-42 sleep_pid=" + sleepPid()), original);
        for (Mounted m : new Mounted[] {elf, kdump}) {
            Path out = tmp.resolve("dmesg-" + m.root.getFileName());
            Exec.run(600, null, List.of(makedumpfile.toString(), "--dump-dmesg", m.path("proc/vmcore").toString(),
                    out.toString())).ok();
            assertEquals(original, Files.readString(out, StandardCharsets.ISO_8859_1), "makedumpfile --dump-dmesg");
        }
    }

    /** crash's sys, bt -a and log on a dump, without the DUMPFILE line (the only one that names the file). */
    static String crash(Path crash, Path dump) {
        String out = Exec.run(1200, "sys\nbt -a\nlog\nquit\n", List.of(crash.toString(), "-s",
                Fixtures.arch(VMLINUX).toString(), dump.toString())).ok().stdout();
        return out.lines().filter(l -> !l.trim().startsWith("DUMPFILE:")).reduce("", (a, b) -> a + b + "\n");
    }

    /**
     * The s390x crash 8.0.2 (qemu-user; several minutes per run, so the two run side by side): sys, bt -a and
     * log through the mounted vmcore give what they give on guest.kdump. (crash reads guest.kdump with its
     * vmlinux alone; it cannot read guest.elf, whose header QEMU wrote wrong.)
     */
    @Test
    void crashSysBtLogAsOnTheOriginal() throws Exception {
        Path crash = Fixtures.arch(DIR.resolve("bin/crash"));
        CompletableFuture<String> original = CompletableFuture.supplyAsync(() -> crash(crash, QEMU_KDUMP));
        String mounted = crash(crash, kdump.path("proc/vmcore"));
        String want = original.get();
        assertTrue(want.contains("RELEASE: " + release()), want);
        assertTrue(want.contains("PANIC: \"Kernel panic - not syncing: sysrq triggered crash\""), want);
        assertTrue(want.contains("FIXTURE-MARKER-42 sleep_pid=" + sleepPid()), want);
        assertTrue(want.contains("PID: 1        TASK:") && want.contains("CPU: 1"), "bt -a of both CPUs: " + want);
        assertEquals(want, mounted);
    }

    /**
     * s390-tools' zgetdump 2.16 (qemu-user) describes the mounted s390 dump and vmcore: the kernel release and
     * the CPUs. It crashes (SIGSEGV) on guest.elf, so the answers are compared with KVER and with the CPUs
     * gdb-multiarch finds in guest.elf.
     */
    @Test
    void zgetdumpDescribesTheS390DumpAndTheVmcore() throws Exception {
        Path zgetdump = Fixtures.arch(DIR.resolve("bin/zgetdump"));
        int cpus = gdbRegisters(QEMU_ELF).split("\nThread ", -1).length - 1;
        for (String file : List.of(".vmcorefs/s390.dump", "proc/vmcore")) {
            String out = Exec.run(300, zgetdump.toString(), "-i", kdump.path(file).toString()).ok().all();
            assertTrue(out.contains("UTS kernel release.: " + release() + "\n"), out);
            assertTrue(out.contains("CPU count (online).: " + cpus + "\n"), out);
            assertTrue(out.contains("Dump format........: " + (file.endsWith("vmcore") ? "elf" : "s390")), out);
        }
    }
}
