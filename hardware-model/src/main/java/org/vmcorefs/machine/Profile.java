package org.vmcorefs.machine;

/** A kind of machine and dump mechanism that vmcorefs can mount. */
public enum Profile {
    /** x86_64 with kexec-based kdump: /proc/vmcore and /dev/oldmem in the capture kernel. */
    X86_64_KDUMP("x86_64-kdump", Architecture.X86_64),
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
