package org.vmcorefs.format;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vmcorefs.machine.Architecture;
import org.vmcorefs.machine.CpuState;
import org.vmcorefs.machine.CrashedSystem;
import org.vmcorefs.machine.DumpException;
import org.vmcorefs.machine.Errno;
import org.vmcorefs.machine.FileMemory;
import org.vmcorefs.machine.Kdump;
import org.vmcorefs.machine.KernelInfo;
import org.vmcorefs.machine.Machine;
import org.vmcorefs.machine.MemoryRange;
import org.vmcorefs.machine.PowerDump;
import org.vmcorefs.machine.SyntheticMemory;
import org.vmcorefs.machine.SyntheticPowerSystem;
import org.vmcorefs.machine.SyntheticSystem;
import org.vmcorefs.machine.SyntheticS390;
import org.vmcorefs.machine.Zfcpdump;

/**
 * Builds a machine from a {@link MachineSpec}: the crashed system comes from the first source that
 * accepts the input (synthetic when no image is given; else an ELF core, else a raw memory image), then
 * the profile's dump mechanism acts on it.
 */
public final class MachineFactory {
    private static final Logger LOG = LoggerFactory.getLogger(MachineFactory.class);
    /** Seed offset for what the capture kernel writes over memory: different bytes from the crashed system's. */
    static final long CAPTURE_SEED = 0x6b65786563L;

    private MachineFactory() {
    }

    public static Machine create(MachineSpec spec) throws DumpException {
        try {
            return build(spec);
        } catch (IllegalArgumentException e) {
            // The model rejects impossible parameters with IllegalArgumentException: a bad machine, not a bug.
            throw new DumpException(Errno.EINVAL, e.getMessage(), e);
        }
    }

    private static Machine build(MachineSpec spec) throws DumpException {
        CrashedSystem system = crashedSystem(spec);
        if (spec.kernel() != null) {
            system = KernelImage.plant(system, spec.kernel());
        }
        if (system.architecture() != spec.profile().architecture()) {
            throw new FormatException("the image is " + system.architecture().linuxName() + " but profile "
                    + spec.profile() + " is " + spec.profile().architecture().linuxName());
        }
        SyntheticMemory capture = new SyntheticMemory(spec.seed() ^ CAPTURE_SEED, 1.0);
        try {
            return switch (spec.profile()) {
                case X86_64_KDUMP -> Kdump.build(system, crashkernel(spec, system), capture, spec.faults());
                case PPC64_PHYP -> PowerDump.phyp(system, capture, spec.faults());
                case PPC64_FADUMP, PPC64LE_FADUMP -> PowerDump.fadump(spec.profile(), system, capture, spec.faults());
                case S390X_ZFCPDUMP -> Zfcpdump.build(system, ZcoreSpec.hsaSize(spec), capture, spec.faults());
            };
        } catch (IllegalArgumentException e) {
            throw new DumpException(Errno.EINVAL, e.getMessage(), e);
        }
    }

    private static MemoryRange crashkernel(MachineSpec spec, CrashedSystem system) {
        if (spec.crashkernel() != null) {
            return spec.crashkernel();
        }
        return spec.image() == null ? Kdump.defaultCrashkernel(system.ram()) : new MemoryRange(0, 0);
    }

    static CrashedSystem crashedSystem(MachineSpec spec) throws DumpException {
        Architecture arch = spec.profile().architecture();
        Instant crashTime = spec.crashTime() != null ? spec.crashTime() : MachineSpec.DEFAULT_CRASH_TIME;
        if (spec.image() == null) {
            SyntheticMemory memory = new SyntheticMemory(spec.seed(), spec.populated());
            return synthetic(arch, spec, memory, crashTime);
        }
        Path path = spec.image();
        if (!Files.isRegularFile(path)) {
            throw new DumpException(Errno.ENOENT, path + ": no such image file");
        }
        FileChannel ch;
        try {
            ch = FileChannel.open(path, StandardOpenOption.READ);
        } catch (IOException e) {
            throw new DumpException(Errno.EACCES, path + ": cannot open: " + e.getMessage(), e);
        }
        long size = ElfCoreReader.size(path, ch);
        if (size == 0) {
            throw new FormatException(path + ": image is empty");
        }
        ByteBuffer head = ElfCoreReader.readAt(path, ch, 0, (int) Math.min(size, 16));
        if (ElfCoreReader.isElf(head)) {
            CrashedSystem s = ElfCoreReader.read(path, ch);
            s = S390DumpReader.withNoteCpus(s, path, ch);
            LOG.info("replaying {}", s.origin());
            if (spec.crashTime() != null) {
                s = new CrashedSystem(s.architecture(), s.ram(), s.memory(), s.cpus(), s.kernel(), crashTime, s.origin());
            }
            return s.cpus().isEmpty() ? withSyntheticCpus(s, spec) : s;
        }
        if (S390DumpReader.isS390Dump(head)) {
            CrashedSystem s = S390DumpReader.read(path, ch);
            LOG.info("replaying {}", s.origin());
            return spec.crashTime() == null ? s : new CrashedSystem(s.architecture(), s.ram(), s.memory(), s.cpus(),
                    s.kernel(), crashTime, s.origin());
        }
        LOG.info("replaying raw memory image {} ({} bytes)", path, size);
        CrashedSystem s = synthetic(arch, spec.withImage(null), new SyntheticMemory(spec.seed(), 1.0), crashTime);
        List<MemoryRange> ram = List.of(new MemoryRange(0, size));
        return new CrashedSystem(arch, ram, new FileMemory(path, ch), s.cpus(), s.kernel(), crashTime,
                "raw image " + path + " (" + size + " bytes)");
    }

    private static CrashedSystem synthetic(Architecture arch, MachineSpec spec, SyntheticMemory memory,
            Instant crashTime) throws DumpException {
        if (spec.cpus() < 1 || spec.cpus() > 4096) {
            throw new DumpException(Errno.EINVAL, "CPU count must be within 1..4096: " + spec.cpus());
        }
        try {
            return switch (arch) {
                case X86_64 -> SyntheticSystem.x86_64(spec.memorySize(), spec.cpus(), memory, spec.kaslrOffset(),
                        crashTime);
                case PPC64, PPC64LE -> SyntheticPowerSystem.system(arch, spec.memorySize(), spec.cpus(), memory,
                        crashTime);
                case S390X -> S390Vmcoreinfo.plant(SyntheticS390.s390x(spec.memorySize(), spec.cpus(), memory,
                        crashTime));
                default -> throw new DumpException(Errno.EINVAL, "no synthetic " + arch.linuxName() + " machine yet");
            };
        } catch (IllegalArgumentException e) {
            throw new DumpException(Errno.EINVAL, e.getMessage(), e);
        }
    }

    private static CrashedSystem withSyntheticCpus(CrashedSystem s, MachineSpec spec) throws DumpException {
        CrashedSystem synth = synthetic(s.architecture(), spec.withImage(null), new SyntheticMemory(spec.seed(), 1.0),
                s.crashTime());
        List<CpuState> cpus = new ArrayList<>(synth.cpus());
        KernelInfo kernel = s.kernel();
        return new CrashedSystem(s.architecture(), s.ram(), s.memory(), cpus, kernel, s.crashTime(),
                s.origin() + ", synthetic CPUs");
    }
}
