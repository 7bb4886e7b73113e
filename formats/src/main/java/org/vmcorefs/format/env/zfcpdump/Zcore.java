package org.vmcorefs.format.env.zfcpdump;

import org.vmcorefs.format.DumpPaths;
import org.vmcorefs.format.env.KernelLeniency;
import org.vmcorefs.format.view.DumpTree;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vmcorefs.machine.DumpException;
import org.vmcorefs.machine.Errno;
import org.vmcorefs.machine.Machine;
import org.vmcorefs.machine.memory.SavedArea;

/**
 * The files of an s390x zfcpdump environment and the one state they share: whether the machine has been
 * re-IPLed. debugfs zcore/mem, hsa, memmap and reipl behave as drivers/s390/char/zcore.c; /proc/vmcore as
 * the zfcpdump kernel's; the complete s390 dump is vmcorefs' own. After a write to zcore/reipl the
 * machine has booted the crashed system again: every dump file then answers ENODEV.
 */
public final class Zcore {
    private static final Logger LOG = LoggerFactory.getLogger(Zcore.class);

    private final Machine machine;
    private final SavedArea hsa;
    private final KernelLeniency leniency;
    private volatile boolean reipled;

    Zcore(Machine machine, KernelLeniency leniency) {
        this.leniency = leniency;
        this.machine = machine;
        this.hsa = machine.savedArea();
    }

    /** Adds the profile's files to {@code tree}. */
    public static void addTo(DumpTree tree, Machine machine, KernelLeniency leniency) {
        Zcore z = new Zcore(machine, leniency);
        tree.add(DumpPaths.VMCORE, new ZcoreDumpFile(z, ZcoreView.vmcore(machine), Errno.EIO));
        tree.add(DumpPaths.ZCORE_MEM, new ZcoreMemFile(z, ZcoreView.mem(machine)));
        tree.add(DumpPaths.ZCORE_HSA, new ZcoreHsaFile(z));
        tree.add(DumpPaths.ZCORE_MEMMAP, new ZcoreMemmapFile(z, ZcoreView.memmap(machine)));
        tree.add(DumpPaths.ZCORE_REIPL, new ZcoreReiplFile(z));
        tree.add(DumpPaths.S390_DUMP, new ZcoreDumpFile(z, ZcoreView.complete(machine), Errno.EINVAL));
    }

    /** The HSA: what zcore/mem's low memory comes from, until released. */
    SavedArea hsa() {
        return hsa;
    }

    KernelLeniency leniency() {
        return leniency;
    }

    /** ENODEV once the machine has been re-IPLed: the dump is gone. */
    void checkRunning(String path) throws DumpException {
        if (reipled) {
            throw new DumpException(Errno.ENODEV, path + ": the machine has been re-IPLed; the dump is gone");
        }
    }

    /** What the dump kernel's release_hsa does (DIAG 308 subcode 2); releasing twice is harmless. */
    void releaseHsa(String why) {
        if (hsa.release()) {
            LOG.info("HSA released by {}", why);
        }
    }

    /** Boots the crashed system again, the HSA going with it; only the first re-IPL does anything. */
    synchronized void reipl() {
        if (!reipled) {
            releaseHsa("re-IPL");
            reipled = true;
            machine.events().record("reipl", "zcore/reipl written: the crashed system is booted again");
            LOG.info("re-IPL: the machine reboots; dump files now answer ENODEV");
        }
    }
}
