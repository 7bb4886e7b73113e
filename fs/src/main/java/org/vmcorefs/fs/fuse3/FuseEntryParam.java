package org.vmcorefs.fs.fuse3;

import com.kenai.jffi.MemoryIO;

/**
 * libfuse 3's {@code struct fuse_entry_param} (fuse_lowlevel.h), what lookup replies:
 * <pre>
 * struct fuse_entry_param {
 *     fuse_ino_t ino;           // 0x00
 *     uint64_t generation;      // 0x08
 *     struct stat attr;         // 0x10, 144 bytes
 *     double attr_timeout;      // 0xa0
 *     double entry_timeout;     // 0xa8
 * };
 * </pre>
 */
final class FuseEntryParam {
    static final int SIZE = 0xb0;
    static final int INO = 0x00;
    static final int GENERATION = 0x08;
    static final int ATTR = 0x10;
    static final int ATTR_TIMEOUT = 0xa0;
    static final int ENTRY_TIMEOUT = 0xa8;

    private static final MemoryIO IO = MemoryIO.getInstance();

    private FuseEntryParam() {
    }

    /** Sets ino and the timeouts; the attributes are filled at {@code e + ATTR} by {@link Stat#fill}. */
    static void set(long e, long ino, double attrTimeout, double entryTimeout) {
        IO.putLong(e + INO, ino);
        IO.putLong(e + GENERATION, 0);
        IO.putDouble(e + ATTR_TIMEOUT, attrTimeout);
        IO.putDouble(e + ENTRY_TIMEOUT, entryTimeout);
    }
}
