package org.vmcorefs.fs.save;

import java.nio.file.Files;
import java.nio.file.Path;

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

    static final String VMCORE = "proc/vmcore";
    static final String ZCORE = "sys/kernel/debug/zcore";
    static final String ZCORE_MEM = ZCORE + "/mem";
    static final String ZCORE_HSA = ZCORE + "/hsa";
    static final String ZCORE_MEMMAP = ZCORE + "/memmap";
    static final String RELEASE_REGION = "sys/kernel/release_region";
    static final String FADUMP_DIR = "sys/kernel/fadump";
    static final String FADUMP_RELEASE = FADUMP_DIR + "/release_mem";

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
        if (Files.isDirectory(root.resolve(ZCORE))) {
            return S390_ZFCPDUMP;
        }
        if (Files.exists(root.resolve(RELEASE_REGION))) {
            return PHYP;
        }
        if (Files.isDirectory(root.resolve(FADUMP_DIR)) && Files.exists(root.resolve(VMCORE))) {
            return FADUMP;
        }
        if (Files.exists(root.resolve(VMCORE))) {
            return KDUMP;
        }
        throw new SaveException(SaveException.NO_DUMP, "no dump under " + root + ": none of " + VMCORE + ", "
                + ZCORE + "/, " + RELEASE_REGION + ", " + FADUMP_DIR + "/ is there");
    }

    public static Mechanism fromId(String id) {
        for (Mechanism m : values()) {
            if (m.id.equals(id)) {
                return m;
            }
        }
        throw new IllegalArgumentException("unknown mechanism " + id);
    }
}
