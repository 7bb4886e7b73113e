package org.vmcorefs.format.env;

import org.vmcorefs.format.MachineSpec;
import org.vmcorefs.format.view.DumpTree;
import java.time.Instant;
import java.util.List;
import org.vmcorefs.machine.Architecture;
import org.vmcorefs.machine.CrashedSystem;
import org.vmcorefs.machine.DumpException;
import org.vmcorefs.machine.Machine;
import org.vmcorefs.machine.memory.PhysicalMemory;
import org.vmcorefs.machine.memory.SyntheticMemory;

/**
 * A dump mechanism as its user sees it (a profile): the machine it leaves after a crash and the files its
 * capture environment shows. Every profile is one entry of {@link CaptureEnvironments#ALL}, each in a package
 * of its own under {@code org.vmcorefs.format.env}.
 */
public interface CaptureEnvironment {
    /** The profile's name on the command line, e.g. {@code x86_64-kdump}. */
    String id();

    Architecture architecture();

    /** The options this environment takes besides the generic ones (crashkernel=, the HSA size, ...). */
    default List<EnvironmentOption> options() {
        return List.of();
    }

    /** The lines --help shows about this profile's files. */
    List<String> help();

    /**
     * Checks what {@code spec} says for this environment, its options first; throws IllegalArgumentException
     * with a message for the user. Called before the machine is built (a bad option is a usage error).
     */
    default void validate(MachineSpec spec) {
    }

    /** The crashed system of a synthetic machine of this kind: RAM map, CPUs, kernel. */
    CrashedSystem synthetic(MachineSpec spec, SyntheticMemory memory, Instant crashTime);

    /**
     * The machine after the crash, as this mechanism leaves it.
     *
     * @param captureKernel what the capture (or dump, or rebooted) kernel wrote over the memory it took
     */
    Machine build(CrashedSystem system, MachineSpec spec, PhysicalMemory captureKernel) throws DumpException;

    /** Adds this environment's files (views and control files) for {@code machine} to {@code tree}. */
    void addFiles(DumpTree tree, Machine machine, KernelLeniency leniency);

    /** The files of {@code machine}'s capture environment, control files answering as the kernel does. */
    static DumpTree of(Machine machine) {
        return of(machine, false);
    }

    /** The files; with {@code strict}, control files refuse what the kernel silently accepts (EINVAL). */
    static DumpTree of(Machine machine, boolean strict) {
        DumpTree tree = new DumpTree(machine.system().crashTime());
        CaptureEnvironments.byId(machine.profile()).addFiles(tree, machine,
                new KernelLeniency(strict, machine.events()));
        return tree;
    }
}
