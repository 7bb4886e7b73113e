package org.vmcorefs.format.env.kdump;

import java.time.Instant;
import java.util.List;
import org.vmcorefs.format.env.CaptureEnvironment;
import org.vmcorefs.format.DumpPaths;
import org.vmcorefs.format.view.DumpTree;
import org.vmcorefs.format.env.EnvironmentOption;
import org.vmcorefs.format.env.KernelLeniency;
import org.vmcorefs.format.view.LayoutFile;
import org.vmcorefs.format.MachineSpec;
import org.vmcorefs.format.view.OldmemView;
import org.vmcorefs.format.view.VmcoreView;
import org.vmcorefs.machine.Architecture;
import org.vmcorefs.machine.CrashedSystem;
import org.vmcorefs.machine.Errno;
import org.vmcorefs.machine.mechanism.Kdump;
import org.vmcorefs.machine.Machine;
import org.vmcorefs.machine.MemoryRange;
import org.vmcorefs.machine.memory.PhysicalMemory;
import org.vmcorefs.machine.memory.SyntheticMemory;
import org.vmcorefs.machine.synthetic.SyntheticSystem;

/**
 * x86_64 kexec-based kdump: the capture kernel's /proc/vmcore (the crashed kernel's memory as an ELF64 core,
 * the low 640 KiB from the kexec backup) and /dev/oldmem (physical memory as it is now).
 */
public final class X86Kdump implements CaptureEnvironment {
    /** The capture kernel's reservation, as the crashkernel= boot option: SIZE or SIZE@START. */
    public static final EnvironmentOption CRASHKERNEL = new EnvironmentOption("--crashkernel", "SIZE[@START]",
            "The capture kernel's reservation, as the crashkernel= boot option. Default: 128M for 512 MiB-2 GiB of "
                    + "RAM, 256M above, placed as the profile's kernel does (x86_64, arm64: high below 4 GiB; ppc64: "
                    + "at 512 MiB); none for a replayed dump.");

    @Override
    public String id() {
        return "x86_64-kdump";
    }

    @Override
    public Architecture architecture() {
        return Architecture.X86_64;
    }

    @Override
    public List<EnvironmentOption> options() {
        return List.of(CRASHKERNEL);
    }

    @Override
    public List<String> help() {
        return List.of("Files of profile x86_64-kdump:",
                "  MOUNTPOINT/proc/vmcore           the crashed kernel's memory as an ELF core (0400)",
                "  MOUNTPOINT/dev/oldmem            physical memory as it is now, offset = address (0400)",
                "  MOUNTPOINT/.vmcorefs/stats.json  what was served and fetched (0400)",
                "  MOUNTPOINT/.vmcorefs/zero-ranges proc/vmcore's ranges known to be zero, for save --exclude-zero "
                        + "(0400)");
    }

    @Override
    public void validate(MachineSpec spec) {
        if (spec.option(CRASHKERNEL.name()) != null) {
            // A synthetic machine's RAM map is known now: a reservation that cannot be placed is a usage error.
            crashkernel(spec, spec.image() == null ? SyntheticSystem.x86Ram(spec.memorySize()) : null);
        }
    }

    @Override
    public CrashedSystem synthetic(MachineSpec spec, SyntheticMemory memory, Instant crashTime) {
        if (spec.kernel() != null) {
            // A planted kernel replaces the synthetic one, and with it the data the synthetic one describes.
            return SyntheticSystem.x86_64(spec.memorySize(), spec.cpus(), memory, spec.kaslrOffset(), crashTime);
        }
        // The crashed kernel reserved the crashkernel region at boot, so its own allocations lie outside it.
        List<MemoryRange> ram = SyntheticSystem.x86Ram(spec.memorySize());
        MemoryRange ck = spec.option(CRASHKERNEL.name()) != null ? crashkernel(spec, ram) : Kdump.defaultCrashkernel(ram);
        return SyntheticSystem.x86_64(spec.memorySize(), spec.cpus(), memory, spec.kaslrOffset(), crashTime, ck);
    }

    @Override
    public Machine build(CrashedSystem system, MachineSpec spec, PhysicalMemory captureKernel) {
        MemoryRange ck = spec.option(CRASHKERNEL.name()) != null ? crashkernel(spec, system.ram())
                : spec.image() == null ? Kdump.defaultCrashkernel(system.ram()) : new MemoryRange(0, 0);
        return Kdump.build(id(), system, ck, captureKernel, spec.faults());
    }

    /** The reservation --crashkernel gives, placed in {@code ram} as x86_64 places it (null: not placed). */
    static MemoryRange crashkernel(MachineSpec spec, List<MemoryRange> ram) {
        return Crashkernel.of(CRASHKERNEL.name(), spec.option(CRASHKERNEL.name()), ram, Kdump.X86_64);
    }

    @Override
    public void addFiles(DumpTree tree, Machine machine, KernelLeniency leniency) {
        tree.add(DumpPaths.VMCORE, new LayoutFile(VmcoreView.layout(machine), Errno.EIO));
        tree.add(DumpPaths.OLDMEM, new LayoutFile(OldmemView.layout(machine), Errno.EINVAL));
    }

    @Override
    public String toString() {
        return id();
    }
}
