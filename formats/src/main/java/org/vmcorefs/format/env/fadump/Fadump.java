package org.vmcorefs.format.env.fadump;

import java.time.Instant;
import java.util.List;
import org.vmcorefs.format.env.CaptureEnvironment;
import org.vmcorefs.format.DumpPaths;
import org.vmcorefs.format.struct.CoreNotes;
import org.vmcorefs.format.view.DumpTree;
import org.vmcorefs.format.env.KernelLeniency;
import org.vmcorefs.format.MachineSpec;
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
 * POWER firmware-assisted dump (fadump), big- or little-endian: the firmware saved the boot memory into the
 * area right above it; the rebooted kernel serves /proc/vmcore and /sys/kernel/fadump/.
 */
public final class Fadump implements CaptureEnvironment {
    private final Architecture architecture;

    /** @param architecture {@link Architecture#PPC64} or {@link Architecture#PPC64LE} */
    public Fadump(Architecture architecture) {
        this.architecture = architecture;
    }

    @Override
    public String id() {
        return architecture.linuxName() + "-fadump";
    }

    @Override
    public Architecture architecture() {
        return architecture;
    }

    @Override
    public List<String> help() {
        // One block for both byte orders: --help shows a block once.
        return List.of("Files of profiles ppc64-fadump, ppc64le-fadump (--memory 768M or more):",
                "  MOUNTPOINT/proc/vmcore                     the dump, ELF64 core (0400)",
                "  MOUNTPOINT/sys/kernel/fadump/enabled       1 (0444)",
                "  MOUNTPOINT/sys/kernel/fadump/registered    0/1, writable once",
                "                                             the dump is released (0644)",
                "  MOUNTPOINT/sys/kernel/fadump/mem_reserved  bytes of the dump area (0444)",
                "  MOUNTPOINT/sys/kernel/fadump/release_mem   echo 1: removes /proc/vmcore,",
                "                                             frees the memory (0200)",
                "  (.vmcorefs/stats.json also shows the memory released and the dump state)");
    }

    @Override
    public CrashedSystem synthetic(MachineSpec spec, SyntheticMemory memory, Instant crashTime) {
        return SyntheticPowerSystem.system(architecture, spec.memorySize(), spec.cpus(), memory, crashTime);
    }

    @Override
    public Machine build(CrashedSystem system, MachineSpec spec, PhysicalMemory captureKernel) {
        return PowerDump.fadump(id(), system, captureKernel, spec.faults());
    }

    @Override
    public void addFiles(DumpTree tree, Machine machine, KernelLeniency leniency) {
        FirmwareDump dump = machine.firmwareDump();
        // The fadump kernel builds its notes from the firmware's register save area and writes no pid.
        Architecture arch = machine.architecture();
        tree.add(DumpPaths.VMCORE, new PowerVmcoreFile(VmcoreView.layout(arch, CoreNotes.encode(
                CoreNotes.withoutPids(machine), arch), VmcoreView.loads(machine), machine.oldMemory(),
                arch.loadAlign()), dump));
        FadumpFiles.addTo(tree, dump, () -> tree.remove(DumpPaths.VMCORE));
    }

    @Override
    public String toString() {
        return id();
    }
}
