package org.vmcorefs.format;

import java.nio.file.Path;

/**
 * Where every file of a capture environment is, as an absolute path from its root: the server adds its files
 * here, and {@code vmcorefs save} looks for them under ROOT (a real capture kernel's /, or a mount point).
 */
public final class DumpPaths {
    /** The crashed kernel's memory as an ELF core (kdump, fadump, phyp, zfcpdump). */
    public static final String VMCORE = "/proc/vmcore";
    /** Physical memory as it is now, offset = address (kdump). */
    public static final String OLDMEM = "/dev/oldmem";

    /** debugfs of the s390 zfcpdump kernel, drivers/s390/char/zcore.c. */
    public static final String ZCORE = "/sys/kernel/debug/zcore";
    public static final String ZCORE_MEM = ZCORE + "/mem";
    public static final String ZCORE_HSA = ZCORE + "/hsa";
    public static final String ZCORE_MEMMAP = ZCORE + "/memmap";
    public static final String ZCORE_REIPL = ZCORE + "/reipl";

    /** phyp-assisted dump's control file. */
    public static final String RELEASE_REGION = "/sys/kernel/release_region";
    /** The hypervisor's dump header, a device tree property (phyp-assisted dump). */
    public static final String PHYP_DUMP_HEADER = "/proc/device-tree/rtas/ibm,kernel-dump";

    /** firmware-assisted dump's sysfs directory, arch/powerpc/kernel/fadump.c. */
    public static final String FADUMP = "/sys/kernel/fadump";
    public static final String FADUMP_ENABLED = FADUMP + "/enabled";
    public static final String FADUMP_REGISTERED = FADUMP + "/registered";
    public static final String FADUMP_MEM_RESERVED = FADUMP + "/mem_reserved";
    public static final String FADUMP_RELEASE_MEM = FADUMP + "/release_mem";

    /** vmcorefs' own files, which no capture kernel has. */
    public static final String VMCOREFS = "/.vmcorefs";
    public static final String STATS = VMCOREFS + "/stats.json";
    public static final String ZERO_RANGES = VMCOREFS + "/zero-ranges";
    /** Where each file's reads fell in physical memory (vmcorefs stats --map draws it). */
    public static final String READ_MAP = VMCOREFS + "/read-map.json";
    /** The complete s390 dump (zcore/mem + "DUMP_END"), for zgetdump, libkdumpfile and crash. */
    public static final String S390_DUMP = VMCOREFS + "/s390.dump";

    private DumpPaths() {
    }

    /** {@code path} relative to the root, as save names it under ROOT: "proc/vmcore" for {@link #VMCORE}. */
    public static String relative(String path) {
        if (!path.startsWith("/")) {
            throw new IllegalArgumentException("not an absolute path: " + path);
        }
        return path.substring(1);
    }

    /** {@code path} under {@code root}: ROOT/proc/vmcore for {@link #VMCORE}. */
    public static Path under(Path root, String path) {
        return root.resolve(relative(path));
    }
}
