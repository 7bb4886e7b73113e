package org.vmcorefs.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.vmcorefs.machine.Architecture;
import org.vmcorefs.machine.CpuState;
import org.vmcorefs.machine.memory.SyntheticMemory;
import org.vmcorefs.machine.synthetic.SyntheticPowerSystem;

/** The ppc64le-fadump profile on a real mount: the vmcore for readelf and gdb, and the fadump sysfs files. */
class PowerFadumpMountTest {
    private static final long SEED = 9;
    private static final long GIB = 1L << 30;

    private static Exec.Result bash(String script) {
        return Exec.run(60, "bash", "-c", script);
    }

    private static String cat(Mounted m, String path) {
        return Exec.run(30, "cat", m.path(path).toString()).ok().stdout();
    }

    /** Writes with echo; returns "" on success, else what bash said. */
    private static String echo(Mounted m, String text, String path) {
        Exec.Result r = bash("echo " + text + " > " + m.path(path));
        return r.exit() == 0 ? "" : r.stderr();
    }

    @Test
    void vmcoreAndTheFadumpFilesFollowTheKernel() throws Exception {
        try (Mounted m = Mounted.mount("--profile", "ppc64le-fadump", "--memory", "1G", "--cpus", "2", "--seed",
                String.valueOf(SEED))) {
            String vmcore = m.path("proc/vmcore").toString();
            String elf = Exec.run(60, "readelf", "-h", "-l", "-n", "-W", vmcore).ok().stdout();
            assertTrue(elf.contains("2's complement, little endian"), elf);
            assertTrue(elf.contains("PowerPC64"), elf);
            assertEquals(2, elf.split("NT_PRSTATUS", -1).length - 1, elf);
            assertTrue(elf.matches("(?s).*LOAD +0x0*20000 0xc000000000000000 0x0+ 0x0*10000000 0x0*10000000 RWE.*"),
                    elf);
            assertTrue(elf.matches("(?s).*LOAD +0x\\p{XDigit}+ 0xc000000020030000 0x0*20030000 0x0*1ffd0000 "
                    + "0x0*1ffd0000 RWE.*"), elf);

            Requirements.tool("gdb-multiarch");
            List<CpuState> cpus = SyntheticPowerSystem.system(Architecture.PPC64LE, GIB, 2,
                    new SyntheticMemory(SEED, 1.0), Instant.EPOCH).cpus();
            String gdb = Exec.run(120, "gdb-multiarch", "-nx", "-batch", "-ex",
                    "set architecture powerpc:common64", "-ex", "core-file " + vmcore, "-ex", "info threads",
                    "-ex", "thread 2", "-ex", "info registers pc msr r1").all();
            // The fadump kernel writes pr_pid 0 on every CPU (fadump_regs_to_elf_notes sets no pid): gdb, which
            // names a core's threads by pr_pid, keeps one of them (thread 2, with CPU 0's registers).
            assertEquals(List.of(0, 0), VmlinuxCurrentTaskTest.prPids(m.path("proc/vmcore")), "pr_pid");
            assertEquals(1, gdb.split("\n\\*? +\\d+ +process ", -1).length - 1, gdb);
            for (String[] r : new String[][] {{"pc", "nip"}, {"msr", "msr"}, {"r1", "r1"}}) {
                Matcher v = Pattern.compile("(?m)^" + r[0] + " +0x(\\p{XDigit}+)").matcher(gdb);
                assertTrue(v.find(), gdb);
                assertEquals(cpus.get(0).get(r[1]), Long.parseUnsignedLong(v.group(1), 16), r[0] + "\n" + gdb);
            }

            // A piece of the boot memory (read from the firmware's copy) and one of the memory above the dump area.
            SyntheticMemory model = new SyntheticMemory(SEED, 1.0);
            for (long[] p : new long[][] {{0x20000 + 0x100000, 0x100000}, {0x10020000L + 0x10000, 0x20040000L}}) {
                java.nio.file.Path piece = java.nio.file.Files.createTempFile("fadump", ".piece");
                byte[] got;
                try {
                    bash(String.format("dd if=%s of=%s bs=65536 skip=%d count=4 status=none", vmcore, piece,
                            p[0] / 65536)).ok();
                    got = java.nio.file.Files.readAllBytes(piece);
                } finally {
                    java.nio.file.Files.delete(piece);
                }
                ByteBuffer want = ByteBuffer.allocate(4 * 65536);
                model.read(p[1], want);
                assertArrayEquals(want.array(), got, "physical 0x" + Long.toHexString(p[1]));
                assertEquals(model.byteAt(p[1] + 12345), got[12345]);
            }

            assertEquals("1\n", cat(m, "sys/kernel/fadump/enabled"));
            assertEquals("0\n", cat(m, "sys/kernel/fadump/registered"));
            assertEquals(String.valueOf(0x10030000L) + "\n", cat(m, "sys/kernel/fadump/mem_reserved"));
            assertTrue(echo(m, "1", "sys/kernel/fadump/registered").contains("Operation not permitted"));
            assertTrue(echo(m, "2", "sys/kernel/fadump/release_mem").contains("Invalid argument"));
            assertTrue(echo(m, "hello", "sys/kernel/fadump/release_mem").contains("Invalid argument"));
            assertTrue(java.nio.file.Files.exists(m.path("proc/vmcore")));
            assertEquals(0, m.stats().get("events").size());

            assertEquals("", echo(m, "1", "sys/kernel/fadump/release_mem"));
            Exec.Result gone = bash("dd if=" + vmcore + " of=/dev/null bs=4096 count=1 status=none");
            assertNotEquals(0, gone.exit());
            for (int i = 0; i < 30 && java.nio.file.Files.exists(m.path("proc/vmcore")); i++) {
                Thread.sleep(100);
            }
            assertFalse(java.nio.file.Files.exists(m.path("proc/vmcore")));
            assertTrue(echo(m, "1", "sys/kernel/fadump/release_mem").contains("Operation not permitted"));
            assertEquals("0\n", cat(m, "sys/kernel/fadump/registered"));
            assertEquals("", echo(m, "1", "sys/kernel/fadump/registered"));
            assertEquals("1\n", cat(m, "sys/kernel/fadump/registered"));
            assertTrue(echo(m, "2", "sys/kernel/fadump/registered").contains("Invalid argument"));
            assertEquals("1\n", cat(m, "sys/kernel/fadump/registered"));

            JsonNode fw = m.stats().get("firmwareDump");
            assertFalse(fw.get("dumpActive").asBoolean());
            assertEquals(0, fw.get("stillReservedBytes").asLong());
            assertEquals(GIB - 0x10000000L, fw.get("releasedBytes").asLong());
        }
    }
}
