package org.vmcorefs.fs.cli;

import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.concurrent.TimeUnit;
import org.vmcorefs.format.env.CaptureEnvironment;
import org.vmcorefs.format.env.CaptureEnvironments;
import org.vmcorefs.format.MachineFactory;
import org.vmcorefs.format.MachineSpec;
import org.vmcorefs.machine.DumpException;
import org.vmcorefs.machine.FaultInjection;
import picocli.CommandLine;

/** The mount command's options as a {@link MachineSpec}; what does not make sense is a usage error. */
final class MountSpec {
    private MountSpec() {
    }

    /** The profile of a mount that names none: the image's architecture's first, else the default. */
    private static CaptureEnvironment fromImage(Path image) {
        if (image == null) {
            return CaptureEnvironments.ALL.get(0);
        }
        try {
            return MachineFactory.profileFor(image);
        } catch (DumpException e) {
            // A missing or unreadable image: the machine's build says why, with its exit code.
            return CaptureEnvironments.ALL.get(0);
        }
    }

    static MachineSpec of(MountCommand c) {
        CommandLine cl = c.spec.commandLine();
        CaptureEnvironment p;
        try {
            p = c.profile != null ? CaptureEnvironments.byId(c.profile) : fromImage(c.image);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(cl, e.getMessage());
        }
        long kaslr;
        try {
            kaslr = Long.parseUnsignedLong(c.kaslrOffset.replaceFirst("^0[xX]", ""), 16);
        } catch (NumberFormatException e) {
            throw new CommandLine.ParameterException(cl, "--kaslr-offset: '" + c.kaslrOffset + "' is not a hex number");
        }
        if (kaslr % (2L << 20) != 0) {
            throw new CommandLine.ParameterException(cl, "--kaslr-offset must be 2 MiB aligned");
        }
        Instant when = null;
        if (c.crashTime != null) {
            try {
                when = c.crashTime.matches("\\d+") ? Instant.ofEpochSecond(Long.parseLong(c.crashTime))
                        : Instant.parse(c.crashTime);
            } catch (DateTimeParseException | NumberFormatException e) {
                throw new CommandLine.ParameterException(cl, "--crash-time: '" + c.crashTime
                        + "' is neither seconds since the epoch nor ISO-8601 (2026-01-01T00:00:00Z)");
            }
        }
        FaultInjection faults;
        try {
            faults = new FaultInjection(c.failRate, TimeUnit.MICROSECONDS.toNanos(c.latencyMicros), c.faultSeed, false);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(cl, e.getMessage());
        }
        if (c.vmlinux != null && c.image == null) {
            throw new CommandLine.ParameterException(cl, "--vmlinux needs --image: it completes a replayed dump");
        }
        MachineSpec ms = new MachineSpec(p, c.memory, c.cpus, c.seed, c.populated, c.image, c.kernel, kaslr,
                c.environmentOptions(p), when, faults, c.vmlinux);
        try {
            p.validate(ms);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(cl, e.getMessage());
        }
        return ms;
    }
}
