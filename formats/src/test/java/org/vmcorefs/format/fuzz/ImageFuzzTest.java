package org.vmcorefs.format.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.vmcorefs.format.env.CaptureEnvironment;
import org.vmcorefs.format.MachineFactory;
import org.vmcorefs.format.MachineSpec;
import org.vmcorefs.machine.DumpException;
import org.vmcorefs.machine.Machine;
import org.vmcorefs.machine.MemoryRange;
import org.vmcorefs.format.env.CaptureEnvironment;
import org.vmcorefs.format.env.CaptureEnvironments;

/**
 * Fuzzes every input reader through the one door an --image goes through: the bytes are written to a file and
 * mounted with {@link MachineFactory#create} (the probe loop: kdump-compressed, foreign formats, ELF core, s390
 * dump, raw image), and if a machine comes out, every file of its tree is read at its edges. What must hold: a
 * DumpException (a clear message with an errno) or a machine whose files read; never another exception, a hang,
 * or an allocation out of proportion to the input ({@link FuzzBounds}).
 *
 * <p>One target per reader, each seeded with heads of its format (ImageFuzzTestInputs/TARGET, see the README
 * there): `make test` replays them all, `make fuzz` fuzzes each for a bounded time.
 */
public class ImageFuzzTest {
    private static final CaptureEnvironment[] ALL = CaptureEnvironments.ALL.toArray(new CaptureEnvironment[0]);
    private static Path image;
    private static long runs;
    private static long descriptorsAtStart = -1;

    @BeforeAll
    static void createImageFile() throws IOException {
        image = Files.createTempFile("fuzz-image", ".img");
        descriptorsStayFlat();
    }

    @AfterAll
    static void deleteImageFile() throws IOException {
        descriptorsStayFlat();
        Files.deleteIfExists(image);
    }

    /**
     * No descriptor stays reachable from a mount that is gone: after a collection (MachineFactory leaves the
     * channel of a refused image to its cleaner) the process has no more descriptors than at the start.
     */
    private static void descriptorsStayFlat() throws IOException {
        if (descriptorsAtStart < 0) {
            descriptorsAtStart = descriptors();
            return;
        }
        for (int i = 0; i < 5 && descriptors() > descriptorsAtStart + 16; i++) {
            System.gc();
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        long now = descriptors();
        if (now > descriptorsAtStart + 16) {
            throw new AssertionError("descriptors grew from " + descriptorsAtStart + " to " + now + " after " + runs
                    + " inputs, with every machine unreachable");
        }
    }

    private static long descriptors() throws IOException {
        try (var s = Files.list(Path.of("/proc/self/fd"))) {
            return s.count();
        }
    }

    /** ELF cores of every architecture (QEMU, a real /proc/vmcore, the mount's own renderings). */
    @FuzzTest(maxDuration = "60s")
    void elfImage(byte[] data) throws Exception {
        mountAndRead(data, ALL);
    }

    /** kdump-compressed dumps (makedumpfile -c, QEMU -z): header, sub-header, bitmaps, descriptors, pages. */
    @FuzzTest(maxDuration = "60s")
    void kdumpCompressedImage(byte[] data) throws Exception {
        mountAndRead(data, CaptureEnvironments.X86_64_KDUMP, CaptureEnvironments.PPC64_PHYP);
    }

    /** s390 dumps (the zcore/stand-alone dump format: header, memory, end marker). */
    @FuzzTest(maxDuration = "60s")
    void s390DumpImage(byte[] data) throws Exception {
        mountAndRead(data, CaptureEnvironments.S390X_ZFCPDUMP, CaptureEnvironments.X86_64_KDUMP);
    }

    /** Whatever no reader claims: foreign formats refused by name, anything else a raw memory image. */
    @FuzzTest(maxDuration = "60s")
    void rawOrForeignImage(byte[] data) throws Exception {
        mountAndRead(data, ALL);
    }

    /**
     * The spec of a mount of {@code image} with profile {@code p}: as the command line makes it, except that an
     * s390 machine gets a one-page HSA, so that small s390 dumps (the seeds) fit their HSA inside their memory.
     */
    public static MachineSpec spec(CaptureEnvironment p, Path image) {
        MachineSpec s = MachineSpec.synthetic(p, 64L << 20, 2, 1).withImage(image);
        if (p != CaptureEnvironments.S390X_ZFCPDUMP) {
            return s;
        }
        return s.withOption("--hsa-size", "4096");
    }

    private static void mountAndRead(byte[] data, CaptureEnvironment... profiles) throws Exception {
        if (++runs % 256 == 0) {
            descriptorsStayFlat();
        }
        Files.write(image, data);
        FuzzBounds.check(data.length, () -> {
            for (CaptureEnvironment p : profiles) {
                Machine machine;
                try {
                    machine = MachineFactory.create(spec(p, image));
                } catch (DumpException expected) {
                    // Refused with a clear message (truncated, corrupt, another architecture, a foreign format).
                    continue;
                }
                FuzzBounds.readAll(CaptureEnvironment.of(machine));
            }
        });
    }
}
