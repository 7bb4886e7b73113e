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
import org.vmcorefs.machine.KernelInfo;
import org.vmcorefs.machine.Machine;
import org.vmcorefs.machine.MemoryRange;
import org.vmcorefs.machine.SyntheticMemory;

/**
 * Builds a machine from a {@link MachineSpec}: the crashed system comes from the first source that
 * accepts the input (synthetic when no image is given; else an ELF core, else a raw memory image), then
 * the profile's dump mechanism acts on it.
 */
public final class MachineFactory {
    private static final Logger LOG = LoggerFactory.getLogger(MachineFactory.class);
    /**
     * Seed offset for what the capture kernel writes over memory: different bytes from the crashed system's.
     * Public so that tests can compute what /dev/oldmem shows (seed ^ CAPTURE_SEED, fully populated).
     */
    public static final long CAPTURE_SEED = 0x6b65786563L;

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
        CaptureEnvironment env = spec.profile();
        CrashedSystem system = crashedSystem(spec);
        if (spec.kernel() != null) {
            system = KernelImage.plant(system, spec.kernel());
        }
        checkArchitecture(system, env);
        SyntheticMemory capture = new SyntheticMemory(spec.seed() ^ CAPTURE_SEED, 1.0);
        try {
            env.validate(spec);
            return env.build(system, spec, capture);
        } catch (IllegalArgumentException e) {
            throw new DumpException(Errno.EINVAL, e.getMessage(), e);
        }
    }

    private static void checkArchitecture(CrashedSystem system, CaptureEnvironment env) throws FormatException {
        if (system.architecture() != env.architecture()) {
            throw new FormatException("the image is " + system.architecture().linuxName() + " but profile "
                    + env.id() + " is " + env.architecture().linuxName());
        }
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
        if (KdumpCompressedReader.isKdumpCompressed(head)) {
            CrashedSystem s = KdumpCompressedReader.read(path, ch);
            LOG.info("replaying {}", s.origin());
            if (spec.crashTime() != null) {
                s = new CrashedSystem(s.architecture(), s.ram(), s.memory(), s.cpus(), s.kernel(), crashTime, s.origin());
            }
            return s.cpus().isEmpty() ? withSyntheticCpus(s, spec) : s;
        }
        String foreign = ForeignDumps.describe(head);
        if (foreign != null) {
            throw new FormatException(path + " is " + foreign);
        }
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
        CaptureEnvironment env = spec.profile();
        if (arch != env.architecture()) {
            throw new FormatException("the image is " + arch.linuxName() + " but profile " + env.id() + " is "
                    + env.architecture().linuxName());
        }
        try {
            return env.synthetic(spec, memory, crashTime);
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
