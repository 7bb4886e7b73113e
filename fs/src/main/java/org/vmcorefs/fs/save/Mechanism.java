package org.vmcorefs.fs.save;

import java.nio.file.Files;
import java.nio.file.Path;
import org.vmcorefs.format.DumpPaths;

/** The dump mechanisms whose capture environment {@code save} knows, told apart by the files they leave. */
public enum Mechanism {
    /** s390 zfcpdump: the HSA holds the low memory, released by writing "0" to zcore/hsa. */
    S390_ZFCPDUMP("s390-zfcpdump"),
    /** POWER phyp-assisted dump: reserved memory is given back range by range through release_region. */
    PHYP("phyp-assisted-dump"),
    /** POWER firmware-assisted dump: all reserved memory is given back at once through fadump/release_mem. */
    FADUMP("fadump"),
    /** kexec-based kdump: /proc/vmcore only, nothing to release. */
    KDUMP("kdump");

    private final String id;

    Mechanism(String id) {
        this.id = id;
    }

    public String id() {
        return id;
    }

    /** The mechanism whose files are under {@code root}, checked in this enum's order; the most specific wins. */
    public static Mechanism detect(Path root) throws SaveException {
        if (!Files.isDirectory(root)) {
            throw new SaveException(SaveException.NO_DUMP, root + " is not a directory");
        }
        if (Files.isDirectory(DumpPaths.under(root, DumpPaths.ZCORE))) {
            return S390_ZFCPDUMP;
        }
        if (Files.exists(DumpPaths.under(root, DumpPaths.RELEASE_REGION))) {
            return PHYP;
        }
        Path vmcore = DumpPaths.under(root, DumpPaths.VMCORE);
        if (Files.isDirectory(DumpPaths.under(root, DumpPaths.FADUMP)) && Files.exists(vmcore)) {
            return FADUMP;
        }
        if (Files.exists(vmcore)) {
            return KDUMP;
        }
        throw new SaveException(SaveException.NO_DUMP, "no dump under " + root + ": none of "
                + DumpPaths.relative(DumpPaths.VMCORE) + ", " + DumpPaths.relative(DumpPaths.ZCORE) + "/, "
                + DumpPaths.relative(DumpPaths.RELEASE_REGION) + ", " + DumpPaths.relative(DumpPaths.FADUMP) + "/ is there");
    }
}
