package org.vmcorefs.it;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * One place that names everything missing at once, before the tests that need it fail one by one: FUSE and the
 * built jar, every client tool the tests run, and the real dumps. Nothing here is skipped (see {@link Requirements}).
 */
class MachineHasWhatTheTestsNeedTest {
    @Test
    void fuseAndTheBuiltJar() {
        Mounted.requireFuse();
    }

    @Test
    void everyClientTool() {
        List<String> missing = Requirements.missingTools();
        assertTrue(missing.isEmpty(), "MISSING client tools: " + String.join(", ", missing)
                + ". Run `make deps` as root (scripts/install-deps.sh installs every client the tests use)");
        Requirements.pythonModule("kdumpfile", "python3-libkdumpfile");
        Requirements.pythonModule("drgn", "python3-drgn");
    }

    @Test
    void theRealDumps() {
        Fixtures.require();
        for (String name : List.of(Fixtures.KDUMP_VMCORE, Fixtures.QEMU_ELF, Fixtures.QEMU_PAGING_ELF,
                Fixtures.QEMU_KDUMP)) {
            Fixtures.dump(name);
        }
    }
}
