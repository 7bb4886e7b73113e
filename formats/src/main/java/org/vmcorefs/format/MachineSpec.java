package org.vmcorefs.format;

import java.nio.file.Path;
import java.time.Instant;
import org.vmcorefs.machine.FaultInjection;
import org.vmcorefs.machine.MemoryRange;
import org.vmcorefs.machine.Profile;

/**
 * Everything needed to build a machine: the profile, the synthetic parameters, or the image to replay.
 *
 * @param memorySize bytes of RAM of a synthetic machine
 * @param populated fraction of 2 MiB blocks of synthetic memory that hold data (the rest are zero pages)
 * @param image a dump or raw memory image to replay instead of synthetic memory, or null
 * @param kernel a kernel ELF to plant into memory, or null
 * @param crashkernel the capture kernel's reservation, or null for the profile's default
 * @param crashTime when the machine crashed, or null for the image's or a fixed default
 * @param faults faults injected into the hardware-saved area's interface
 */
public record MachineSpec(Profile profile, long memorySize, int cpus, long seed, double populated, Path image,
        Path kernel, long kaslrOffset, MemoryRange crashkernel, Instant crashTime, FaultInjection faults) {
    /** The crash time of synthetic machines unless told otherwise: 2026-01-01T00:00:00Z. */
    public static final Instant DEFAULT_CRASH_TIME = Instant.ofEpochSecond(1767225600L);

    /** A synthetic machine of {@code memorySize} bytes with defaults for everything else. */
    public static MachineSpec synthetic(Profile profile, long memorySize, int cpus, long seed) {
        return new MachineSpec(profile, memorySize, cpus, seed, 1.0, null, null, 0, null, null, FaultInjection.NONE);
    }

    public MachineSpec withImage(Path newImage) {
        return new MachineSpec(profile, memorySize, cpus, seed, populated, newImage, kernel, kaslrOffset, crashkernel,
                crashTime, faults);
    }

    public MachineSpec withKernel(Path newKernel) {
        return new MachineSpec(profile, memorySize, cpus, seed, populated, image, newKernel, kaslrOffset, crashkernel,
                crashTime, faults);
    }

    public MachineSpec withPopulated(double fraction) {
        return new MachineSpec(profile, memorySize, cpus, seed, fraction, image, kernel, kaslrOffset, crashkernel,
                crashTime, faults);
    }

    public MachineSpec withFaults(FaultInjection newFaults) {
        return new MachineSpec(profile, memorySize, cpus, seed, populated, image, kernel, kaslrOffset, crashkernel,
                crashTime, newFaults);
    }
}
