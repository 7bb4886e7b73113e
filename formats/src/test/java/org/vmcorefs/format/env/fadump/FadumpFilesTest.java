package org.vmcorefs.format.env.fadump;

import org.vmcorefs.format.DumpPaths;
import org.vmcorefs.format.PowerMachines;
import org.vmcorefs.format.env.CaptureEnvironment;
import org.vmcorefs.format.env.CaptureEnvironments;
import org.vmcorefs.format.view.DumpTree;
import org.vmcorefs.format.view.VirtualFile;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.vmcorefs.machine.DumpException;
import org.vmcorefs.machine.Errno;
import org.vmcorefs.machine.Machine;

/** /sys/kernel/fadump/*: modes, values and the errno of each store, before and after release_mem. */
class FadumpFilesTest {
    private final Machine machine;
    private final DumpTree tree;

    FadumpFilesTest() throws DumpException {
        machine = PowerMachines.machine(CaptureEnvironments.PPC64_FADUMP, 2);
        tree = CaptureEnvironment.of(machine);
    }

    private String read(String path) throws DumpException {
        VirtualFile f = tree.file(path).open();
        ByteBuffer b = ByteBuffer.allocate(4096);
        int n = f.read(0, b);
        return new String(b.array(), 0, n, StandardCharsets.US_ASCII);
    }

    private void write(String path, String text) throws DumpException {
        byte[] bytes = text.getBytes(StandardCharsets.US_ASCII);
        assertEquals(bytes.length, tree.file(path).open().write(0, ByteBuffer.wrap(bytes)));
    }

    private Errno fails(String path, String text) {
        return assertThrows(DumpException.class, () -> write(path, text), path + " < " + text).errno();
    }

    @Test
    void modesAndValuesAfterACrash() throws DumpException {
        assertEquals(0444, tree.file(DumpPaths.FADUMP_ENABLED).mode());
        assertEquals(0644, tree.file(DumpPaths.FADUMP_REGISTERED).mode());
        assertEquals(0444, tree.file(DumpPaths.FADUMP_MEM_RESERVED).mode());
        assertEquals(0200, tree.file(DumpPaths.FADUMP_RELEASE_MEM).mode());
        assertEquals("1\n", read(DumpPaths.FADUMP_ENABLED));
        assertEquals("0\n", read(DumpPaths.FADUMP_REGISTERED));
        // CPU state (64 KiB) + HPTE (64 KiB) + the 256 MiB boot memory copy + a page of headers.
        assertEquals((0x10000000L + 3 * 0x10000) + "\n", read(DumpPaths.FADUMP_MEM_RESERVED));
        assertEquals(Errno.EACCES, assertThrows(DumpException.class, () -> read(DumpPaths.FADUMP_RELEASE_MEM)).errno());
        assertEquals(Errno.EACCES, fails(DumpPaths.FADUMP_ENABLED, "0\n"));
    }

    @Test
    void registeredRefusesWhileTheDumpIsActive() {
        assertEquals(Errno.EPERM, fails(DumpPaths.FADUMP_REGISTERED, "1\n"));
        assertEquals(Errno.EPERM, fails(DumpPaths.FADUMP_REGISTERED, "hello\n"));
    }

    @Test
    void releaseMemTakesVmcoreAwayThenRefuses() throws DumpException {
        for (String bad : new String[] {"2\n", "0\n", "hello\n", " 1\n", "1 \n", "1\n\n", "99999999999\n", ""}) {
            assertEquals(Errno.EINVAL, fails(DumpPaths.FADUMP_RELEASE_MEM, bad), bad);
            assertNotNull(tree.file(DumpPaths.VMCORE));
        }
        VirtualFile openBefore = tree.file(DumpPaths.VMCORE).open();
        write(DumpPaths.FADUMP_RELEASE_MEM, "1\n");
        assertNull(tree.file(DumpPaths.VMCORE));
        assertEquals(Errno.EIO, assertThrows(DumpException.class,
                () -> openBefore.read(0, ByteBuffer.allocate(64))).errno());
        assertEquals(Errno.EPERM, fails(DumpPaths.FADUMP_RELEASE_MEM, "1\n"));
        assertEquals("0\n", read(DumpPaths.FADUMP_REGISTERED));
        assertEquals(1, machine.events().events().stream().filter(e -> e.kind().equals("invalidate")).count());
    }

    @Test
    void registeredTakesZeroOrOneOnceReleased() throws DumpException {
        write(DumpPaths.FADUMP_RELEASE_MEM, "0x1");
        write(DumpPaths.FADUMP_REGISTERED, "1\n");
        assertEquals("1\n", read(DumpPaths.FADUMP_REGISTERED));
        write(DumpPaths.FADUMP_REGISTERED, "01");
        assertEquals("1\n", read(DumpPaths.FADUMP_REGISTERED));
        write(DumpPaths.FADUMP_REGISTERED, "0x0\n");
        assertEquals("0\n", read(DumpPaths.FADUMP_REGISTERED));
        for (String bad : new String[] {"2\n", "-1\n", "yes\n", "1 0\n"}) {
            assertEquals(Errno.EINVAL, fails(DumpPaths.FADUMP_REGISTERED, bad), bad);
        }
        assertEquals("0\n", read(DumpPaths.FADUMP_REGISTERED));
        write(DumpPaths.FADUMP_REGISTERED, "+1");
        assertEquals("1\n", read(DumpPaths.FADUMP_REGISTERED));
    }
}
