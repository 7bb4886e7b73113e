package org.vmcorefs.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.vmcorefs.machine.Architecture;
import org.vmcorefs.machine.CpuState;
import org.vmcorefs.machine.memory.SyntheticMemory;
import org.vmcorefs.machine.synthetic.SyntheticSystem;

/**
 * The x86_64-kdump profile of a sparse 1 TiB synthetic machine on one real mount, checked with readelf,
 * gdb, dd and stat. Expected values come from the model (SyntheticMemory.byteAt, SyntheticSystem's CPUs)
 * and the PT_LOAD table parsed here from the mounted file, never from vmcorefs's own read path.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class X86KdumpMountTest {
    static final long SEED = 7;
    static final long MEMORY = 1L << 40;
    static final int CPUS = 4;
    static final long KASLR = 0x2e00000;
    static final long CRASH_TIME = 1700000000L;
    static final long PAGE_OFFSET = 0xffff888000000000L;

    private Mounted m;
    private Path vmcore;
    private Elf elf;
    private final SyntheticMemory memory = new SyntheticMemory(SEED, 1.0);

    @BeforeAll
    void mount() throws IOException {
        m = Mounted.mount("--memory", "1T", "--cpus", String.valueOf(CPUS), "--seed", String.valueOf(SEED),
                "--kaslr-offset", Long.toHexString(KASLR), "--crash-time", String.valueOf(CRASH_TIME));
        vmcore = m.path("proc/vmcore");
        elf = Elf.read(vmcore);
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

    @Test
    void readelfShowsTheVmcoreLayout() throws Exception {
        Requirements.tool("readelf");
        String out = Exec.run(60, "readelf", "-h", "-l", "-n", "-W", vmcore.toString()).ok().stdout();
        assertTrue(out.contains("CORE (Core file)"), out);
        assertTrue(out.contains("Advanced Micro Devices X86-64"), out);
        // readelf -l -W: Type Offset VirtAddr PhysAddr FileSiz MemSiz Flg Align, one line per header.
        List<String[]> rows = new ArrayList<>();
        for (String line : out.split("\n")) {
            String t = line.trim();
            if (t.startsWith("NOTE ") || t.startsWith("LOAD ")) {
                String[] f = t.split("\\s+");
                String flags = String.join(" ", java.util.Arrays.copyOfRange(f, 6, f.length - 1));
                rows.add(new String[] {f[0], f[1], f[2], f[3], f[4], f[5], flags, f[f.length - 1]});
            }
        }
        // 1 TiB: PT_NOTE, kernel text, [0, 640K), [1M, crashkernel), [4G, end of RAM).
        assertEquals(5, rows.size(), out);
        assertTrue(out.contains("Number of program headers:         5"), out);
        assertEquals("NOTE", rows.get(0)[0], "phdr[0] is the one PT_NOTE");
        long headerPages = roundUp(64 + 56 * 5, 4096);
        assertEquals(headerPages, hex(rows.get(0)[1]), "notes start on the page after the headers");
        long notesSize = hex(rows.get(0)[4]);
        long cursor = headerPages + roundUp(notesSize, 4096);
        for (int i = 1; i < rows.size(); i++) {
            String[] r = rows.get(i);
            assertEquals("LOAD", r[0]);
            long offset = hex(r[1]);
            long vaddr = hex(r[2]);
            long paddr = hex(r[3]);
            long size = hex(r[4]);
            assertEquals(size, hex(r[5]), "p_filesz = p_memsz");
            assertEquals("RWE", r[6]);
            if (i == 1) {
                assertEquals(0xffffffff81000000L + KASLR, vaddr, "kernel text first, at _text + KASLR");
                assertEquals(SyntheticSystem.X86_TEXT_PHYSICAL + KASLR, paddr);
            } else {
                assertEquals(PAGE_OFFSET + paddr, vaddr, "RAM in the direct map");
            }
            assertEquals(cursor + paddr % 4096, offset, "page-aligned data, back to back");
            cursor += roundUp(paddr + size, 4096) - paddr / 4096 * 4096;
        }
        assertEquals(0, hex(rows.get(2)[3]));
        assertEquals(0xa0000, hex(rows.get(2)[4]), "the low 640 KiB are a segment of their own");
        assertEquals(cursor, Files.size(vmcore), "st_size = headers + notes + every PT_LOAD's pages");

        Matcher notes = Pattern.compile("^\\s+(\\S+)\\s+0x(\\p{XDigit}+)\\s+(.*)$", Pattern.MULTILINE)
                .matcher(out.substring(out.indexOf("Displaying notes")));
        List<String> owners = new ArrayList<>();
        while (notes.find()) {
            owners.add(notes.group(1));
            if (notes.group(1).equals("CORE")) {
                assertEquals(336, Integer.parseInt(notes.group(2), 16), "NT_PRSTATUS of 336 bytes");
                assertTrue(notes.group(3).startsWith("NT_PRSTATUS"), notes.group(3));
            }
        }
        assertEquals(List.of("CORE", "CORE", "CORE", "CORE", "VMCOREINFO"), owners, "one per CPU, then VMCOREINFO");
    }

    /** The registers gdb shows from an x86_64 NT_PRSTATUS (fs_base, gs_base, orig_rax only when named). */
    static final List<String> REGISTERS = List.of("rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp", "r8", "r9",
            "r10", "r11", "r12", "r13", "r14", "r15", "rip", "eflags", "cs", "ss", "ds", "es", "fs", "gs", "fs_base",
            "gs_base", "orig_rax");

    /** CPU -> register name -> value, from {@code gdb -batch} on the vmcore. */
    private Map<Integer, Map<String, Long>> gdbRegisters() {
        String out = Exec.run(120, "gdb", "-nx", "-batch", "-ex", "info threads", "-ex",
                "thread apply all info registers " + String.join(" ", REGISTERS), "-c", vmcore.toString()).ok()
                .stdout();
        Map<Integer, Map<String, Long>> cpus = Gdb.registersByCpu(out);
        assertEquals(CPUS, cpus.size(), "one thread per CPU (LWP = pr_pid = cpu + 1):\n" + out);
        assertTrue(out.contains("LWP 1"), out);
        return cpus;
    }

    @Test
    void gdbShowsEveryCpusRegistersAsTheModelHasThem() {
        Requirements.tool("gdb");
        List<CpuState> model = SyntheticSystem.x86_64(MEMORY, CPUS, memory, KASLR, Instant.ofEpochSecond(CRASH_TIME))
                .cpus();
        Map<Integer, Map<String, Long>> gdb = gdbRegisters();
        for (int cpu = 0; cpu < CPUS; cpu++) {
            Map<String, Long> regs = gdb.get(cpu);
            for (String name : REGISTERS) {
                assertTrue(regs.containsKey(name), "gdb shows " + name + " of CPU " + cpu + ": " + regs);
                assertEquals(model.get(cpu).get(name), regs.get(name), "CPU " + cpu + " " + name);
            }
            long rip = model.get(cpu).get("rip");
            assertTrue(Long.compareUnsigned(rip, 0xffffffff81000000L + KASLR) >= 0, "rip in the kernel text");
        }
        assertEquals(Architecture.X86_64.registerNames().size(), model.get(0).registers().length);
    }

    private byte[] dd(String... args) throws IOException {
        Path out = Files.createTempFile("dd", ".bin");
        try {
            List<String> cmd = new ArrayList<>(List.of("dd", "if=" + vmcore, "of=" + out, "status=none"));
            cmd.addAll(List.of(args));
            Exec.run(60, null, cmd).ok();
            return Files.readAllBytes(out);
        } finally {
            Files.delete(out);
        }
    }

    @Test
    void ddAtSegmentBoundariesReturnsTheModelsBytes() throws IOException {
        List<Elf.Phdr> loads = elf.loads();
        List<Long> boundaries = new ArrayList<>();
        for (Elf.Phdr p : loads) {
            boundaries.add(p.chunkStart());
            boundaries.add(p.offset() + p.filesz());
        }
        long compared = 0;
        long size = Files.size(vmcore);
        for (long b : boundaries) {
            long page = b / 4096;
            byte[] pages = dd("bs=4096", "skip=" + (page - 1), "count=2");
            assertEquals(Math.min(8192, size - (page - 1) * 4096), pages.length, "dd bs=4096 skip=" + (page - 1)
                    + " count=2");
            compared += Expected.assertVmcoreBytes(loads, (page - 1) * 4096, pages, memory::byteAt);
            byte[] bytes = dd("bs=1", "skip=" + (b - 3), "count=7");
            assertEquals(Math.min(7, size - (b - 3)), bytes.length);
            compared += Expected.assertVmcoreBytes(loads, b - 3, bytes, memory::byteAt);
            byte[] odd = dd("bs=65536", "iflag=skip_bytes,count_bytes", "skip=" + (b - 1000), "count=5000");
            assertEquals(Math.min(5000, size - (b - 1000)), odd.length);
            compared += Expected.assertVmcoreBytes(loads, b - 1000, odd, memory::byteAt);
        }
        assertTrue(compared > 10 * 8192, "compared " + compared + " bytes of memory");
    }

    @Test
    void ddAtTheEndOfTheOneTebibyteFileStopsAtEof() throws IOException {
        long size = Files.size(vmcore);
        assertTrue(size > MEMORY - (256L << 20), "a 1 TiB machine's vmcore: " + size);
        List<Elf.Phdr> loads = elf.loads();
        long lastPage = size / 4096 - 1;
        byte[] tail = dd("bs=4096", "skip=" + (lastPage - 1), "count=5");
        assertEquals(8192, tail.length, "two pages, then EOF");
        assertEquals(8192, Expected.assertVmcoreBytes(loads, (lastPage - 1) * 4096, tail, memory::byteAt));
        byte[] unaligned = dd("bs=4096", "iflag=skip_bytes", "skip=" + (size - 100), "count=3");
        assertEquals(100, unaligned.length);
        Expected.assertVmcoreBytes(loads, size - 100, unaligned, memory::byteAt);
        assertEquals(0, dd("bs=4096", "skip=" + (size / 4096), "count=1").length, "nothing at EOF");
        assertEquals(0, dd("bs=4096", "skip=" + (size / 4096 + 10), "count=1").length, "nothing past EOF");
        // The last byte of RAM, through the last PT_LOAD.
        Elf.Phdr last = loads.get(loads.size() - 1);
        assertEquals(size, last.offset() + last.filesz());
        assertEquals(memory.byteAt(last.paddr() + last.filesz() - 1), m.read("proc/vmcore", size - 1, 1)[0]);
    }

    @Test
    void oldmemEndsAtTheEndOfRam() throws IOException {
        Path oldmem = m.path("dev/oldmem");
        long end = Files.size(oldmem);
        Path out = Files.createTempFile("dd", ".bin");
        try {
            Exec.run(60, "dd", "if=" + oldmem, "of=" + out, "status=none", "bs=4096", "skip=" + (end / 4096 - 1),
                    "count=3").ok();
            byte[] last = Files.readAllBytes(out);
            assertEquals(4096, last.length, "the last page of RAM, then EOF");
            for (int i = 0; i < last.length; i++) {
                assertEquals(memory.byteAt(end - 4096 + i), last[i], "oldmem at 0x" + Long.toHexString(end - 4096 + i));
            }
        } finally {
            Files.delete(out);
        }
    }

    private long savedBlocks() throws IOException {
        JsonNode s = m.stats().get("savedArea");
        return s.get("blocks").asLong();
    }

    @Test
    void readsFetchSavedBlocksOnlyForTheLow640KiB() throws IOException {
        long before = savedBlocks();
        long middle = Files.size(vmcore) / 2 / 4096 * 4096;
        byte[] page = m.read("proc/vmcore", middle, 4096);
        Expected.assertVmcoreBytes(elf.loads(), middle, page, memory::byteAt);
        assertEquals(before, savedBlocks(), "4 KiB from the middle of the vmcore fetch no saved-area block");

        Elf.Phdr low = elf.loads().stream().filter(p -> p.paddr() == 0).findFirst().orElseThrow();
        assertEquals(0xa0000, low.filesz());
        byte[] backup = dd("bs=65536", "iflag=skip_bytes,count_bytes", "skip=" + low.offset(), "count=" + 0xa0000);
        assertEquals(0xa0000, backup.length);
        assertEquals(0xa0000, Expected.assertVmcoreBytes(elf.loads(), low.offset(), backup, memory::byteAt),
                "the crash-time low memory, from the backup");
        JsonNode area = m.stats().get("savedArea");
        assertEquals(before + 160, area.get("blocks").asLong(), "the 640 KiB segment is 160 blocks, each fetched once");
        assertEquals(0, area.get("failures").asLong());
        assertTrue(m.stats().get("files").get("/proc/vmcore").get("bytesRead").asLong() >= 0xa0000 + 4096);
    }

    @Test
    void writingTheDumpFilesFailsAsTheKernelsDo() {
        for (String[] c : new String[][] {{"proc/vmcore", "Input/output error"}, {"dev/oldmem", "Invalid argument"}}) {
            Exec.Result r = Exec.run(30, "sh", "-c", "printf x | dd of=" + m.path(c[0]) + " conv=notrunc status=none");
            assertTrue(r.exit() != 0, "a write to " + c[0] + " must fail");
            assertTrue(r.stderr().contains(c[1]), c[0] + ": " + r.stderr());
        }
    }

    @Test
    void dumpFilesAreOwnerReadOnlyOwnedByTheMounterAndDatedAtTheCrash() throws IOException {
        String uid = Exec.run(10, "id", "-u").ok().stdout().trim();
        for (String f : List.of("proc/vmcore", "dev/oldmem")) {
            Path p = m.path(f);
            assertEquals(Set.of(PosixFilePermission.OWNER_READ), Files.getPosixFilePermissions(p), f);
            String stat = Exec.run(10, "stat", "-c", "%a %u %Y %F", p.toString()).ok().stdout().trim();
            assertEquals("400 " + uid + " " + CRASH_TIME + " regular file", stat, f);
        }
        long endOfRam = SyntheticSystem.x86Ram(MEMORY).get(2).end();
        assertEquals(endOfRam, Files.size(m.path("dev/oldmem")), "oldmem's size is the end of RAM");
    }
}
