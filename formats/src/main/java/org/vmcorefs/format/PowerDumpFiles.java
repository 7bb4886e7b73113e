package org.vmcorefs.format;

import org.vmcorefs.machine.FirmwareDump;
import org.vmcorefs.machine.Machine;

/**
 * The files of the POWER profiles: /proc/vmcore with release_region and the hypervisor's dump header in the
 * device tree (phyp), or /proc/vmcore with /sys/kernel/fadump/ (fadump).
 */
public final class PowerDumpFiles {
    private PowerDumpFiles() {
    }

    /** phyp-assisted dump: /proc/vmcore, /sys/kernel/release_region, /proc/device-tree/rtas/ibm,kernel-dump. */
    public static void phyp(Machine machine, DumpTree tree, KernelLeniency leniency) {
        FirmwareDump dump = machine.firmwareDump();
        tree.add(DumpPaths.VMCORE, new PowerVmcoreFile(VmcoreView.layout(machine), dump));
        tree.add(DumpPaths.RELEASE_REGION, ReleaseRegion.file(dump, leniency, () -> tree.remove(DumpPaths.VMCORE)));
        tree.add(DumpPaths.PHYP_DUMP_HEADER, new DeviceTreeProperty(PhypDumpHeader.of(dump).encode()));
    }

    /** fadump: /proc/vmcore and /sys/kernel/fadump/{enabled,registered,mem_reserved,release_mem}. */
    public static void fadump(Machine machine, DumpTree tree) {
        FirmwareDump dump = machine.firmwareDump();
        tree.add(DumpPaths.VMCORE, new PowerVmcoreFile(VmcoreView.layout(machine), dump));
        FadumpFiles.addTo(tree, dump, () -> tree.remove(DumpPaths.VMCORE));
    }
}
