package org.vmcorefs.format.env;

import org.vmcorefs.format.DumpPaths;
import org.vmcorefs.format.env.zfcpdump.ZcoreViewTest;
import org.vmcorefs.format.view.VirtualFile;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.vmcorefs.machine.DumpException;
import org.vmcorefs.machine.Errno;
import org.vmcorefs.machine.FaultInjection;
import org.vmcorefs.machine.Machine;

/** zcore/hsa reads only the first character, as the kernel does: "0junk" releases, noted or refused. */
class ControlInputLeniencyTest {
    private static int write(VirtualFile f, String text) throws DumpException {
        return f.open().write(0, ByteBuffer.wrap(text.getBytes(StandardCharsets.US_ASCII)));
    }

    private static long tolerated(Machine m) {
        return m.events().events().stream().filter(e -> e.kind().equals(KernelLeniency.EVENT)).count();
    }

    @Test
    void byDefaultZeroFollowedByJunkReleasesTheHsaWithAWarningCounted() throws DumpException {
        Machine m = ZcoreViewTest.machine(FaultInjection.NONE);
        VirtualFile hsa = CaptureEnvironment.of(m).file(DumpPaths.ZCORE_HSA);
        assertEquals(6, write(hsa, "0junk\n"));
        assertTrue(m.savedArea().released());
        assertEquals(1, tolerated(m));
    }

    @Test
    void aPlainZeroIsNotOdd() throws DumpException {
        Machine m = ZcoreViewTest.machine(FaultInjection.NONE);
        assertEquals(2, write(CaptureEnvironment.of(m).file(DumpPaths.ZCORE_HSA), "0\n"));
        assertTrue(m.savedArea().released());
        assertEquals(0, tolerated(m));
    }

    @Test
    void underStrictZeroFollowedByJunkIsEinvalAndKeepsTheHsa() throws DumpException {
        Machine m = ZcoreViewTest.machine(FaultInjection.NONE);
        VirtualFile hsa = CaptureEnvironment.of(m, true).file(DumpPaths.ZCORE_HSA);
        DumpException e = assertThrows(DumpException.class, () -> write(hsa, "0junk\n"));
        assertEquals(Errno.EINVAL, e.errno());
        assertFalse(m.savedArea().released());
        assertEquals(0, m.events().events().size());
        assertEquals(2, write(hsa, "0\n"));
        assertTrue(m.savedArea().released());
    }
}
