package org.vmcorefs.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.vmcorefs.format.struct.Elf64Phdr;
import org.vmcorefs.format.input.ElfCoreReader;
import org.vmcorefs.format.struct.ElfNote;
import org.vmcorefs.format.struct.Vmcoreinfo;

/**
 * Real dumps of a real Debian kernel (see {@link Fixtures}) replayed through a mount and read by the real
 * clients with the debug vmlinux: what a client gets from the original file it must get from the mount's
 * /proc/vmcore. Each fixture is mounted once for the whole class.
 */
class RealDumpReplayTest {
    private static final Map<String, Mounted> MOUNTS = new HashMap<>();
    private static final String CRASH_COMMANDS = "sys\nbt -a\nlog\nquit\n";

    @AfterAll
    static void unmount() throws IOException {
        for (Mounted m : MOUNTS.values()) {
            m.close();
        }
        MOUNTS.clear();
    }

    /** The mount of fixture {@code name} (made on first use); skips if the fixture is missing. */
    private static synchronized Mounted mount(String name) throws IOException {
        Path dump = Fixtures.dump(name);
        Mounted m = MOUNTS.get(name);
        if (m == null) {
            m = Mounted.mount("--image", dump.toString());
            MOUNTS.put(name, m);
        }
        return m;
    }

    private static String vmcore(String name) throws IOException {
        return mount(name).path("proc/vmcore").toString();
    }

    private static void requireTool(String tool) {
        Requirements.tool(tool);
    }

    /** Headers of an ELF core file (the original or the mount's). */
    private static ElfCoreReader.Headers headers(Path p) throws Exception {
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
            return ElfCoreReader.readHeaders(p, ch);
        }
    }

    private static Map<String, String> vmcoreinfo(ElfCoreReader.Headers h) {
        for (ElfNote n : h.notes()) {
            if (n.name().equals(ElfNote.VMCOREINFO)) {
                return Vmcoreinfo.parse(new String(n.desc(), java.nio.charset.StandardCharsets.US_ASCII));
            }
        }
        throw new AssertionError("no VMCOREINFO note");
    }

    @Test
    void aReplayedProcVmcoreReadsBackByteForByte() throws Exception {
        Path original = Fixtures.dump(Fixtures.KDUMP_VMCORE);
        Path mounted = Path.of(vmcore(Fixtures.KDUMP_VMCORE));
        assertEquals(Files.size(original), Files.size(mounted), "st_size");
        assertEquals(sha256(original), sha256(mounted), "a genuine /proc/vmcore replayed must read back unchanged");
        // Reads of every size at the places where the layout changes source: header, notes, segment edges.
        List<Long> edges = new ArrayList<>(List.of(0L, 4096L, 8192L, Files.size(original)));
        for (Elf64Phdr p : headers(original).phdrs()) {
            edges.add(p.offset());
            edges.add(p.offset() + p.filesz());
        }
        try (RandomAccessFile a = new RandomAccessFile(original.toFile(), "r");
                RandomAccessFile b = new RandomAccessFile(mounted.toFile(), "r")) {
            for (long edge : edges) {
                for (int size : new int[] {2, 8, 128, 8192, (1 << 20) + 3}) {
                    long at = Math.max(0, edge - size / 2);
                    assertArrayEquals(readAt(a, at, size), readAt(b, at, size), "read of " + size + " at " + at);
                }
            }
        }
    }

    @Test
    void aQemuDumpBecomesAKernelVmcore() throws Exception {
        Path original = Fixtures.dump(Fixtures.QEMU_ELF);
        Path mounted = Path.of(vmcore(Fixtures.QEMU_ELF));
        ElfCoreReader.Headers orig = headers(original);
        ElfCoreReader.Headers mine = headers(mounted);
        // Notes: the CPUs' NT_PRSTATUS as QEMU wrote them, then VMCOREINFO as the guest kernel wrote it; no
        // "QEMU" notes, which the kernel's /proc/vmcore never has.
        List<ElfNote> expected = new ArrayList<>();
        orig.notes().stream().filter(n -> n.name().equals(ElfNote.CORE)).forEach(expected::add);
        orig.notes().stream().filter(n -> n.name().equals(ElfNote.VMCOREINFO)).forEach(expected::add);
        assertTrue(orig.notes().stream().anyMatch(n -> n.name().equals("QEMU")), "the fixture has QEMU notes");
        assertEquals(expected.size(), mine.notes().size(), "notes");
        for (int i = 0; i < expected.size(); i++) {
            assertEquals(expected.get(i).name(), mine.notes().get(i).name());
            assertEquals(expected.get(i).type(), mine.notes().get(i).type());
            assertArrayEquals(expected.get(i).desc(), mine.notes().get(i).desc(), "note " + i + " passed through");
        }
        // Layout: PT_NOTE first, page-aligned data, the kernel text segment first among the PT_LOADs at
        // _stext, and the linear map where this kernel's KASLR put it (its task addresses say 0xffff8...).
        List<Elf64Phdr> ph = mine.phdrs();
        assertEquals(Elf64Phdr.PT_NOTE, ph.get(0).type());
        assertEquals(0, ph.get(0).offset() % 4096);
        Map<String, String> info = vmcoreinfo(mine);
        long stext = Long.parseUnsignedLong(info.get("SYMBOL(_stext)"), 16);
        assertEquals(stext, ph.get(1).vaddr(), "kernel text PT_LOAD at _stext");
        long physBase = Long.parseLong(info.get("NUMBER(phys_base)"));
        assertEquals(stext - 0xffffffff80000000L + physBase, ph.get(1).paddr(), "text p_paddr from phys_base");
        long memSection = Long.parseUnsignedLong(info.get("SYMBOL(mem_section)"), 16);
        try (FileChannel o = FileChannel.open(original, StandardOpenOption.READ);
                FileChannel m = FileChannel.open(mounted, StandardOpenOption.READ)) {
            boolean memSectionMapped = false;
            for (Elf64Phdr p : ph.subList(1, ph.size())) {
                assertEquals(Elf64Phdr.PT_LOAD, p.type());
                assertEquals(p.paddr() % 4096, p.offset() % 4096, "p_offset and p_paddr agree within the page");
                memSectionMapped |= Long.compareUnsigned(memSection, p.vaddr()) >= 0
                        && Long.compareUnsigned(memSection, p.vaddr() + p.memsz()) < 0;
                // The segment's first and last 64 KiB are the original's memory at p_paddr.
                for (long at : new long[] {0, Math.max(0, p.filesz() - 65536)}) {
                    int n = (int) Math.min(65536, p.filesz() - at);
                    assertArrayEquals(memoryOf(orig, o, p.paddr() + at, n), read(m, p.offset() + at, n),
                            String.format("PT_LOAD paddr 0x%x + 0x%x", p.paddr(), at));
                }
            }
            assertTrue(memSectionMapped, "SYMBOL(mem_section), a linear-map address, is inside a PT_LOAD");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {Fixtures.KDUMP_VMCORE, Fixtures.QEMU_ELF, Fixtures.QEMU_KDUMP})
    void crashSeesWhatItSeesInTheOriginal(String name) throws Exception {
        requireTool("crash");
        String mounted = crash(vmcore(name));
        assertTrue(mounted.contains("RELEASE: " + Fixtures.kernelRelease()), mounted);
        assertTrue(mounted.contains("PANIC: \"Kernel panic - not syncing: sysrq triggered crash\""), mounted);
        assertTrue(mounted.contains(Fixtures.MARKER + " sleep_pid=" + Fixtures.sleepPid(name)), mounted);
        if (name.equals(Fixtures.KDUMP_VMCORE)) {
            // bt -a: the panicking CPU from its crash_notes registers, the other stopped by the NMI.
            assertTrue(mounted.contains("sysrq_handle_crash") && mounted.contains("crash_nmi_callback"), mounted);
        } else if (name.equals(Fixtures.QEMU_ELF)) {
            // (A replayed /proc/vmcore is the original byte for byte: crash cannot tell them apart. On a
            // kdump-compressed original crash unwinds CPU 0 from another register source, so no comparison.)
            String original = crash(Fixtures.dump(name).toString());
            assertEquals(withoutDumpfile(original), withoutDumpfile(mounted), "crash on the mount vs the original");
        }
    }

    private static String crash(String dump) {
        return Exec.run(120, CRASH_COMMANDS, List.of("crash", "-s", Fixtures.VMLINUX.toString(), dump)).ok().stdout();
    }

    private static String withoutDumpfile(String crashOutput) {
        return crashOutput.replaceAll("(?m)^ *DUMPFILE: .*$", "DUMPFILE: -");
    }

    @ParameterizedTest
    @ValueSource(strings = {Fixtures.KDUMP_VMCORE, Fixtures.QEMU_ELF, Fixtures.QEMU_PAGING_ELF,
        Fixtures.QEMU_KDUMP})
    void drgnFindsTheReleaseAndTheSleepingTask(String name) throws Exception {
        requireTool("drgn");
        int pid = Fixtures.sleepPid(name);
        Path script = Files.createTempFile("vmcorefs-drgn", ".py");
        try {
            Files.writeString(script, String.join("\n",
                    "import sys",
                    "from drgn.helpers.linux.pid import find_task",
                    "print('release', prog['init_uts_ns'].name.release.string_().decode())",
                    "t = find_task(prog, int(sys.argv[1]))",
                    "print('task', t.pid.value_(), t.comm.string_().decode())",
                    "print(prog.stack_trace(t))",
                    "print('crashed', prog.crashed_thread().stack_trace())", ""));
            String out = Exec.run(120, null, List.of("drgn", "-q", "-c", vmcore(name), "-s",
                    Fixtures.VMLINUX.toString(), script.toString(), Integer.toString(pid))).ok().stdout();
            assertTrue(out.contains("release " + Fixtures.kernelRelease()), out);
            assertTrue(out.contains("task " + pid + " sleep"), out);
            assertTrue(out.contains("do_nanosleep"), "the sleeping task unwinds from its saved registers: " + out);
            if (name.equals(Fixtures.KDUMP_VMCORE)) {
                // CRASHTIME is there: drgn takes the crashing CPU's registers from crash_notes in memory.
                assertTrue(out.contains("sysrq_handle_crash"), out);
            }
        } finally {
            Files.deleteIfExists(script);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {Fixtures.KDUMP_VMCORE, Fixtures.QEMU_ELF, Fixtures.QEMU_PAGING_ELF,
        Fixtures.QEMU_KDUMP})
    void vmcoreDmesgFindsTheMarker(String name) throws Exception {
        requireTool("vmcore-dmesg");
        String out = Exec.run(60, "vmcore-dmesg", vmcore(name)).ok().stdout();
        assertTrue(out.contains(Fixtures.MARKER + " sleep_pid=" + Fixtures.sleepPid(name)), out);
        assertTrue(out.contains("Linux version " + Fixtures.kernelRelease()), out);
    }

    @ParameterizedTest
    @ValueSource(strings = {Fixtures.KDUMP_VMCORE, Fixtures.QEMU_ELF})
    void gdbSeesTheOriginalRegistersAndReadsKernelData(String name) throws Exception {
        requireTool("gdb");
        List<String> threads = List.of("-ex", "info threads", "-ex", "thread apply all info registers rip rsp rbp");
        assertEquals(gdb(Fixtures.dump(name).toString(), threads), gdb(vmcore(name), threads),
                "threads and registers on the mount vs on the original");
        // init_uts_ns through the kernel text PT_LOAD at its KASLR address (not the vmlinux's link address).
        Map<String, String> info = vmcoreinfo(headers(Path.of(vmcore(name))));
        long release = Long.parseUnsignedLong(info.get("SYMBOL(init_uts_ns)"), 16)
                + 2 * 65 + Long.parseLong(info.getOrDefault("OFFSET(uts_namespace.name)", "0"));
        String out = gdb(vmcore(name), List.of("-ex", String.format("x/s 0x%x", release)));
        assertTrue(out.contains("\"" + Fixtures.kernelRelease() + "\""), out);
    }

    private static String gdb(String core, List<String> commands) {
        // --readnever: registers and raw memory need no DWARF, and reading it takes most of gdb's time.
        List<String> cmd = new ArrayList<>(List.of("gdb", "-batch", "-nx", "--readnever"));
        cmd.addAll(commands);
        cmd.addAll(List.of(Fixtures.VMLINUX.toString(), core));
        return Exec.run(60, null, cmd).ok().stdout();
    }

    @ParameterizedTest
    @ValueSource(strings = {Fixtures.KDUMP_VMCORE, Fixtures.QEMU_ELF})
    void makedumpfileFiltersAndCrashReadsTheResult(String name) throws Exception {
        requireTool("makedumpfile");
        requireTool("crash");
        Path dir = Files.createTempDirectory("vmcorefs-md");
        Path out = dir.resolve("dumpfile");
        try {
            Exec.run(120, null, List.of("makedumpfile", "-l", "--message-level", "1", "-d", "31", vmcore(name),
                    out.toString())).ok();
            assertTrue(Files.size(out) > 0 && Files.size(out) < Files.size(Path.of(vmcore(name))),
                    "a filtered, compressed dump is smaller than /proc/vmcore");
            String crash = crash(out.toString());
            assertTrue(crash.contains("RELEASE: " + Fixtures.kernelRelease()), crash);
            assertTrue(crash.contains(Fixtures.MARKER + " sleep_pid=" + Fixtures.sleepPid(name)), crash);
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(dir);
        }
    }

    /**
     * makedumpfile maps /proc/vmcore privately (mmap with MAP_PRIVATE, in windows) when the kernel lets it,
     * and falls back to read() otherwise. The default mount is direct_io, where FUSE still allows a private
     * mapping: makedumpfile must find mmap available there, and its output must be the same dump.
     */
    @Test
    void makedumpfileMapsTheDefaultDirectIoMount() throws Exception {
        requireTool("makedumpfile");
        Mounted m = mount(Fixtures.KDUMP_VMCORE);
        assertTrue(m.stats().get("mount").get("directIo").asBoolean(), "the default mount is direct_io");
        Path dir = Files.createTempDirectory("vmcorefs-mmap");
        Path out = dir.resolve("dumpfile");
        try {
            Exec.Result r = Exec.run(120, null, List.of("makedumpfile", "-D", "-l", "--message-level", "31",
                    "-d", "31", vmcore(Fixtures.KDUMP_VMCORE), out.toString())).ok();
            assertTrue(r.all().contains("mmap() is available on the kernel."), r.all());
            assertTrue(Files.size(out) > 0, "makedumpfile wrote its dump");
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(dir);
        }
    }

    @Test
    void makedumpfileOutputReplaysAgain() throws Exception {
        requireTool("makedumpfile");
        requireTool("vmcore-dmesg");
        String source = vmcore(Fixtures.KDUMP_VMCORE);
        Path dir = Files.createTempDirectory("vmcorefs-md");
        Path zlib = dir.resolve("zlib.kdump");
        Path lzo = dir.resolve("lzo.kdump");
        try {
            Exec.run(120, null, List.of("makedumpfile", "-c", "--message-level", "1", "-d", "31", source,
                    zlib.toString())).ok();
            try (Mounted again = Mounted.mount("--image", zlib.toString())) {
                String out = Exec.run(60, "vmcore-dmesg", again.path("proc/vmcore").toString()).ok().stdout();
                assertTrue(out.contains(Fixtures.MARKER + " sleep_pid=" + Fixtures.sleepPid(Fixtures.KDUMP_VMCORE)),
                        out);
                ElfCoreReader.Headers h = headers(again.path("proc/vmcore"));
                assertEquals(Fixtures.kernelRelease(), vmcoreinfo(h).get("OSRELEASE"));
                // The kernel text PT_LOAD, which the compressed dump does not keep, found again from VMCOREINFO
                // and the page tables: same place, its size rounded up to the 2 MiB pages that map it.
                Elf64Phdr text = headers(Path.of(source)).phdrs().get(1);
                Elf64Phdr found = h.phdrs().get(1);
                assertEquals(text.vaddr(), found.vaddr());
                assertEquals(text.paddr(), found.paddr());
                assertTrue(found.memsz() >= text.memsz() && found.memsz() < text.memsz() + (2 << 20),
                        text + " vs " + found);
            }
            Exec.run(120, null, List.of("makedumpfile", "-l", "--message-level", "1", "-d", "31", source,
                    lzo.toString())).ok();
            Path mountPoint = Files.createDirectory(dir.resolve("mnt"));
            Exec.Result refused = Mounted.mountFails(mountPoint, "--image", lzo.toString());
            assertTrue(refused.exit() != 0 && refused.all().contains("LZO"), refused.all());
            assertTrue(!Mounted.isMounted(mountPoint));
        } finally {
            Files.deleteIfExists(zlib);
            Files.deleteIfExists(lzo);
            Files.deleteIfExists(dir.resolve("mnt"));
            Files.deleteIfExists(dir);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {Fixtures.KDUMP_VMCORE, Fixtures.QEMU_ELF})
    void libkdumpfileReadsTheRelease(String name) throws Exception {
        String python = "/usr/bin/python3";
        Requirements.pythonModule("kdumpfile", "python3-libkdumpfile");
        String program = String.join("\n",
                "import sys, kdumpfile",
                "k = kdumpfile.kdumpfile(sys.argv[1])",
                "k.attr['addrxlat.ostype'] = 'linux'",
                "print('release', k.attr['linux.uts.release'])",
                "print('cpus', k.attr['cpu.number'])", "");
        String mounted = Exec.run(60, program, List.of(python, "-", vmcore(name))).ok().stdout();
        String original = Exec.run(60, program, List.of(python, "-", Fixtures.dump(name).toString())).ok().stdout();
        assertTrue(mounted.contains("release " + Fixtures.kernelRelease()), mounted);
        assertEquals(original, mounted);
    }

    private static byte[] readAt(RandomAccessFile f, long offset, int length) throws IOException {
        long n = Math.max(0, Math.min(length, f.length() - offset));
        byte[] b = new byte[(int) n];
        f.seek(offset);
        f.readFully(b);
        return b;
    }

    private static byte[] read(FileChannel ch, long offset, int length) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(length);
        while (b.hasRemaining()) {
            if (ch.read(b, offset + b.position()) < 0) {
                throw new IOException("EOF at " + (offset + b.position()));
            }
        }
        return b.array();
    }

    /** {@code length} bytes of the original's memory at physical {@code paddr} (one PT_LOAD must hold them). */
    private static byte[] memoryOf(ElfCoreReader.Headers h, FileChannel ch, long paddr, int length)
            throws IOException {
        for (Elf64Phdr p : h.phdrs()) {
            if (p.type() == Elf64Phdr.PT_LOAD && p.paddr() <= paddr && paddr + length <= p.paddr() + p.filesz()) {
                return read(ch, p.offset() + paddr - p.paddr(), length);
            }
        }
        throw new AssertionError(String.format("no PT_LOAD of the original holds [0x%x, +0x%x)", paddr, length));
    }

    private static String sha256(Path p) throws IOException, NoSuchAlgorithmException {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        byte[] buf = new byte[1 << 20];
        try (InputStream in = Files.newInputStream(p)) {
            for (int n; (n = in.read(buf)) > 0;) {
                md.update(buf, 0, n);
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }
}
