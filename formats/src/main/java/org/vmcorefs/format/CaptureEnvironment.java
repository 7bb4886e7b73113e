package org.vmcorefs.format;

import org.vmcorefs.machine.Errno;
import org.vmcorefs.machine.Machine;

/** The files a capture environment shows for a machine, by profile. */
public final class CaptureEnvironment {
    public static final String VMCORE = "/proc/vmcore";
    public static final String OLDMEM = "/dev/oldmem";

    private CaptureEnvironment() {
    }

    /** The files, with control files answering as the kernel does (see {@link KernelLeniency}). */
    public static DumpTree of(Machine machine) {
        return of(machine, false);
    }

    /** The files; with {@code strict}, control files refuse what the kernel silently accepts (EINVAL). */
    public static DumpTree of(Machine machine, boolean strict) {
        KernelLeniency leniency = new KernelLeniency(strict, machine.events());
        DumpTree tree = new DumpTree(machine.system().crashTime());
        switch (machine.profile()) {
            case X86_64_KDUMP -> {
                tree.add(VMCORE, new LayoutFile(VmcoreView.layout(machine), Errno.EIO));
                tree.add(OLDMEM, new LayoutFile(OldmemView.layout(machine), Errno.EINVAL));
            }
            case PPC64_PHYP -> PowerDumpFiles.phyp(machine, tree, leniency);
            case PPC64_FADUMP, PPC64LE_FADUMP -> PowerDumpFiles.fadump(machine, tree);
            case S390X_ZFCPDUMP -> Zcore.addTo(tree, machine, leniency);
        }
        return tree;
    }
}
