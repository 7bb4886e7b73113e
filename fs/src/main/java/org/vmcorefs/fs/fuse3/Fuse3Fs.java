package org.vmcorefs.fs.fuse3;

import com.kenai.jffi.MemoryIO;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vmcorefs.format.view.DumpTree;
import org.vmcorefs.format.view.VirtualFile;
import org.vmcorefs.fs.Descriptors;
import org.vmcorefs.fs.Failures;
import org.vmcorefs.fs.MountStats;
import org.vmcorefs.machine.DumpException;
import org.vmcorefs.machine.Errno;

/**
 * The libfuse 3 low-level adapter: the same files, modes, sizes, errno values and counts as the jnr-fuse
 * adapter (org.vmcorefs.fs.VmcoreFs), served by inode number. A path is looked up once per lookup or open;
 * a read finds its file through the handle's slot, reads into a reused native buffer (or names the image's
 * descriptor for libfuse to splice) and replies, allocating nothing of its own.
 * Nothing thrown below crosses into native code: every callback replies, with an errno if need be.
 */
final class Fuse3Fs {
    private static final Logger LOG = LoggerFactory.getLogger(Fuse3Fs.class);
    private static final MemoryIO IO = MemoryIO.getInstance();
    /**
     * The largest read request: 252 pages. libfuse 3.14 derives max_pages from max_write and needs a pipe of
     * the reply's size plus a header to splice it; the pipe may grow to 1 MiB only (pipe-max-size), so at
     * 256 pages every spliced reply would silently fall back to a copy.
     */
    static final int MAX_REQUEST = 252 * 4096;
    /** libfuse splices a descriptor only from two pages up; below that reading here costs the same. */
    /** libfuse 2's default attr_timeout and entry_timeout, which the jnr-fuse adapter runs with. */
    private static final double TIMEOUT = 1.0;
    /** Not in Errno (no dump file answers it): what libfuse 2 answers for an operation a file system lacks. */
    private static final int ENOSYS = 38;
    static final int SET_MODE = 1;
    static final int SET_UID = 1 << 1;
    static final int SET_GID = 1 << 2;
    static final int SET_SIZE = 1 << 3;
    static final int SET_ATIME = 1 << 4;
    static final int SET_MTIME = 1 << 5;

    private final LibFuse3 fuse;
    private final DumpTree tree;
    private final MountStats stats;
    private final long uid;
    private final long gid;
    private final long time;
    private final boolean directIo;
    private final boolean splice;
    private final Inodes inodes = new Inodes();
    private final Handles handles = new Handles();
    private final Scratch.Pool scratch = new Scratch.Pool(MAX_REQUEST, 16);
    private final Descriptors descriptors;
    /** Set when --passthrough was asked for: whose files the kernel may serve itself. */
    private Passthrough passthrough;

    /**
     * @param directIo bypass the page cache for every file, not only for the ones whose content changes
     * @param splice hand bytes that are one run of a backing file to libfuse as its descriptor
     */
    Fuse3Fs(LibFuse3 fuse, DumpTree tree, MountStats stats, long uid, long gid, boolean directIo, boolean splice) {
        this.fuse = fuse;
        this.tree = tree;
        this.stats = stats;
        this.uid = uid;
        this.gid = gid;
        Instant t = tree.time();
        this.time = t.getEpochSecond();
        this.directIo = directIo;
        this.splice = splice;
        this.descriptors = splice ? new Descriptors() : null;
    }

    /**
     * Makes the kernel serve files that are one backing file byte for byte from that file (see {@link Passthrough});
     * needs splice's descriptors (not --no-splice). Returns the passthrough, for the session's I/O hook.
     */
    Passthrough passthrough() {
        if (passthrough == null) {
            if (descriptors == null) {
                throw new IllegalStateException("passthrough needs the backing files' descriptors (splice)");
            }
            passthrough = new Passthrough(descriptors);
            passthrough.handles(fh -> {
                Handles.Open o = handles.get(fh);
                return o == null ? 0 : o.backingId();
            });
        }
        return passthrough;
    }

    /** The operation table for fuse_session_new. */
    LowLevelOps ops() {
        return new LowLevelOps()
                .set(LowLevelOps.INIT, LowLevelOps.Init.class, this::init)
                .set(LowLevelOps.DESTROY, LowLevelOps.Destroy.class, this::destroy)
                .set(LowLevelOps.LOOKUP, LowLevelOps.Lookup.class, this::lookup)
                .set(LowLevelOps.GETATTR, LowLevelOps.InodeOp.class, this::getattr)
                .set(LowLevelOps.SETATTR, LowLevelOps.Setattr.class, this::setattr)
                .set(LowLevelOps.OPEN, LowLevelOps.InodeOp.class, this::open)
                .set(LowLevelOps.READ, LowLevelOps.ReadOp.class, this::read)
                .set(LowLevelOps.WRITE, LowLevelOps.Write.class, this::write)
                .set(LowLevelOps.RELEASE, LowLevelOps.InodeOp.class, this::release)
                .set(LowLevelOps.READDIR, LowLevelOps.ReadOp.class, this::readdir);
    }

    void init(long userdata, long conn) {
        // O_TRUNC reaches the file as a setattr of the size after the open, as libfuse 2 has it.
        int want = FuseConnInfo.want(conn) & ~FuseConnInfo.CAP_ATOMIC_O_TRUNC;
        boolean canSplice = (FuseConnInfo.capable(conn) & FuseConnInfo.CAP_SPLICE_WRITE) != 0;
        if (splice && canSplice) {
            want |= FuseConnInfo.CAP_SPLICE_WRITE;
        }
        FuseConnInfo.setWant(conn, want);
        long offered = Integer.toUnsignedLong(FuseConnInfo.maxWrite(conn));
        FuseConnInfo.setMaxWrite(conn, (int) Math.min(offered == 0 ? MAX_REQUEST : offered, MAX_REQUEST));
        LOG.info("libfuse 3 session: requests up to {} KiB, splice {}", MAX_REQUEST >> 10,
                splice ? canSplice ? "on" : "not offered by the kernel" : "off");
    }

    void destroy(long userdata) {
        if (descriptors != null) {
            descriptors.close();
        }
        scratch.close();
    }

    /** As {@link #destroy}, and closes the backing files that were read by descriptor (a thrown-away machine's). */
    void destroyWithFiles() {
        if (descriptors != null) {
            descriptors.closeFiles();
        }
        destroy(0);
    }

    /** Fills {@code st} for {@code path} (inode {@code ino}); returns 0 or the errno. */
    private int stat(String path, long ino, long st) {
        if (tree.isDirectory(path)) {
            Stat.fill(st, ino, Stat.S_IFDIR | 0500, 2, 0, uid, gid, time);
            return 0;
        }
        VirtualFile f = tree.file(path);
        if (f == null) {
            return Errno.ENOENT.value();
        }
        Stat.fill(st, ino, Stat.S_IFREG | f.mode(), 1, f.size(), uid, gid, time);
        return 0;
    }

    void lookup(long req, long parent, long name) {
        Scratch s = scratch.take();
        try {
            String dir = inodes.path(parent);
            if (dir == null) {
                fuse.fuse_reply_err(req, Errno.ENOENT.value());
                return;
            }
            String path = Inodes.child(dir, new String(IO.getZeroTerminatedByteArray(name),
                    java.nio.charset.StandardCharsets.UTF_8));
            if (!tree.isDirectory(path) && tree.file(path) == null) {
                fuse.fuse_reply_err(req, Errno.ENOENT.value());
                return;
            }
            long ino = inodes.of(path);
            int err = stat(path, ino, s.entry + FuseEntryParam.ATTR);
            if (err != 0) {
                fuse.fuse_reply_err(req, err);
                return;
            }
            FuseEntryParam.set(s.entry, ino, TIMEOUT, TIMEOUT);
            fuse.fuse_reply_entry(req, s.entry);
        } catch (Throwable e) {
            fuse.fuse_reply_err(req, -Failures.errno("lookup", "inode " + parent, 0, 0, e));
        } finally {
            scratch.give(s);
        }
    }

    void getattr(long req, long ino, long fi) {
        String path = inodes.path(ino);
        if (path == null) {
            fuse.fuse_reply_err(req, Errno.ENOENT.value());
            return;
        }
        replyAttr(req, path, ino);
    }

    private void replyAttr(long req, String path, long ino) {
        Scratch s = scratch.take();
        try {
            int err = stat(path, ino, s.stat);
            if (err != 0) {
                fuse.fuse_reply_err(req, err);
            } else {
                fuse.fuse_reply_attr(req, s.stat, TIMEOUT);
            }
        } catch (Throwable e) {
            fuse.fuse_reply_err(req, -Failures.errno("getattr", path, 0, 0, e));
        } finally {
            scratch.give(s);
        }
    }

    /** As libfuse 2 does a setattr for a file system that has only truncate: size yes, the rest ENOSYS. */
    void setattr(long req, long ino, long attr, int toSet, long fi) {
        String path = inodes.path(ino);
        if (path == null) {
            fuse.fuse_reply_err(req, Errno.ENOENT.value());
            return;
        }
        if ((toSet & (SET_MODE | SET_UID | SET_GID)) != 0) {
            fuse.fuse_reply_err(req, ENOSYS);
            return;
        }
        if ((toSet & SET_SIZE) != 0) {
            VirtualFile f = tree.file(path);
            if (f == null) {
                fuse.fuse_reply_err(req, Errno.ENOENT.value());
                return;
            }
            long size = Stat.size(attr);
            try {
                f.truncate(size);
            } catch (Throwable e) {
                fuse.fuse_reply_err(req, -Failures.errno("truncate", path, size, 0, e));
                return;
            }
        }
        if ((toSet & (SET_ATIME | SET_MTIME)) != 0) {
            fuse.fuse_reply_err(req, ENOSYS);
            return;
        }
        replyAttr(req, path, ino);
    }

    void open(long req, long ino, long fi) {
        String path = inodes.path(ino);
        VirtualFile f = path == null ? null : tree.file(path);
        if (f == null) {
            fuse.fuse_reply_err(req, path != null && tree.isDirectory(path) ? Errno.EISDIR.value()
                    : Errno.ENOENT.value());
            return;
        }
        VirtualFile opened;
        try {
            opened = f.open();
        } catch (Throwable e) {
            fuse.fuse_reply_err(req, -Failures.errno("open", path, 0, 0, e));
            return;
        }
        int backingId = passthrough == null ? 0 : passthrough.backingId(path, f);
        Handles.Open o = new Handles.Open(path, f, opened, backingId);
        long fh = handles.add(o);
        FuseFileInfo.setFh(fi, fh);
        // Files whose content changes are never served from the page cache; immutable ones, when the page
        // cache is allowed, keep what earlier opens cached.
        FuseFileInfo.setBits(fi, directIo || f.changes() ? FuseFileInfo.DIRECT_IO : FuseFileInfo.KEEP_CACHE);
        if (fuse.fuse_reply_open(req, fi) == -Errno.ENOENT.value()) {
            // The open was interrupted: the kernel will never release this handle.
            handles.remove(fh);
            releaseOpen(o);
        }
    }

    /** Opens {@code path} as an open request would, without one: its handle (for {@link Fuse3Mount#warmUp}). */
    long open(String path) throws DumpException {
        VirtualFile f = tree.file(path);
        if (f == null) {
            throw new DumpException(Errno.ENOENT, path + ": no such file");
        }
        return handles.add(new Handles.Open(path, f, f.open(), 0));
    }

    void release(long req, long ino, long fi) {
        Handles.Open o = handles.remove(FuseFileInfo.fh(fi));
        fuse.fuse_reply_err(req, o == null ? 0 : -releaseOpen(o));
    }

    private int releaseOpen(Handles.Open o) {
        if (o.ownsCopy()) {
            try {
                o.opened().release();
            } catch (Throwable e) {
                return Failures.errno("release", o.path(), 0, 0, e);
            }
        }
        return 0;
    }

    void read(long req, long ino, long size, long off, long fi) {
        read(libfuseReplies, req, FuseFileInfo.fh(fi), off, size);
    }

    /** libfuse's replies to the read callback's request. */
    private final ReadReplies libfuseReplies = new ReadReplies() {
        @Override
        public void error(long req, int errno) {
            fuse.fuse_reply_err(req, errno);
        }

        @Override
        public void data(long req, Scratch s, int n) {
            fuse.fuse_reply_buf(req, s.buffer, n);
        }

        @Override
        public boolean spliced(long req, Scratch s, int fd, long pos, int n) {
            FuseBufvec.setFd(s.bufvec, fd, pos, n);
            fuse.fuse_reply_data(req, s.bufvec, 0);
            return true; // the file's size was checked before (Descriptors.forRun)
        }

        @Override
        public boolean checksRuns() {
            return false;
        }
    };

    /** A read of handle {@code fh}, answered through {@code r}: libfuse's callback and vmcorefs's own loop. */
    void read(ReadReplies r, long id, long fh, long off, long size) {
        Handles.Open o = handles.get(fh);
        if (o == null) {
            r.error(id, Errno.ENOENT.value());
            return;
        }
        if (off < 0) {
            r.error(id, Errno.EINVAL.value());
            return;
        }
        Scratch s = scratch.take();
        try {
            int n;
            try {
                n = take(o, off, size, s, r.checksRuns());
            } catch (Throwable e) {
                stats.failed(o.path());
                r.error(id, -Failures.errno("read", o.path(), off, size, e));
                return;
            }
            if (s.runFd != Descriptors.NO_FD) {
                if (!r.spliced(id, s, s.runFd, s.runOffset, n)) {
                    stats.failed(o.path());
                    LOG.warn("read of {} at {} ({} bytes): its backing file no longer holds them (cut short while "
                            + "mounted?): EIO", o.path(), off, n);
                }
            } else {
                r.data(id, s, n);
            }
        } finally {
            scratch.give(s);
        }
    }

    /**
     * The one place that takes a read's bytes from the file, with one lookup in the file, and counts them:
     * bytes that are one run of a backing file are left there ({@code s.runFd} and {@code s.runOffset} name
     * them, for the reply to splice); the others are read into {@code s}'s buffer. The caller replies after,
     * so that a failure here can still be answered with an errno.
     */
    private int take(Handles.Open o, long off, long size, Scratch s, boolean checksRuns) throws DumpException {
        int n = o.opened().read(off, (int) Math.min(size, s.capacity), s.forRead(splice ? descriptors : null,
                checksRuns));
        if (s.runFd != Descriptors.NO_FD && n >= 2 * 4096) { // spliced (smaller runs are read, with pread)
            stats.readByDescriptor(o.path(), n);
        } else {
            stats.read(o.path(), n);
        }
        stats.touched(o.path(), off, n);
        return n;
    }

    void write(long req, long ino, long buf, long size, long off, long fi) {
        Handles.Open o = handles.get(FuseFileInfo.fh(fi));
        if (o == null) {
            fuse.fuse_reply_err(req, Errno.ENOENT.value());
            return;
        }
        byte[] data = new byte[(int) Math.min(size, 1 << 20)];
        IO.getByteArray(buf, data, 0, data.length);
        try {
            int n = o.opened().write(off, ByteBuffer.wrap(data));
            stats.wrote(o.path(), n);
            fuse.fuse_reply_write(req, n);
        } catch (Throwable e) {
            stats.failed(o.path());
            fuse.fuse_reply_err(req, -Failures.errno("write", o.path(), off, size, e));
        }
    }

    void readdir(long req, long ino, long size, long off, long fi) {
        String path = inodes.path(ino);
        if (path == null || !tree.isDirectory(path)) {
            fuse.fuse_reply_err(req, path == null || tree.file(path) == null ? Errno.ENOENT.value()
                    : Errno.ENOTDIR.value());
            return;
        }
        Scratch s = scratch.take();
        try {
            List<String> names = new ArrayList<>(List.of(".", ".."));
            names.addAll(tree.list(path));
            long room = Math.min(size, s.capacity);
            long used = 0;
            for (int i = (int) Math.max(off, 0); i < names.size(); i++) {
                String name = names.get(i);
                long entryIno;
                boolean dir;
                if (name.equals(".")) {
                    entryIno = ino;
                    dir = true;
                } else if (name.equals("..")) {
                    entryIno = inodes.of(Inodes.parent(path));
                    dir = true;
                } else {
                    String child = Inodes.child(path, name);
                    entryIno = inodes.of(child);
                    dir = tree.isDirectory(child);
                }
                Stat.fill(s.stat, entryIno, dir ? Stat.S_IFDIR : Stat.S_IFREG, 0, 0, 0, 0, 0);
                long n = fuse.fuse_add_direntry(req, s.buffer + used, room - used, name, s.stat, i + 1);
                if (n > room - used) {
                    break;
                }
                used += n;
            }
            fuse.fuse_reply_buf(req, s.buffer, used);
        } catch (Throwable e) {
            fuse.fuse_reply_err(req, -Failures.errno("readdir", path, off, size, e));
        } finally {
            scratch.give(s);
        }
    }
}
