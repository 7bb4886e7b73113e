package org.vmcorefs.machine.mechanism;

import org.vmcorefs.machine.Architecture;
import org.vmcorefs.machine.CrashedSystem;
import org.vmcorefs.machine.DumpException;
import org.vmcorefs.machine.Errno;
import org.vmcorefs.machine.EventLog;
import org.vmcorefs.machine.FaultInjection;
import org.vmcorefs.machine.Machine;
import org.vmcorefs.machine.MemoryRange;
import org.vmcorefs.machine.memory.LayeredMemory;
import org.vmcorefs.machine.memory.PhysicalMemory;
import org.vmcorefs.machine.memory.SavedArea;
import java.nio.ByteBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * zfcpdump on s390x: at the dump IPL the hardware saved the first bytes of memory (the HSA, 32 MiB by
 * default) and the boot CPU's registers, then loaded the dump kernel over that low memory. The dump kernel
 * reaches the saved bytes only through SCLP SDIAS requests (one 4 KiB block each, block number = offset /
 * 4096 + 2); memory above the HSA is read where it lies.
 */
public final class Zfcpdump {
    private static final Logger LOG = LoggerFactory.getLogger(Zfcpdump.class);
    /** The HSA size of current machines. */
    public static final long DEFAULT_HSA_SIZE = 32L << 20;
    /** SDIAS block size. */
    public static final int BLOCK_SIZE = 4096;
    /** SDIAS numbers the HSA's first block 2 (block 1 is the SDIAS header). */
    public static final long FIRST_BLOCK = 2;
    /** The s390 dump header's lc_vec has room for 512 CPUs. */
    public static final int MAX_CPUS = 512;

    private Zfcpdump() {
    }

    /**
     * Builds the machine as the zfcpdump kernel finds it.
     *
     * @param hsaSize bytes the hardware saved from address 0, a multiple of 4 KiB inside the first RAM range
     * @param dumpKernel what the dump kernel wrote over [0, hsaSize)
     * @param faults faults injected into the SCLP requests
     */
    public static Machine build(String profile, CrashedSystem system, long hsaSize, PhysicalMemory dumpKernel, FaultInjection faults) {
        if (system.architecture() != Architecture.S390X) {
            throw new IllegalArgumentException("zfcpdump is s390x only, not " + system.architecture());
        }
        MemoryRange first = system.ram().get(0);
        if (hsaSize <= 0 || hsaSize % BLOCK_SIZE != 0 || first.start() != 0 || first.end() < hsaSize) {
            throw new IllegalArgumentException(String.format("HSA size 0x%x must be a positive multiple of 4 KiB "
                    + "inside the first RAM range %s", hsaSize, first));
        }
        if (system.cpus().size() > MAX_CPUS) {
            throw new IllegalArgumentException("an s390 dump header lists at most " + MAX_CPUS + " CPUs, not "
                    + system.cpus().size());
        }
        MemoryRange hsa = new MemoryRange(0, hsaSize);
        EventLog events = new EventLog();
        SavedArea saved = new SavedArea("HSA", "SCLP SDIAS", hsa, BLOCK_SIZE, FIRST_BLOCK, system.memory(), faults,
                events);
        PhysicalMemory current = LayeredMemory.over(system.memory()).put(hsa, dumpKernel).build();
        PhysicalMemory old = LayeredMemory.over(current).put(hsa, new HsaPort(saved)).build();
        LOG.info("zfcpdump machine: {} of RAM in {} ranges, HSA {}, {} CPUs, {}", system.ramSize(),
                system.ram().size(), hsa, system.cpus().size(), system.origin());
        return new Machine(profile, system, current, old, system.ram(), hsa, saved, events);
    }

    /**
     * The HSA as the dump kernel's memcpy_hsa sees it: through SCLP, and once released, ENODATA (the
     * kernel's answer for both zcore/mem and /proc/vmcore) rather than the saved area's generic EIO.
     */
    static final class HsaPort implements PhysicalMemory {
        private final SavedArea hsa;

        HsaPort(SavedArea hsa) {
            this.hsa = hsa;
        }

        @Override
        public void read(long address, ByteBuffer dst) throws DumpException {
            try {
                hsa.read(address, dst);
            } catch (SavedArea.ReleasedException e) {
                throw new DumpException(Errno.ENODATA, String.format("HSA [0x%x, +0x%x): the HSA has been released",
                        address, dst.remaining()), e);
            }
        }
    }
}
