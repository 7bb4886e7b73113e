package org.vmcorefs.format.env.zfcpdump;

import java.time.Instant;
import java.util.List;
import org.vmcorefs.format.ByteSize;
import org.vmcorefs.format.env.CaptureEnvironment;
import org.vmcorefs.format.view.DumpTree;
import org.vmcorefs.format.env.EnvironmentOption;
import org.vmcorefs.format.env.KernelLeniency;
import org.vmcorefs.format.MachineSpec;
import org.vmcorefs.machine.Architecture;
import org.vmcorefs.machine.CrashedSystem;
import org.vmcorefs.machine.Machine;
import org.vmcorefs.machine.memory.PhysicalMemory;
import org.vmcorefs.machine.memory.SyntheticMemory;
import org.vmcorefs.machine.synthetic.SyntheticS390;
import org.vmcorefs.machine.mechanism.Zfcpdump;

/**
 * s390x zfcpdump: the dump kernel's debugfs zcore files (mem, hsa, memmap, reipl), its /proc/vmcore, and the
 * complete s390 dump; the HSA is reached only through simulated SCLP requests.
 */
public final class ZfcpDump implements CaptureEnvironment {
    /** The bytes the hardware saved from address 0 (the HSA), which the dump kernel then occupies. */
    public static final EnvironmentOption HSA_SIZE = new EnvironmentOption("--hsa-size", "SIZE",
            "s390x-zfcpdump: bytes the hardware saved from address 0 (the HSA), a multiple of 4K. Default: 32M.");

    @Override
    public String id() {
        return "s390x-zfcpdump";
    }

    @Override
    public Architecture architecture() {
        return Architecture.S390X;
    }

    @Override
    public List<EnvironmentOption> options() {
        return List.of(HSA_SIZE);
    }

    @Override
    public List<String> help() {
        return List.of("Files of profile s390x-zfcpdump (the HSA is read through simulated SCLP requests;",
                "--saved-area-fail-rate/-latency-us inject SCLP failures and latency):",
                "  MOUNTPOINT/proc/vmcore                     the crashed system as an s390x ELF core (0400)",
                "  MOUNTPOINT/sys/kernel/debug/zcore/mem      s390 dump format v5, no end marker (0400);",
                "                                             closing it releases the HSA, as the kernel's does",
                "  MOUNTPOINT/sys/kernel/debug/zcore/hsa      HSA size in hex; write 0 to release it (0600)",
                "  MOUNTPOINT/sys/kernel/debug/zcore/memmap   \"start size \" per memory range (0400)",
                "  MOUNTPOINT/sys/kernel/debug/zcore/reipl    any write re-IPLs: dump files then fail ENODEV",
                "  MOUNTPOINT/.vmcorefs/s390.dump             the complete s390 dump, with DUMP_END, for",
                "                                             zgetdump, libkdumpfile, crash (0400)",
                "  MOUNTPOINT/.vmcorefs/stats.json            what was served, SCLP requests, events (0400)",
                "  --image also replays an s390 dump (a zcore/mem copy, zgetdump's output) or an s390x ELF core.");
    }

    @Override
    public void validate(MachineSpec spec) {
        hsaSize(spec);
    }

    /** The HSA size --hsa-size gives, 32 MiB by default. */
    static long hsaSize(MachineSpec spec) {
        String v = spec.option(HSA_SIZE.name());
        try {
            return v == null ? Zfcpdump.DEFAULT_HSA_SIZE : ByteSize.parse(v);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(HSA_SIZE.name() + ": " + e.getMessage(), e);
        }
    }

    @Override
    public CrashedSystem synthetic(MachineSpec spec, SyntheticMemory memory, Instant crashTime) {
        return S390Vmcoreinfo.plant(SyntheticS390.s390x(spec.memorySize(), spec.cpus(), memory, crashTime));
    }

    @Override
    public Machine build(CrashedSystem system, MachineSpec spec, PhysicalMemory captureKernel) {
        return Zfcpdump.build(id(), system, hsaSize(spec), captureKernel, spec.faults());
    }

    @Override
    public void addFiles(DumpTree tree, Machine machine, KernelLeniency leniency) {
        Zcore.addTo(tree, machine, leniency);
    }

    @Override
    public String toString() {
        return id();
    }
}
