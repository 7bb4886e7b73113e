package org.vmcorefs.format;

import org.vmcorefs.format.env.CaptureEnvironment;
import org.vmcorefs.machine.DumpException;
import org.vmcorefs.machine.Machine;
import org.vmcorefs.machine.memory.SyntheticMemory;

/** The small POWER machines the format tests use, and the model's own bytes to check reads against. */
public final class PowerMachines {
    static final long GIB = 1L << 30;
    static final long SEED = 11;
    static final double POPULATED = 0.5;

    private PowerMachines() {
    }

    public static Machine machine(CaptureEnvironment profile, int cpus) throws DumpException {
        return MachineFactory.create(MachineSpec.synthetic(profile, GIB, cpus, SEED).withPopulated(POPULATED));
    }

    /** The crashed system's memory as the model defines it, computed byte by byte. */
    static SyntheticMemory crashed() {
        return new SyntheticMemory(SEED, POPULATED);
    }
}
