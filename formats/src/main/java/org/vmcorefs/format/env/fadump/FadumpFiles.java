package org.vmcorefs.format.env.fadump;

import org.vmcorefs.format.DumpPaths;
import org.vmcorefs.format.text.KernelInteger;
import org.vmcorefs.format.view.AttributeFile;
import org.vmcorefs.format.view.DumpTree;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vmcorefs.machine.DumpException;
import org.vmcorefs.machine.Errno;
import org.vmcorefs.machine.mechanism.FirmwareDump;

/**
 * The files of /sys/kernel/fadump/ as arch/powerpc/kernel/fadump.c makes them: enabled (0444, "%d\n"),
 * registered (0644: 0 unregisters, 1 registers, else EINVAL; EPERM while a dump is active), mem_reserved (0444,
 * bytes of the dump area, "%ld\n") and, in a boot that found a dump, release_mem (0200: 1 takes /proc/vmcore
 * away and frees the reserved memory; else EINVAL; EPERM once no dump is active).
 */
public final class FadumpFiles {
    private static final String ENABLED = DumpPaths.FADUMP_ENABLED;
    private static final String REGISTERED = DumpPaths.FADUMP_REGISTERED;
    private static final String MEM_RESERVED = DumpPaths.FADUMP_MEM_RESERVED;
    private static final String RELEASE_MEM = DumpPaths.FADUMP_RELEASE_MEM;
    private static final Logger LOG = LoggerFactory.getLogger(FadumpFiles.class);

    private FadumpFiles() {
    }

    /** Adds the files; {@code onRelease} runs once release_mem has freed the dump (it removes /proc/vmcore). */
    public static void addTo(DumpTree tree, FirmwareDump dump, Runnable onRelease) {
        tree.add(ENABLED, new AttributeFile(ENABLED, 0444, () -> "1\n", null));
        tree.add(REGISTERED, new AttributeFile(REGISTERED, 0644, () -> (dump.registered() ? 1 : 0) + "\n",
                input -> storeRegistered(dump, input)));
        tree.add(MEM_RESERVED, new AttributeFile(MEM_RESERVED, 0444, () -> dump.dumpArea().size() + "\n", null));
        tree.add(RELEASE_MEM, new AttributeFile(RELEASE_MEM, 0200, null,
                input -> storeReleaseMem(dump, input, onRelease)));
    }

    static void storeRegistered(FirmwareDump dump, String input) throws DumpException {
        if (dump.dumpActive()) {
            throw new DumpException(Errno.EPERM, "registered: a dump is active; release it first (release_mem)");
        }
        int value = number(input, "registered");
        switch (value) {
            case 0 -> dump.setRegistered(false);
            case 1 -> dump.setRegistered(true);
            default -> throw new DumpException(Errno.EINVAL, "registered: " + value + " is neither 0 nor 1");
        }
    }

    static void storeReleaseMem(FirmwareDump dump, String input, Runnable onRelease) throws DumpException {
        if (!dump.dumpActive()) {
            throw new DumpException(Errno.EPERM, "release_mem: no active dump");
        }
        int value = number(input, "release_mem");
        if (value != 1) {
            throw new DumpException(Errno.EINVAL, "release_mem: " + value + " is not 1");
        }
        // vmcore_cleanup() first, then the memory goes back: nobody may read the dump while it is freed.
        onRelease.run();
        dump.releaseAll();
        LOG.info("release_mem: /proc/vmcore removed, reserved memory released");
    }

    /** kstrtoint; the stores answer EINVAL for any failure of it, overflow included. */
    private static int number(String input, String file) throws DumpException {
        try {
            return KernelInteger.parse(input);
        } catch (DumpException e) {
            throw new DumpException(Errno.EINVAL, file + ": " + e.getMessage(), e);
        }
    }
}
