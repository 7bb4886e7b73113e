package org.vmcorefs.format.input;

import java.time.Instant;
import org.vmcorefs.machine.Architecture;
import org.vmcorefs.machine.CrashedSystem;
import org.vmcorefs.machine.DumpException;

/**
 * What the input formats may take from the machine being built, beyond the file: the architecture the
 * profile expects (a raw image has no other), the crash time the user gave, and synthetic systems for
 * what a file lacks (a raw image's CPUs and kernel, a dump's missing CPU notes).
 *
 * @param architecture the profile's architecture
 * @param crashTime the crash time given on the command line, or null for the image's own
 * @param synthetic makes a synthetic system of an architecture
 * @param symbols the dumped kernel's vmlinux symbols (--vmlinux), or null
 */
public record InputContext(Architecture architecture, Instant crashTime, Synthetic synthetic, KernelSymbols symbols) {
    /** A context without a vmlinux. */
    public InputContext(Architecture architecture, Instant crashTime, Synthetic synthetic) {
        this(architecture, crashTime, synthetic, null);
    }

    /** A synthetic system: its memory is never served from an image, only its CPUs and kernel are taken. */
    @FunctionalInterface
    public interface Synthetic {
        CrashedSystem of(Architecture arch, Instant crashTime) throws DumpException;
    }

    /** {@code s}, or with synthetic CPUs when its dump had no CPU notes. */
    CrashedSystem withSyntheticCpus(CrashedSystem s) throws DumpException {
        if (!s.cpus().isEmpty()) {
            return s;
        }
        CrashedSystem synth = synthetic.of(s.architecture(), s.crashTime());
        return new CrashedSystem(s.architecture(), s.ram(), s.memory(), synth.cpus(), s.kernel(), s.crashTime(),
                s.origin() + ", synthetic CPUs");
    }
}
