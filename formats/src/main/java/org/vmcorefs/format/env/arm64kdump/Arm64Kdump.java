package org.vmcorefs.format.env.arm64kdump;

import java.time.Instant;
import java.util.List;
import org.vmcorefs.format.env.CaptureEnvironment;
import org.vmcorefs.format.DumpPaths;
import org.vmcorefs.format.view.DumpTree;
import org.vmcorefs.format.env.EnvironmentOption;
import org.vmcorefs.format.env.KernelLeniency;
import org.vmcorefs.format.view.LayoutFile;
import org.vmcorefs.format.MachineSpec;
import org.vmcorefs.format.view.VmcoreView;
import org.vmcorefs.format.env.kdump.Crashkernel;
import org.vmcorefs.format.env.kdump.X86Kdump;
import org.vmcorefs.machine.Architecture;
import org.vmcorefs.machine.CrashedSystem;
import org.vmcorefs.machine.Errno;
import org.vmcorefs.machine.mechanism.Kdump;
import org.vmcorefs.machine.Machine;
import org.vmcorefs.machine.MemoryRange;
import org.vmcorefs.machine.memory.PhysicalMemory;
import org.vmcorefs.machine.synthetic.SyntheticArm64;
import org.vmcorefs.machine.memory.SyntheticMemory;

/**
 * arm64 kexec-based kdump: the capture kernel's /proc/vmcore, the crashed kernel's memory as an ELF64 core
 * whose first PT_LOAD is the kernel image mapping (_text to _end at kimage_voffset) and the others are the
 * linear map of RAM without the crashkernel reservation. arm64 kexec keeps no backup region (the capture
 * kernel runs only inside its reservation), and arm64 kdump came after /dev/oldmem left the kernel, so
 * /proc/vmcore is the only dump file.
 */
public final class Arm64Kdump implements CaptureEnvironment {
    /** The same option as x86_64's: the reservation, as the crashkernel= boot option. */
    public static final EnvironmentOption CRASHKERNEL = X86Kdump.CRASHKERNEL;
    /**
     * arm64's CRASH_ALIGN: reservations are 2 MiB-aligned, SIZE alone at the highest free place below the 4 GiB
     * DMA limit (6.1 reserve_crashkernel).
     */
    static final Kdump.Placement PLACEMENT = new Kdump.Placement("arm64", 2L << 20, 0, 2L << 20);

    @Override
    public String id() {
        return "arm64-kdump";
    }

    @Override
    public Architecture architecture() {
        return Architecture.ARM64;
    }

    @Override
    public List<EnvironmentOption> options() {
        return List.of(CRASHKERNEL);
    }

    @Override
    public List<String> help() {
        return List.of("Files of profile arm64-kdump (RAM from 0x40000000 as on QEMU virt; no /dev/oldmem on arm64):",
                "  MOUNTPOINT/proc/vmcore           the crashed kernel's memory as an ELF core (0400)",
                "  MOUNTPOINT/.vmcorefs/stats.json  what was served and fetched (0400)",
                "  MOUNTPOINT/.vmcorefs/zero-ranges proc/vmcore's ranges known to be zero, for save --exclude-zero "
                        + "(0400)");
    }

    @Override
    public void validate(MachineSpec spec) {
        List<MemoryRange> ram = spec.image() == null ? SyntheticArm64.ram(spec.memorySize()) : null;
        if (spec.image() == null && spec.kaslrOffset() % SyntheticArm64.KASLR_ALIGN != 0) {
            throw new IllegalArgumentException(String.format(
                    "--kaslr-offset: an arm64 KASLR offset is a multiple of 2 MiB, not 0x%x", spec.kaslrOffset()));
        }
        if (spec.option(CRASHKERNEL.name()) != null) {
            crashkernel(spec, ram);
        }
    }

    @Override
    public CrashedSystem synthetic(MachineSpec spec, SyntheticMemory memory, Instant crashTime) {
        return SyntheticArm64.system(spec.memorySize(), spec.cpus(), memory, spec.kaslrOffset(), crashTime);
    }

    @Override
    public Machine build(CrashedSystem system, MachineSpec spec, PhysicalMemory captureKernel) {
        MemoryRange ck = spec.option(CRASHKERNEL.name()) != null ? crashkernel(spec, system.ram())
                : spec.image() == null ? Kdump.defaultCrashkernel(system.ram(), PLACEMENT) : new MemoryRange(0, 0);
        return Kdump.buildWithoutBackup(id(), system, ck, captureKernel);
    }

    /** The reservation --crashkernel gives, placed in {@code ram} as arm64 places it (null: not placed). */
    static MemoryRange crashkernel(MachineSpec spec, List<MemoryRange> ram) {
        return Crashkernel.of(CRASHKERNEL.name(), spec.option(CRASHKERNEL.name()), ram, PLACEMENT);
    }

    @Override
    public void addFiles(DumpTree tree, Machine machine, KernelLeniency leniency) {
        tree.add(DumpPaths.VMCORE, new LayoutFile(VmcoreView.layout(machine), Errno.EIO));
    }

    @Override
    public String toString() {
        return id();
    }
}
