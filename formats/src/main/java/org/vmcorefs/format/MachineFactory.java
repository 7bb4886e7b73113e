package org.vmcorefs.format;

import java.time.Instant;
import org.vmcorefs.machine.Architecture;
import org.vmcorefs.machine.CrashedSystem;
import org.vmcorefs.machine.DumpException;
import org.vmcorefs.machine.Errno;
import org.vmcorefs.machine.Kdump;
import org.vmcorefs.machine.Machine;
import org.vmcorefs.machine.MemoryRange;
import org.vmcorefs.machine.PowerDump;
import org.vmcorefs.machine.SyntheticMemory;
import org.vmcorefs.machine.SyntheticPowerSystem;
import org.vmcorefs.machine.SyntheticSystem;
import org.vmcorefs.machine.SyntheticS390;
import org.vmcorefs.machine.Zfcpdump;

/**
 * Builds a machine from a {@link MachineSpec}: the crashed system is synthetic when no image is given, else
 * read by the first of the {@link InputFormats} that accepts the image; then the profile's dump mechanism
 * acts on it.
 */
public final class MachineFactory {
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

    /** The crashed system: synthetic without an image, else what the first input format accepting it reads. */
    static CrashedSystem crashedSystem(MachineSpec spec) throws DumpException {
        Architecture arch = spec.profile().architecture();
        if (spec.image() == null) {
            Instant crashTime = spec.crashTime() != null ? spec.crashTime() : MachineSpec.DEFAULT_CRASH_TIME;
            return synthetic(arch, spec, new SyntheticMemory(spec.seed(), spec.populated()), crashTime);
        }
        InputContext context = new InputContext(arch, spec.crashTime(),
                (a, crashTime) -> synthetic(a, spec.withImage(null), new SyntheticMemory(spec.seed(), 1.0), crashTime));
        return InputFormats.read(ImageFile.open(spec.image()), context);
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
}
