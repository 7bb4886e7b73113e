package org.vmcorefs.fs.fuse3;

import jnr.ffi.LibraryLoader;
import jnr.ffi.LibraryOption;
import jnr.ffi.Pointer;

/**
 * The calls of libfuse 3's low-level API (fuse_lowlevel.h) that vmcorefs makes. Requests, sessions and
 * structs are passed as plain addresses ({@code long}): no wrapper object per call on the read path.
 */
public interface LibFuse3 {
    long fuse_session_new(Pointer args, Pointer ops, long opsSize, Pointer userdata);

    int fuse_session_mount(long se, String mountpoint);

    int fuse_session_loop(long se);

    /** The multi-threaded loop of libfuse 3.2 and later (clone_fd, default idle-thread limit). */
    int fuse_session_loop_mt_31(long se, int cloneFd);

    void fuse_session_unmount(long se);

    /** The session's /dev/fuse descriptor (after fuse_session_mount). */
    int fuse_session_fd(long se);

    int fuse_session_exited(long se);

    /** Processes one request read from the session's descriptor ({@code buf}: a struct fuse_buf). */
    void fuse_session_process_buf(long se, long buf);

    /** Replaces the session's I/O on {@code fd} with {@code io} (a struct fuse_custom_io), libfuse 3.14 on. */
    int fuse_session_custom_io(long se, Pointer io, int fd);

    void fuse_session_destroy(long se);

    int fuse_reply_err(long req, int err);

    void fuse_reply_none(long req);

    int fuse_reply_entry(long req, long entryParam);

    int fuse_reply_attr(long req, long stat, double attrTimeout);

    int fuse_reply_open(long req, long fileInfo);

    int fuse_reply_write(long req, long count);

    int fuse_reply_buf(long req, long buf, long size);

    int fuse_reply_data(long req, long bufvec, int flags);

    long fuse_add_direntry(long req, long buf, long bufsize, String name, long stat, long off);

    /** Loads libfuse3.so.3; throws (UnsatisfiedLinkError, ...) where it is missing. */
    static LibFuse3 load() {
        return LibraryLoader.create(LibFuse3.class).option(LibraryOption.IgnoreError, true).failImmediately()
                .load("libfuse3.so.3");
    }
}
