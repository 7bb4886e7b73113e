package org.vmcorefs.format;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vmcorefs.format.env.CaptureEnvironment;
import org.vmcorefs.format.env.CaptureEnvironments;
import org.vmcorefs.format.view.VirtualFile;
import org.vmcorefs.machine.Machine;

/** The profile an --image gets when none is named: its architecture's first, from the image's header alone. */
class ProfileForImageTest {
    @TempDir
    Path dir;

    /** The first {@code bytes} of {@code path} in {@code m}'s tree, as a file (headers are all the probe reads). */
    private Path head(Machine m, String path, int bytes) throws Exception {
        VirtualFile f = CaptureEnvironment.of(m).file(path);
        ByteBuffer b = ByteBuffer.allocate((int) Math.min(bytes, f.size()));
        f.read(0, b);
        Path out = Files.createTempFile(dir, "head", ".img");
        Files.write(out, b.array());
        return out;
    }

    @Test
    void eachArchitecturesVmcoreGetsItsFirstProfile() throws Exception {
        for (CaptureEnvironment env : CaptureEnvironments.ALL) {
            Machine m = MachineFactory.create(MachineSpec.synthetic(env, 1L << 30, 2, 3));
            Path image = head(m, DumpPaths.VMCORE, 1 << 16);
            CaptureEnvironment expected = CaptureEnvironments.forArchitecture(env.architecture());
            assertSame(expected, MachineFactory.profileFor(image), env + "'s vmcore");
            assertEquals(env.architecture(), expected.architecture());
        }
        assertEquals("arm64-kdump", CaptureEnvironments.forArchitecture(
                CaptureEnvironments.byId("arm64-kdump").architecture()).id());
        assertEquals("ppc64-phyp", CaptureEnvironments.forArchitecture(
                CaptureEnvironments.PPC64_FADUMP.architecture()).id(), "ppc64's first profile");
        assertEquals("ppc64le-kdump", CaptureEnvironments.forArchitecture(
                CaptureEnvironments.PPC64LE_FADUMP.architecture()).id(), "ppc64le's first profile");
    }

    @Test
    void anS390DumpIsS390AndARawImageTheDefault() throws Exception {
        Machine s390 = MachineFactory.create(MachineSpec.synthetic(CaptureEnvironments.S390X_ZFCPDUMP, 256L << 20,
                2, 3));
        assertSame(CaptureEnvironments.S390X_ZFCPDUMP, MachineFactory.profileFor(head(s390, DumpPaths.S390_DUMP,
                1 << 16)));
        Path raw = Files.write(dir.resolve("raw.img"), new byte[1 << 16]);
        assertSame(CaptureEnvironments.ALL.get(0), MachineFactory.profileFor(raw));
    }
}
