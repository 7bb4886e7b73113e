package org.vmcorefs.machine;

/** A kind of machine and dump mechanism that vmcorefs can mount. */
public enum Profile {
    /** x86_64 with kexec-based kdump: /proc/vmcore and /dev/oldmem in the capture kernel. */
    X86_64_KDUMP("x86_64-kdump", Architecture.X86_64),
    /** ppc64 (big-endian) with phyp-assisted dump: /proc/vmcore and /sys/kernel/release_region. */
    PPC64_PHYP("ppc64-phyp", Architecture.PPC64),
    /** ppc64 (big-endian) with firmware-assisted dump: /proc/vmcore and /sys/kernel/fadump/. */
    PPC64_FADUMP("ppc64-fadump", Architecture.PPC64),
    /** ppc64le with firmware-assisted dump: /proc/vmcore and /sys/kernel/fadump/. */
    PPC64LE_FADUMP("ppc64le-fadump", Architecture.PPC64LE),
    /** s390x with zfcpdump: the HSA read through SCLP, debugfs zcore/* and /proc/vmcore in the dump kernel. */
    S390X_ZFCPDUMP("s390x-zfcpdump", Architecture.S390X);

    private final String id;
    private final Architecture architecture;

    Profile(String id, Architecture architecture) {
        this.id = id;
        this.architecture = architecture;
    }

    /** The name used on the command line. */
    public String id() {
        return id;
    }

    public Architecture architecture() {
        return architecture;
    }

    public static Profile fromId(String id) {
        for (Profile p : values()) {
            if (p.id.equals(id)) {
                return p;
            }
        }
        throw new IllegalArgumentException("unknown profile '" + id + "'");
    }

    @Override
    public String toString() {
        return id;
    }
}
