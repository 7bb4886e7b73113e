package org.vmcorefs.format;

import org.vmcorefs.machine.Errno;
import org.vmcorefs.machine.Machine;

/** The files a capture environment shows for a machine, by profile. */
public final class CaptureEnvironment {
    public static final String VMCORE = "/proc/vmcore";
    public static final String OLDMEM = "/dev/oldmem";

    private CaptureEnvironment() {
    }

    public static DumpTree of(Machine machine) {
        DumpTree tree = new DumpTree(machine.system().crashTime());
        switch (machine.profile()) {
            case X86_64_KDUMP -> {
                tree.add(VMCORE, new LayoutFile(VmcoreView.layout(machine), Errno.EIO));
                tree.add(OLDMEM, new LayoutFile(OldmemView.layout(machine), Errno.EINVAL));
            }
            case PPC64_PHYP -> PowerDumpFiles.phyp(machine, tree);
            case PPC64_FADUMP, PPC64LE_FADUMP -> PowerDumpFiles.fadump(machine, tree);
            case S390X_ZFCPDUMP -> Zcore.addTo(tree, machine);
        }
        return tree;
    }
}
