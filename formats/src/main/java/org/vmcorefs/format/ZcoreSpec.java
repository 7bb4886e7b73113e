package org.vmcorefs.format;

import org.vmcorefs.machine.DumpException;
import org.vmcorefs.machine.Errno;
import org.vmcorefs.machine.MemoryRange;
import org.vmcorefs.machine.Zfcpdump;

/**
 * How a {@link MachineSpec} says the HSA size: for s390x-zfcpdump the capture kernel's region
 * ({@code crashkernel}) is where the dump kernel is loaded, [0, HSA size), since the hardware saved exactly
 * the memory the dump kernel overwrites. The command line's --hsa-size sets it.
 */
public final class ZcoreSpec {
    private ZcoreSpec() {
    }

    /** The HSA size of {@code spec}: its region's size, which must start at 0, or 32 MiB. */
    public static long hsaSize(MachineSpec spec) throws DumpException {
        MemoryRange r = spec.crashkernel();
        if (r == null) {
            return Zfcpdump.DEFAULT_HSA_SIZE;
        }
        if (r.start() != 0) {
            throw new DumpException(Errno.EINVAL, "the zfcpdump kernel's region (the HSA) starts at 0, not at 0x"
                    + Long.toHexString(r.start()) + "; give its size with --hsa-size");
        }
        return r.size();
    }

    /** {@code spec} with an HSA of {@code size} bytes. */
    public static MachineSpec withHsaSize(MachineSpec spec, long size) {
        return new MachineSpec(spec.profile(), spec.memorySize(), spec.cpus(), spec.seed(), spec.populated(),
                spec.image(), spec.kernel(), spec.kaslrOffset(), new MemoryRange(0, size), spec.crashTime(),
                spec.faults());
    }
}
