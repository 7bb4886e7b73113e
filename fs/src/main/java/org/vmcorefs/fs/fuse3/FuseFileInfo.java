package org.vmcorefs.fs.fuse3;

import com.kenai.jffi.MemoryIO;

/**
 * libfuse 3's {@code struct fuse_file_info} (fuse_common.h, 40 bytes in 3.14), read and written in place:
 * <pre>
 * struct fuse_file_info {
 *     int flags;                                  // 0x00
 *     unsigned writepage:1, direct_io:1, keep_cache:1, flush:1, nonseekable:1, ...;  // 0x04
 *     unsigned padding2:32;                       // 0x08
 *     uint64_t fh;                                // 0x10
 *     uint64_t lock_owner;                        // 0x18
 *     uint32_t poll_events;                       // 0x20
 * };
 * </pre>
 * libfuse 2's has the bit field at 0x14 and fh at 0x18: the two are not interchangeable.
 */
final class FuseFileInfo {
    static final int SIZE = 0x28;
    static final int FLAGS = 0x00;
    static final int BITS = 0x04;
    static final int FH = 0x10;
    static final int DIRECT_IO = 1 << 1;
    static final int KEEP_CACHE = 1 << 2;

    private static final MemoryIO IO = MemoryIO.getInstance();

    private FuseFileInfo() {
    }

    static long fh(long fi) {
        return IO.getLong(fi + FH);
    }

    static void setFh(long fi, long fh) {
        IO.putLong(fi + FH, fh);
    }

    /** Sets bits (DIRECT_IO, KEEP_CACHE) of the bit field, leaving the others as libfuse set them. */
    static void setBits(long fi, int bits) {
        IO.putInt(fi + BITS, IO.getInt(fi + BITS) | bits);
    }

    static int bits(long fi) {
        return IO.getInt(fi + BITS);
    }
}
