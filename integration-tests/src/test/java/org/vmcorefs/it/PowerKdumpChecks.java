package org.vmcorefs.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.vmcorefs.machine.Architecture;
import org.vmcorefs.machine.CpuState;
import org.vmcorefs.machine.memory.SyntheticMemory;

/**
 * The checks the ppc64-kdump and ppc64le-kdump mount tests share, with expectations from kexec-tools' and the
 * kernel's rules (crashdump-ppc64.c, fs/proc/vmcore.c), never from vmcorefs's read path.
 */
final class PowerKdumpChecks {
    static final long KB64 = 0x10000;
    static final long PAGE_OFFSET = 0xc000000000000000L;
    /** kexec-tools put the backup of the first 64 KiB behind the 0x2880000-byte capture kernel. */
    static final long BACKUP_AT_OFFSET = 0x2880000L;
    /** Where prom_init put RTAS (below 768 MiB) and the page kexec-tools lists when the reservation holds it. */
    static final long RTAS_PAGE = 0x2fff0000L;
    /** The real ppc64le guests' dumps. */
    static final Path ARCH_DIR = Fixtures.ARCH_ROOT.resolve("ppc64le");

    private PowerKdumpChecks() {
    }

    /** {@code p}, a file of the ppc64le fixtures; fails the test (CI) or skips it (VMCOREFS_MAY_SKIP) if missing. */
    static Path fixture(String name) {
        return Fixtures.arch(ARCH_DIR.resolve(name));
    }

    static long hex(String s) {
        return Long.parseUnsignedLong(s.replaceFirst("^0x", ""), 16);
    }

    /** Seconds from {@code bin/vmcorefs mount} to a stat of the vmcore, then unmounts. */
    static double mountSeconds(String profile, String memory) throws Exception {
        long start = System.nanoTime();
        try (Mounted m = Mounted.mount("--profile", profile, "--memory", memory, "--cpus", "2")) {
            assertTrue(Files.size(m.path("proc/vmcore")) > 0);
            return (System.nanoTime() - start) / 1e9;
        }
    }

    /**
     * readelf's view of {@code vmcore}: header, the PT_NOTE at the first 64 KiB boundary, then exactly the
     * PT_LOADs {@code expect} ({vaddr-less paddr, size} pairs; p_vaddr = 0xc000000000000000 + p_paddr), page-
     * aligned data back to back, p_align 0, {@code cpus} 504-byte NT_PRSTATUS notes then VMCOREINFO.
     */
    static void checkLayout(Path vmcore, Architecture arch, int cpus, long[][] expect) throws Exception {
        Requirements.tool("readelf");
        String out = Exec.run(60, "readelf", "-h", "-l", "-n", "-W", vmcore.toString()).ok().stdout();
        assertTrue(out.contains("CORE (Core file)"), out);
        assertTrue(out.contains("PowerPC64"), out);
        assertTrue(out.contains(arch == Architecture.PPC64LE ? "little endian" : "big endian"), out);
        List<String[]> rows = Readelf.segments(out);
        assertEquals(1 + expect.length, rows.size(), out);
        assertEquals("NOTE", rows.get(0)[0]);
        assertEquals(KB64, hex(rows.get(0)[1]), "notes at the first 64 KiB boundary, as the kernel puts them");
        long cursor = KB64 + (hex(rows.get(0)[4]) + KB64 - 1) / KB64 * KB64;
        for (int i = 1; i < rows.size(); i++) {
            String[] r = rows.get(i);
            assertEquals("LOAD", r[0]);
            assertEquals(cursor, hex(r[1]), "64 KiB-page data back to back, LOAD " + i);
            assertEquals(PAGE_OFFSET + expect[i - 1][0], hex(r[2]), "p_vaddr of LOAD " + i + "\n" + out);
            assertEquals(expect[i - 1][0], hex(r[3]), "p_paddr of LOAD " + i + "\n" + out);
            assertEquals(expect[i - 1][1], hex(r[4]), "p_filesz of LOAD " + i + "\n" + out);
            assertEquals(hex(r[4]), hex(r[5]));
            assertEquals("RWE", r[6]);
            assertEquals(0, hex(r[7]), "p_align 0, as the real ppc64le vmcore");
            cursor += hex(r[4]);
        }
        assertEquals(cursor, Files.size(vmcore));
        List<String> owners = new ArrayList<>();
        for (String note : Readelf.notes(out)) {
            String[] n = note.split(" ");
            owners.add(n[0]);
            if (n[0].equals("CORE")) {
                assertEquals(504, Integer.parseInt(n[1]), "ppc64 NT_PRSTATUS of 504 bytes");
            }
        }
        List<String> want = new ArrayList<>();
        for (int i = 0; i < cpus; i++) {
            want.add("CORE");
        }
        want.add("VMCOREINFO");
        assertEquals(want, owners);
    }

    /** gdb-multiarch (powerpc:common64, the core's byte order) shows every CPU's registers as the model has them. */
    static void checkGdb(Path vmcore, Architecture arch, List<CpuState> model) {
        Requirements.tool("gdb-multiarch");
        String out = Exec.run(120, "gdb-multiarch", "-nx", "-batch", "-ex", "set architecture powerpc:common64",
                "-ex", "set endian " + (arch == Architecture.PPC64LE ? "little" : "big"), "-ex",
                "core-file " + vmcore, "-ex", "info threads", "-ex",
                "thread apply all info registers pc msr r1 r2 r13 lr", "-ex", "show endian").all();
        Map<Integer, Map<String, Long>> cpus = Gdb.registersByCpu(out);
        assertEquals(model.size(), cpus.size(), out);
        for (CpuState cpu : model) {
            Map<String, Long> got = cpus.get(cpu.index());
            for (String[] r : new String[][] {{"pc", "nip"}, {"msr", "msr"}, {"r1", "r1"}, {"r2", "r2"},
                {"r13", "r13"}, {"lr", "link"}}) {
                assertEquals(cpu.get(r[1]), got.get(r[0]), r[0] + " of CPU " + cpu.index() + "\n" + out);
            }
        }
        assertTrue(out.contains(arch == Architecture.PPC64LE ? "little endian" : "big endian"), out);
    }

    /** libkdumpfile names the architecture ppc64 and reads the model's bytes at physical and linear-map addresses. */
    static void checkLibkdumpfile(Path vmcore, SyntheticMemory memory, long[] physical) {
        Requirements.pythonModule("kdumpfile", "python3-libkdumpfile");
        StringBuilder program = new StringBuilder("import sys, kdumpfile\n"
                + "k = kdumpfile.kdumpfile(sys.argv[1])\n"
                + "print('arch', k.attr['arch.name'])\n");
        for (long a : physical) {
            program.append("print(k.read(kdumpfile.KDUMP_MACHPHYSADDR, ").append(a).append(", 64).hex())\n");
            program.append("print(k.read(kdumpfile.KDUMP_KVADDR, ").append(PAGE_OFFSET + a).append(", 64).hex())\n");
        }
        String out = Exec.run(60, program.toString(), List.of("/usr/bin/python3", "-", vmcore.toString())).ok()
                .stdout();
        String[] lines = out.trim().split("\n");
        assertEquals("arch ppc64", lines[0], out);
        for (int i = 0; i < physical.length; i++) {
            String want = HexFormat.of().formatHex(bytes(memory, physical[i], 64));
            assertEquals(want, lines[1 + 2 * i], "physical 0x" + Long.toHexString(physical[i]));
            assertEquals(want, lines[2 + 2 * i], "virtual 0x" + Long.toHexString(PAGE_OFFSET + physical[i]));
        }
    }

    /**
     * The first 64 KiB: /proc/vmcore shows them as they were at the crash (the backup purgatory made), /dev/oldmem
     * shows the capture kernel's bytes there and the backup copy behind the capture kernel in the reservation;
     * the RTAS page inside the reservation stays as it was when {@code rtasInside}.
     */
    static void checkBackup(Mounted m, SyntheticMemory memory, long crashkernelStart, boolean rtasInside)
            throws Exception {
        byte[] low = bytes(memory, 0, (int) KB64);
        assertArrayEquals(low, m.read("proc/vmcore", 2 * KB64, (int) KB64), "LOAD 0 holds the first 64 KiB");
        com.fasterxml.jackson.databind.JsonNode saved = m.stats().get("savedArea");
        assertEquals("kexec backup region", saved.get("interface").asText(), saved.toString());
        assertEquals(0, saved.get("start").asLong());
        assertEquals(KB64, saved.get("size").asLong(), "BACKUP_SRC_SIZE");
        assertTrue(saved.get("blocks").asLong() >= 1, "the read went through the backup: " + saved);
        assertTrue(!Arrays.equals(low, m.read("dev/oldmem", 0, (int) KB64)),
                "the capture kernel's vectors are at 0 now");
        assertArrayEquals(low, m.read("dev/oldmem", crashkernelStart + BACKUP_AT_OFFSET, (int) KB64),
                "the backup behind the capture kernel");
        long inside = crashkernelStart + 0x1000000;
        assertTrue(!Arrays.equals(bytes(memory, inside, 4096), m.read("dev/oldmem", inside, 4096)),
                "the capture kernel's reservation is overwritten");
        if (rtasInside) {
            assertArrayEquals(bytes(memory, RTAS_PAGE, (int) KB64), m.read("dev/oldmem", RTAS_PAGE, (int) KB64),
                    "the RTAS firmware in the reservation is left alone");
        }
    }

    /** {@code vmcorefs save} of a small machine gives the mounted /proc/vmcore byte for byte. */
    static void checkSave(String... mountOptions) throws Exception {
        Path dir = Files.createTempDirectory("vmcorefs-ppc64kdump-save");
        Path out = dir.resolve("vmcore");
        try (Mounted small = Mounted.mount(mountOptions)) {
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

    static byte[] bytes(SyntheticMemory memory, long address, int length) {
        ByteBuffer b = ByteBuffer.allocate(length);
        memory.read(address, b);
        return b.array();
    }
}
