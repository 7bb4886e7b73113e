package org.vmcorefs.format.env;

import org.vmcorefs.format.DumpPaths;
import org.vmcorefs.format.MachineFactory;
import org.vmcorefs.format.MachineSpec;
import org.vmcorefs.format.view.DumpTree;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;
import org.vmcorefs.machine.DumpException;
import org.vmcorefs.machine.Errno;
import org.vmcorefs.machine.Machine;

/** The list of capture environments: what every entry must have, and what the list refuses. */
class CaptureEnvironmentsTest {
    static List<String> ids() {
        return CaptureEnvironments.ids();
    }

    @Test
    void namesAreUniqueAndTheDefaultComesFirst() {
        Set<String> seen = new HashSet<>();
        for (CaptureEnvironment e : CaptureEnvironments.ALL) {
            assertTrue(seen.add(e.id()), "twice: " + e.id());
            assertTrue(e.id().startsWith(e.architecture().shortName() + "-"), e.id() + " names its architecture");
        }
        assertEquals("x86_64-kdump", CaptureEnvironments.ALL.get(0).id());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> CaptureEnvironments.byId("riscv64-kdump"));
        assertTrue(e.getMessage().contains("known: x86_64-kdump"), e.getMessage());
    }

    /** A profile without files cannot exist: each builds a synthetic machine that shows /proc/vmcore. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("ids")
    void everyProfileBuildsAMachineWithItsFiles(String id) throws Exception {
        CaptureEnvironment env = CaptureEnvironments.byId(id);
        Machine m = MachineFactory.create(MachineSpec.synthetic(env, 1L << 30, 2, 5));
        assertEquals(id, m.profile());
        assertEquals(env.architecture(), m.architecture());
        DumpTree tree = CaptureEnvironment.of(m);
        assertTrue(tree.files().containsKey(DumpPaths.VMCORE), id + " has /proc/vmcore");
        assertFalse(env.help().isEmpty(), id + " says what its files are");
        for (String path : tree.files().keySet()) {
            assertTrue(String.join("\n", env.help()).contains(path.substring(path.lastIndexOf('/') + 1)),
                    id + "'s help names " + path);
        }
    }

    @Test
    void optionsBelongToTheirEnvironmentAndAreChecked() throws Exception {
        assertEquals(List.of(CaptureEnvironments.X86_64_KDUMP, CaptureEnvironments.PPC64LE_KDUMP,
                CaptureEnvironments.ARM64_KDUMP, CaptureEnvironments.PPC64_KDUMP, CaptureEnvironments.I386_KDUMP),
                CaptureEnvironments.options().get(org.vmcorefs.format.env.kdump.X86Kdump.CRASHKERNEL));
        MachineSpec s390 = MachineSpec.synthetic(CaptureEnvironments.S390X_ZFCPDUMP, 256L << 20, 1, 1);
        assertThrows(IllegalArgumentException.class,
                () -> CaptureEnvironments.S390X_ZFCPDUMP.validate(s390.withOption("--hsa-size", "12Q")));
        DumpException bad = assertThrows(DumpException.class,
                () -> MachineFactory.create(s390.withOption("--hsa-size", "4097")));
        assertEquals(Errno.EINVAL, bad.errno());
        Machine m = MachineFactory.create(s390.withOption("--hsa-size", "64M"));
        assertEquals(64L << 20, m.savedArea().range().size());
        MachineSpec x86 = MachineSpec.synthetic(CaptureEnvironments.X86_64_KDUMP, 1L << 30, 1, 1);
        assertEquals(0x20000000L, MachineFactory.create(x86.withOption("--crashkernel", "64M@512M")).reserved().start());
        assertTrue(MachineFactory.create(x86.withOption("--crashkernel", "0")).reserved().isEmpty());
        assertThrows(IllegalArgumentException.class,
                () -> CaptureEnvironments.X86_64_KDUMP.validate(x86.withOption("--crashkernel", "2G")));
    }
}
