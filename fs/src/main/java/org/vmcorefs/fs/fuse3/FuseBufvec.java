package org.vmcorefs.fs.fuse3;

import com.kenai.jffi.MemoryIO;

/**
 * libfuse's {@code struct fuse_bufvec} with its one {@code struct fuse_buf} (fuse_common.h, same in 2 and 3):
 * <pre>
 * struct fuse_bufvec { size_t count; size_t idx; size_t off;   // 0x00, 0x08, 0x10
 *     struct fuse_buf { size_t size;                            // 0x18
 *                       enum fuse_buf_flags flags;              // 0x20
 *                       void *mem;                              // 0x28
 *                       int fd;                                 // 0x30
 *                       off_t pos; } buf[1]; };                 // 0x38
 * </pre>
 * Here it always names a run of a file's descriptor (FUSE_BUF_IS_FD | FUSE_BUF_FD_SEEK), for fuse_reply_data.
 */
final class FuseBufvec {
    static final int SIZE = 0x40;
    static final int COUNT = 0x00;
    static final int IDX = 0x08;
    static final int OFF = 0x10;
    static final int BUF_SIZE = 0x18;
    static final int BUF_FLAGS = 0x20;
    static final int BUF_MEM = 0x28;
    static final int BUF_FD = 0x30;
    static final int BUF_POS = 0x38;
    static final int FUSE_BUF_IS_FD = 1 << 1;
    static final int FUSE_BUF_FD_SEEK = 1 << 2;

    private static final MemoryIO IO = MemoryIO.getInstance();

    private FuseBufvec() {
    }

    /** Makes the bufvec at {@code v} name {@code length} bytes at {@code pos} of descriptor {@code fd}. */
    static void setFd(long v, int fd, long pos, long length) {
        IO.putLong(v + COUNT, 1);
        IO.putLong(v + IDX, 0);
        IO.putLong(v + OFF, 0);
        IO.putLong(v + BUF_SIZE, length);
        IO.putInt(v + BUF_FLAGS, FUSE_BUF_IS_FD | FUSE_BUF_FD_SEEK);
        IO.putLong(v + BUF_MEM, 0);
        IO.putInt(v + BUF_FD, fd);
        IO.putLong(v + BUF_POS, pos);
    }
}
