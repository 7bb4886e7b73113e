package org.vmcorefs.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.vmcorefs.machine.Architecture;
import org.vmcorefs.machine.memory.SyntheticMemory;
import org.vmcorefs.machine.synthetic.SyntheticPowerSystem;

/**
 * The ppc64-kdump (big-endian) profile on a real mount: a 1 GiB machine with the real ppc64le guest's
 * crashkernel=320M, whose vmcore has the real one's PT_LOADs and size, checked with readelf, gdb-multiarch and
 * libkdumpfile; 1 TiB mounts as fast; save.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class Ppc64KdumpMountTest {
    static final long SEED = 17;
    static final long MEMORY = 1L << 30;
    static final int CPUS = 3;
    static final Architecture ARCH = Architecture.PPC64;
    static final long CK_START = 512L << 20;
    static final long CK_SIZE = 320L << 20;

    private Mounted m;
    private Path vmcore;
    private double mountSeconds;
    private final SyntheticMemory memory = new SyntheticMemory(SEED, 1.0);

    @BeforeAll
    void mount() throws IOException {
        long start = System.nanoTime();
        m = Mounted.mount("--profile", "ppc64-kdump", "--memory", "1G", "--cpus", String.valueOf(CPUS), "--seed",
                String.valueOf(SEED), "--crashkernel", "320M");
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

    @Test
    void oneTebibyteMountsAboutAsFastAsOneGibibyte() throws Exception {
        double tib = PowerKdumpChecks.mountSeconds("ppc64-kdump", "1T");
        double gib = PowerKdumpChecks.mountSeconds("ppc64-kdump", "1G");
        System.out.printf("ppc64-kdump mount to first stat: 1 GiB %.2f s (first), 1 TiB %.2f s, 1 GiB %.2f s%n",
                mountSeconds, tib, gib);
        assertTrue(tib <= 2 * Math.min(gib, mountSeconds) + 1, String.format("1 TiB %.2f s, 1 GiB %.2f s", tib, gib));
        assertTrue(tib < 15, String.format("1 TiB took %.2f s to mount", tib));
    }

    @Test
    void readelfShowsTheRealGuestsLayout() throws Exception {
        // As the real ppc64le guest's vmcore (1 GiB, crashkernel=320M): the RTAS page at 0x2fff0000 last.
        PowerKdumpChecks.checkLayout(vmcore, ARCH, CPUS, new long[][] {{0, 0x10000}, {0x10000, CK_START - 0x10000},
            {CK_START + CK_SIZE, MEMORY - CK_START - CK_SIZE}, {PowerKdumpChecks.RTAS_PAGE, 0x10000}});
        assertEquals(738394112L, Files.size(vmcore), "the real guest's vmcore size (notes under 64 KiB)");
    }

    @Test
    void theFirst64KiBComeFromTheBackup() throws Exception {
        PowerKdumpChecks.checkBackup(m, memory, CK_START, true);
    }

    @Test
    void gdbMultiarchShowsEveryCpusRegisters() {
        PowerKdumpChecks.checkGdb(vmcore, ARCH, SyntheticPowerSystem.system(ARCH, MEMORY, CPUS, memory,
                Instant.EPOCH).cpus());
    }

    @Test
    void libkdumpfileReadsPhysicalAndVirtualAddresses() {
        PowerKdumpChecks.checkLibkdumpfile(vmcore, memory, new long[] {0x40, 0x123456, CK_START + CK_SIZE,
            MEMORY - 64});
    }

    @Test
    void aReservationThatDoesNotFitIsAUsageError() throws Exception {
        Path dir = Files.createTempDirectory("vmcorefs-ppc64kdump-bad");
        try {
            Exec.Result r = Mounted.mountFails(dir, "--profile", "ppc64-kdump", "--memory", "768M", "--crashkernel",
                    "512M");
            assertTrue(r.exit() != 0, r.all());
            assertTrue(r.all().contains("--crashkernel"), r.all());
        } finally {
            Files.deleteIfExists(dir);
        }
    }

    @Test
    void saveCopiesTheVmcore() throws Exception {
        // 768M: 128M at 512 MiB, below the RTAS page.
        PowerKdumpChecks.checkSave("--profile", "ppc64-kdump", "--memory", "768M", "--cpus", "2", "--seed", "5",
                "--populated", "0.25");
    }
}
