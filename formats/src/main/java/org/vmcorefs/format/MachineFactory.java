package org.vmcorefs.format;

import org.vmcorefs.format.env.CaptureEnvironment;
import org.vmcorefs.format.env.CaptureEnvironments;
import org.vmcorefs.format.input.ImageFile;
import org.vmcorefs.format.input.InputContext;
import org.vmcorefs.format.input.InputFormats;
import org.vmcorefs.format.input.KernelImage;
import java.nio.file.Path;
import java.time.Instant;
import org.vmcorefs.machine.Architecture;
import org.vmcorefs.machine.CrashedSystem;
import org.vmcorefs.machine.DumpException;
import org.vmcorefs.machine.Errno;
import org.vmcorefs.machine.Machine;
import org.vmcorefs.machine.memory.SyntheticMemory;

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

    /**
     * The profile an {@code --image} gets when none is named: the first of its architecture's, as the image's
     * header says it; the default (the list's first) for an image that says none, a raw memory image.
     */
    public static CaptureEnvironment profileFor(Path image) throws DumpException {
        ImageFile f = ImageFile.open(image);
        try {
            Architecture arch = InputFormats.architecture(f);
            return arch == null ? CaptureEnvironments.ALL.get(0) : CaptureEnvironments.forArchitecture(arch);
        } catch (IllegalArgumentException e) {
            throw new FormatException(image + ": " + e.getMessage(), e);
        } finally {
            f.close();
        }
    }

    private static Machine build(MachineSpec spec) throws DumpException {
        CaptureEnvironment env = spec.profile();
        ImageFile image = spec.image() == null ? null : ImageFile.open(spec.image());
        try {
            CrashedSystem system = crashedSystem(spec, image);
            if (spec.kernel() != null) {
                system = KernelImage.plant(system, spec.kernel());
            }
            checkArchitecture(system.architecture(), env);
            SyntheticMemory capture = new SyntheticMemory(spec.seed() ^ CAPTURE_SEED, 1.0);
            env.validate(spec);
            return env.build(system, spec, capture);
        } catch (DumpException | RuntimeException e) {
            // A refused image leaves no descriptor behind (a served one stays open for the mount's life).
            if (image != null) {
                image.close();
            }
            if (e instanceof IllegalArgumentException) {
                throw new DumpException(Errno.EINVAL, e.getMessage(), e);
            }
            throw e;
        }
    }

    private static void checkArchitecture(Architecture arch, CaptureEnvironment env) throws FormatException {
        if (arch != env.architecture()) {
            throw new FormatException("the image is " + arch.linuxName() + " but profile " + env.id() + " is "
                    + env.architecture().linuxName());
        }
    }

    /** The crashed system: synthetic without an image, else what the first input format accepting it reads. */
    static CrashedSystem crashedSystem(MachineSpec spec, ImageFile image) throws DumpException {
        Architecture arch = spec.profile().architecture();
        if (spec.image() == null) {
            Instant crashTime = spec.crashTime() != null ? spec.crashTime() : MachineSpec.DEFAULT_CRASH_TIME;
            return synthetic(arch, spec, new SyntheticMemory(spec.seed(), spec.populated()), crashTime);
        }
        InputContext context = new InputContext(arch, spec.crashTime(),
                (a, crashTime) -> synthetic(a, spec.withImage(null), new SyntheticMemory(spec.seed(), 1.0), crashTime));
        return InputFormats.read(image, context);
    }

    private static CrashedSystem synthetic(Architecture arch, MachineSpec spec, SyntheticMemory memory,
            Instant crashTime) throws DumpException {
        if (spec.cpus() < 1 || spec.cpus() > 4096) {
            throw new DumpException(Errno.EINVAL, "CPU count must be within 1..4096: " + spec.cpus());
        }
        CaptureEnvironment env = spec.profile();
        checkArchitecture(arch, env);
        try {
            return env.synthetic(spec, memory, crashTime);
        } catch (IllegalArgumentException e) {
            throw new DumpException(Errno.EINVAL, e.getMessage(), e);
        }
    }
}
