package org.vmcorefs.format.env.phyp;

import java.time.Instant;
import java.util.List;
import org.vmcorefs.format.env.CaptureEnvironment;
import org.vmcorefs.format.view.DumpTree;
import org.vmcorefs.format.env.KernelLeniency;
import org.vmcorefs.format.MachineSpec;
import org.vmcorefs.format.view.DeviceTreeProperty;
import org.vmcorefs.format.DumpPaths;
import org.vmcorefs.format.struct.PhypDumpHeader;
import org.vmcorefs.format.view.PowerVmcoreFile;
import org.vmcorefs.format.view.VmcoreView;
import org.vmcorefs.machine.Architecture;
import org.vmcorefs.machine.CrashedSystem;
import org.vmcorefs.machine.mechanism.FirmwareDump;
import org.vmcorefs.machine.Machine;
import org.vmcorefs.machine.memory.PhysicalMemory;
import org.vmcorefs.machine.mechanism.PowerDump;
import org.vmcorefs.machine.memory.SyntheticMemory;
import org.vmcorefs.machine.synthetic.SyntheticPowerSystem;

/**
 * POWER6 phyp-assisted dump (big-endian ppc64): the hypervisor saved the CPU state and the low 256 MiB into a
 * registered area at the top of RAM; the normal kernel serves /proc/vmcore and gives memory back through
 * /sys/kernel/release_region.
 */
public final class PhypDump implements CaptureEnvironment {
    @Override
    public String id() {
        return "ppc64-phyp";
    }

    @Override
    public Architecture architecture() {
        return Architecture.PPC64;
    }

    @Override
    public List<String> help() {
        return List.of("Files of profile ppc64-phyp (phyp-assisted dump; --memory 768M or more):",
                "  MOUNTPOINT/proc/vmcore                the dump, ELF64 MSB core (0400)",
                "  MOUNTPOINT/sys/kernel/release_region  what is still reserved, as",
                "    'CPU:0xA-0xLEN: HPTE:0xA-0xLEN: DUMP:0xA-0xLEN, 0xA-0xLEN:';",
                "    echo '<start> <length>' (hex) releases memory (0600)",
                "  MOUNTPOINT/proc/device-tree/rtas/ibm,kernel-dump  dump header (0444)");
    }

    @Override
    public CrashedSystem synthetic(MachineSpec spec, SyntheticMemory memory, Instant crashTime) {
        return SyntheticPowerSystem.system(architecture(), spec.memorySize(), spec.cpus(), memory, crashTime);
    }

    @Override
    public Machine build(CrashedSystem system, MachineSpec spec, PhysicalMemory captureKernel) {
        return PowerDump.phyp(id(), system, captureKernel, spec.faults());
    }

    @Override
    public void addFiles(DumpTree tree, Machine machine, KernelLeniency leniency) {
        FirmwareDump dump = machine.firmwareDump();
        tree.add(DumpPaths.VMCORE, new PowerVmcoreFile(VmcoreView.layout(machine), dump));
        tree.add(DumpPaths.RELEASE_REGION, ReleaseRegion.file(dump, leniency, () -> tree.remove(DumpPaths.VMCORE)));
        tree.add(DumpPaths.PHYP_DUMP_HEADER, new DeviceTreeProperty(PhypDumpHeader.of(dump).encode()));
    }

    @Override
    public String toString() {
        return id();
    }
}
