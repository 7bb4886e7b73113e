package org.vmcorefs.format;

import org.vmcorefs.format.env.CaptureEnvironment;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import org.vmcorefs.machine.FaultInjection;

/**
 * Everything needed to build a machine: the profile, the synthetic parameters, or the image to replay.
 *
 * @param profile the capture environment
 * @param memorySize bytes of RAM of a synthetic machine
 * @param populated fraction of 2 MiB blocks of synthetic memory that hold data (the rest are zero pages)
 * @param image a dump or raw memory image to replay instead of synthetic memory, or null
 * @param kernel a kernel ELF to plant into memory, or null
 * @param options the profile's own options as given ({@link CaptureEnvironment#options()}), by name
 * @param crashTime when the machine crashed, or null for the image's or a fixed default
 * @param faults faults injected into the hardware-saved area's interface
 * @param vmlinux the dumped kernel's vmlinux, whose symbols complete a replayed dump's layout, or null
 */
public record MachineSpec(CaptureEnvironment profile, long memorySize, int cpus, long seed, double populated,
        Path image, Path kernel, long kaslrOffset, Map<String, String> options, Instant crashTime,
        FaultInjection faults, Path vmlinux) {
    /** The crash time of synthetic machines unless told otherwise: 2026-01-01T00:00:00Z. */
    public static final Instant DEFAULT_CRASH_TIME = Instant.ofEpochSecond(1767225600L);

    public MachineSpec {
        options = Map.copyOf(options);
    }

    /** A spec without a vmlinux. */
    public MachineSpec(CaptureEnvironment profile, long memorySize, int cpus, long seed, double populated,
            Path image, Path kernel, long kaslrOffset, Map<String, String> options, Instant crashTime,
            FaultInjection faults) {
        this(profile, memorySize, cpus, seed, populated, image, kernel, kaslrOffset, options, crashTime, faults, null);
    }

    /** A synthetic machine of {@code memorySize} bytes with defaults for everything else. */
    public static MachineSpec synthetic(CaptureEnvironment profile, long memorySize, int cpus, long seed) {
        return new MachineSpec(profile, memorySize, cpus, seed, 1.0, null, null, 0, Map.of(), null,
                FaultInjection.NONE);
    }

    /** What the user gave for the profile's option {@code name} (e.g. {@code --hsa-size}), or null. */
    public String option(String name) {
        return options.get(name);
    }

    public MachineSpec withOption(String name, String value) {
        Map<String, String> o = new LinkedHashMap<>(options);
        o.put(name, value);
        return new MachineSpec(profile, memorySize, cpus, seed, populated, image, kernel, kaslrOffset, o, crashTime,
                faults, vmlinux);
    }

    public MachineSpec withImage(Path newImage) {
        return new MachineSpec(profile, memorySize, cpus, seed, populated, newImage, kernel, kaslrOffset, options,
                crashTime, faults, vmlinux);
    }

    public MachineSpec withVmlinux(Path newVmlinux) {
        return new MachineSpec(profile, memorySize, cpus, seed, populated, image, kernel, kaslrOffset, options,
                crashTime, faults, newVmlinux);
    }

    public MachineSpec withPopulated(double fraction) {
        return new MachineSpec(profile, memorySize, cpus, seed, fraction, image, kernel, kaslrOffset, options,
                crashTime, faults, vmlinux);
    }

    public MachineSpec withFaults(FaultInjection newFaults) {
        return new MachineSpec(profile, memorySize, cpus, seed, populated, image, kernel, kaslrOffset, options,
                crashTime, newFaults, vmlinux);
    }
}
