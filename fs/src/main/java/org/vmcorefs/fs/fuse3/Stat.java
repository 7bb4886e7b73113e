package org.vmcorefs.fs.fuse3;

import com.kenai.jffi.MemoryIO;

/**
 * The C library's {@code struct stat} on x86_64 (bits/struct_stat.h), 144 bytes:
 * <pre>
 * st_dev 0x00 (u64), st_ino 0x08 (u64), st_nlink 0x10 (u64), st_mode 0x18 (u32), st_uid 0x1c (u32),
 * st_gid 0x20 (u32), __pad0 0x24, st_rdev 0x28, st_size 0x30 (s64), st_blksize 0x38, st_blocks 0x40 (s64),
 * st_atim 0x48, st_mtim 0x58, st_ctim 0x68 (struct timespec {tv_sec; tv_nsec}), __glibc_reserved[3] 0x78
 * </pre>
 */
final class Stat {
    static final int SIZE = 0x90;
    static final int INO = 0x08;
    static final int NLINK = 0x10;
    static final int MODE = 0x18;
    static final int UID = 0x1c;
    static final int GID = 0x20;
    static final int SIZE_ = 0x30;
    static final int BLOCKS = 0x40;
    static final int ATIME = 0x48;
    static final int MTIME = 0x58;
    static final int CTIME = 0x68;
    static final int S_IFDIR = 0040000;
    static final int S_IFREG = 0100000;

    private static final MemoryIO IO = MemoryIO.getInstance();

    private Stat() {
    }

    /** Clears the struct at {@code st} and fills in what vmcorefs shows of a file or directory. */
    static void fill(long st, long ino, int mode, long nlink, long size, long uid, long gid, long time) {
        IO.setMemory(st, SIZE, (byte) 0);
        IO.putLong(st + INO, ino);
        IO.putLong(st + NLINK, nlink);
        IO.putInt(st + MODE, mode);
        IO.putInt(st + UID, (int) uid);
        IO.putInt(st + GID, (int) gid);
        IO.putLong(st + SIZE_, size);
        IO.putLong(st + BLOCKS, (size + 511) / 512);
        IO.putLong(st + ATIME, time);
        IO.putLong(st + MTIME, time);
        IO.putLong(st + CTIME, time);
    }

    static long size(long st) {
        return IO.getLong(st + SIZE_);
    }
}
