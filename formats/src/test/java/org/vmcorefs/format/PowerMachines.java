package org.vmcorefs.format;

import org.vmcorefs.machine.DumpException;
import org.vmcorefs.machine.Machine;
import org.vmcorefs.machine.SyntheticMemory;

/** The small POWER machines the format tests use, and the model's own bytes to check reads against. */
final class PowerMachines {
    static final long GIB = 1L << 30;
    static final long SEED = 11;
    static final double POPULATED = 0.5;

    private PowerMachines() {
    }

    static Machine machine(CaptureEnvironment profile, int cpus) throws DumpException {
        return MachineFactory.create(MachineSpec.synthetic(profile, GIB, cpus, SEED).withPopulated(POPULATED));
    }

    /** The crashed system's memory as the model defines it, computed byte by byte. */
    static SyntheticMemory crashed() {
        return new SyntheticMemory(SEED, POPULATED);
    }
}
