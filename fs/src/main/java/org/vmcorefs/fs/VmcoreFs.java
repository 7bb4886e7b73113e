package org.vmcorefs.fs;

import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import jnr.ffi.Pointer;
import jnr.ffi.types.off_t;
import jnr.ffi.types.size_t;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vmcorefs.format.view.DumpTree;
import org.vmcorefs.format.view.VirtualFile;
import org.vmcorefs.machine.DumpException;
import org.vmcorefs.machine.Errno;
import ru.serce.jnrfuse.ErrorCodes;
import ru.serce.jnrfuse.FuseFillDir;
import ru.serce.jnrfuse.FuseStubFS;
import ru.serce.jnrfuse.struct.FileStat;
import ru.serce.jnrfuse.struct.FuseFileInfo;

/**
 * The jnr-fuse adapter: each operation looks the path up in the {@link DumpTree}, checks, and delegates.
 * Reads fill a native buffer (a direct ByteBuffer over it, no copy through the Java heap) or name the backing
 * file's bytes for libfuse to move (see {@link ReadBuffers}).
 * Nothing thrown below crosses into native code: {@link #errno} maps every failure to a negative errno.
 */
public final class VmcoreFs extends FuseStubFS {
    private static final Logger LOG = LoggerFactory.getLogger(VmcoreFs.class);
    /** Byte offset of the bit field (direct_io:1, keep_cache:1, ...) in libfuse 2's struct fuse_file_info. */
    private static final int FILE_INFO_BITS = 20;
    private static final int DIRECT_IO = 1;
    private static final int KEEP_CACHE = 2;

    private final DumpTree tree;
    private final MountStats stats;
    private final long uid;
    private final long gid;
    private final Instant time;
    private final boolean directIo;
    /** What each open handle reads (see {@link VirtualFile#open()}), by the handle number given to FUSE. */
    private final Map<Long, VirtualFile> handles = new ConcurrentHashMap<>();
    private final AtomicLong nextHandle = new AtomicLong(1);

    private final ReadBuffers buffers;

    /**
     * @param directIo bypass the page cache for every file, not only for the ones whose content changes
     * @param buffers what read_buf replies are made of
     */
    public VmcoreFs(DumpTree tree, MountStats stats, long uid, long gid, boolean directIo, ReadBuffers buffers) {
        this.directIo = directIo;
        this.buffers = buffers;
        this.tree = tree;
        this.stats = stats;
        this.uid = uid;
        this.gid = gid;
        this.time = tree.time();
    }

    @Override
    public int getattr(String path, FileStat stat) {
        if (tree.isDirectory(path)) {
            stat.st_mode.set(FileStat.S_IFDIR | 0500);
            stat.st_nlink.set(2);
        } else {
            VirtualFile f = tree.file(path);
            if (f == null) {
                return -ErrorCodes.ENOENT();
            }
            stat.st_mode.set(FileStat.S_IFREG | f.mode());
            stat.st_nlink.set(1);
            stat.st_size.set(f.size());
            stat.st_blocks.set((f.size() + 511) / 512);
        }
        stat.st_uid.set(uid);
        stat.st_gid.set(gid);
        stat.st_mtim.tv_sec.set(time.getEpochSecond());
        stat.st_atim.tv_sec.set(time.getEpochSecond());
        stat.st_ctim.tv_sec.set(time.getEpochSecond());
        return 0;
    }

    @Override
    public int readdir(String path, Pointer buf, FuseFillDir filter, @off_t long offset, FuseFileInfo fi) {
        if (!tree.isDirectory(path)) {
            return tree.file(path) == null ? -ErrorCodes.ENOENT() : -ErrorCodes.ENOTDIR();
        }
        filter.apply(buf, ".", null, 0);
        filter.apply(buf, "..", null, 0);
        for (String name : tree.list(path)) {
            filter.apply(buf, name, null, 0);
        }
        return 0;
    }

    @Override
    public int open(String path, FuseFileInfo fi) {
        VirtualFile f = tree.file(path);
        if (f == null) {
            return tree.isDirectory(path) ? -ErrorCodes.EISDIR() : -ErrorCodes.ENOENT();
        }
        VirtualFile opened;
        try {
            opened = f.open();
        } catch (Throwable e) {
            return errno("open", path, 0, 0, e);
        }
        if (opened != f) {
            long handle = nextHandle.getAndIncrement();
            handles.put(handle, opened);
            fi.fh.set(handle);
        }
        // Files whose content changes are never served from the page cache; immutable ones, when the
        // page cache is allowed, keep what earlier opens cached (libfuse 2 drops it on open otherwise).
        Pointer p = jnr.ffi.Struct.getMemory(fi);
        p.putInt(FILE_INFO_BITS, p.getInt(FILE_INFO_BITS) | (directIo || f.changes() ? DIRECT_IO : KEEP_CACHE));
        return 0;
    }

    @Override
    public int release(String path, FuseFileInfo fi) {
        long handle = fi.fh.get();
        VirtualFile opened = handle != 0 ? handles.remove(handle) : null;
        if (opened != null) {
            try {
                opened.release();
            } catch (Throwable e) {
                return errno("release", path, 0, 0, e);
            }
        }
        return 0;
    }

    /** The file an open handle reads: its snapshot if it has one, else the tree's file. */
    private VirtualFile file(String path, FuseFileInfo fi) {
        long handle = fi.fh.get();
        VirtualFile f = handle != 0 ? handles.get(handle) : null;
        return f != null ? f : tree.file(path);
    }

    /**
     * Every read (libfuse calls read_buf, never read, when it is implemented), served with one lookup in the
     * file: bytes that are one run of a backing file go back as that file's descriptor and offset (libfuse moves
     * them, by splice when mounted with splice_write); the others are read into a buffer libfuse frees. Nothing
     * is allocated on the Java heap here (this thread's {@link ReadBuffers.Reply} is reused).
     */
    @Override
    public int read_buf(String path, Pointer bufp, @size_t long size, @off_t long offset, FuseFileInfo fi) {
        VirtualFile f = file(path, fi);
        if (f == null) {
            return -ErrorCodes.ENOENT();
        }
        if (offset < 0) {
            return -ErrorCodes.EINVAL();
        }
        ReadBuffers.Reply reply = buffers.reply();
        try {
            int n = f.read(offset, (int) size, reply);
            if (reply.byDescriptor()) {
                stats.readByDescriptor(path, n);
            } else {
                stats.read(path, n);
            }
            stats.touched(path, offset, n);
            bufp.putAddress(0, reply.bufvec(n));
            return 0;
        } catch (Throwable e) {
            reply.free();
            stats.failed(path);
            return errno("read", path, offset, size, e);
        }
    }

    @Override
    public void destroy(Pointer initResult) {
        buffers.close();
    }

    @Override
    public int write(String path, Pointer buf, @size_t long size, @off_t long offset, FuseFileInfo fi) {
        VirtualFile f = file(path, fi);
        if (f == null) {
            return -ErrorCodes.ENOENT();
        }
        byte[] data = new byte[(int) Math.min(size, 1 << 20)];
        buf.get(0, data, 0, data.length);
        try {
            int n = f.write(offset, ByteBuffer.wrap(data));
            stats.wrote(path, n);
            return n;
        } catch (Throwable e) {
            stats.failed(path);
            return errno("write", path, offset, size, e);
        }
    }

    @Override
    public int truncate(String path, @off_t long size) {
        VirtualFile f = tree.file(path);
        if (f == null) {
            return -ErrorCodes.ENOENT();
        }
        try {
            f.truncate(size);
            return 0;
        } catch (Throwable e) {
            return errno("truncate", path, size, 0, e);
        }
    }

    /** The one place where failures become errno values; unexpected exceptions become EIO and are logged. */
    static int errno(String op, String path, long offset, long length, Throwable e) {
        if (e instanceof DumpException d) {
            LOG.warn("{} {} offset {} length {}: {} ({})", op, path, offset, length, d.getMessage(), d.errno());
            return -d.errno().value();
        }
        LOG.error("{} {} offset {} length {}: unexpected failure", op, path, offset, length, e);
        return -Errno.EIO.value();
    }
}
