package org.vmcorefs.fs.fuse3;

import java.util.ArrayList;
import java.util.List;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import jnr.ffi.annotations.Delegate;

/**
 * libfuse 3's {@code struct fuse_lowlevel_ops}: a table of function pointers, passed to fuse_session_new with
 * its size, so a table of the first {@link #SLOTS} slots (libfuse 3.14's, ending with lseek) works with any
 * libfuse 3. Only the operations vmcorefs has are set; libfuse answers the others as unimplemented.
 * The callback objects and their native stubs are kept here: the collector must not free them while mounted.
 */
final class LowLevelOps {
    /** Slots of fuse_lowlevel_ops, in header order, that vmcorefs fills. */
    static final int INIT = 0;
    static final int DESTROY = 1;
    static final int LOOKUP = 2;
    static final int GETATTR = 4;
    static final int SETATTR = 5;
    static final int OPEN = 14;
    static final int READ = 15;
    static final int WRITE = 16;
    static final int RELEASE = 18;
    static final int READDIR = 21;
    /** init ... lseek in libfuse 3.14. */
    static final int SLOTS = 44;

    /** void (*init)(void *userdata, struct fuse_conn_info *conn) */
    public interface Init {
        @Delegate
        void init(long userdata, long conn);
    }

    /** void (*destroy)(void *userdata) */
    public interface Destroy {
        @Delegate
        void destroy(long userdata);
    }

    /** void (*lookup)(fuse_req_t req, fuse_ino_t parent, const char *name) */
    public interface Lookup {
        @Delegate
        void lookup(long req, long parent, long name);
    }

    /** getattr, open, release: void (*)(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi) */
    public interface InodeOp {
        @Delegate
        void call(long req, long ino, long fi);
    }

    /** void (*setattr)(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set, struct fuse_file_info *fi) */
    public interface Setattr {
        @Delegate
        void setattr(long req, long ino, long attr, int toSet, long fi);
    }

    /** read, readdir: void (*)(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi) */
    public interface ReadOp {
        @Delegate
        void call(long req, long ino, long size, long off, long fi);
    }

    /** void (*write)(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size, off_t off, fuse_file_info *fi) */
    public interface Write {
        @Delegate
        void write(long req, long ino, long buf, long size, long off, long fi);
    }

    private final Runtime runtime = Runtime.getSystemRuntime();
    private final Pointer table = Memory.allocateDirect(runtime, SLOTS * 8L, true);
    /** Strong references to every callback and its native stub, for as long as this table lives. */
    private final List<Object> keep = new ArrayList<>();

    /** Puts {@code callback} (an instance of the one-method interface {@code type}) in slot {@code slot}. */
    <T> LowLevelOps set(int slot, Class<T> type, T callback) {
        Pointer stub = runtime.getClosureManager().getClosurePointer(type, callback);
        keep.add(callback);
        keep.add(stub);
        table.putAddress(slot * 8L, stub.address());
        return this;
    }

    Pointer table() {
        return table;
    }

    long size() {
        return SLOTS * 8L;
    }
}
