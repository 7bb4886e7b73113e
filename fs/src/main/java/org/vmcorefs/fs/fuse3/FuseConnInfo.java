package org.vmcorefs.fs.fuse3;

import com.kenai.jffi.MemoryIO;

/**
 * libfuse 3's {@code struct fuse_conn_info} (fuse_common.h), what init may change:
 * <pre>
 * struct fuse_conn_info {
 *     unsigned proto_major, proto_minor;          // 0x00, 0x04
 *     unsigned max_write;                         // 0x08
 *     unsigned max_read;                          // 0x0c
 *     unsigned max_readahead;                     // 0x10
 *     unsigned capable;                           // 0x14
 *     unsigned want;                              // 0x18
 *     unsigned max_background, congestion_threshold, time_gran;   // 0x1c, 0x20, 0x24
 *     unsigned reserved[22];
 * };
 * </pre>
 */
final class FuseConnInfo {
    static final int SIZE = 0x80;
    static final int MAX_WRITE = 0x08;
    static final int CAPABLE = 0x14;
    static final int WANT = 0x18;
    static final int CAP_ATOMIC_O_TRUNC = 1 << 3;
    static final int CAP_SPLICE_WRITE = 1 << 7;

    private static final MemoryIO IO = MemoryIO.getInstance();

    private FuseConnInfo() {
    }

    static int capable(long conn) {
        return IO.getInt(conn + CAPABLE);
    }

    static int want(long conn) {
        return IO.getInt(conn + WANT);
    }

    static void setWant(long conn, int want) {
        IO.putInt(conn + WANT, want);
    }

    static int maxWrite(long conn) {
        return IO.getInt(conn + MAX_WRITE);
    }

    static void setMaxWrite(long conn, int maxWrite) {
        IO.putInt(conn + MAX_WRITE, maxWrite);
    }
}
