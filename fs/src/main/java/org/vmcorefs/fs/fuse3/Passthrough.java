package org.vmcorefs.fs.fuse3;

import com.kenai.jffi.MemoryIO;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vmcorefs.format.view.ReadTarget;
import org.vmcorefs.format.view.VirtualFile;
import org.vmcorefs.fs.Descriptors;
import org.vmcorefs.machine.DumpException;
import org.vmcorefs.machine.memory.FileMemory;

/**
 * FUSE passthrough (kernel 6.9 on, CONFIG_FUSE_PASSTHROUGH): a file whose bytes are, byte for byte and offset
 * for offset, those of one backing file (a replayed kdump vmcore's /proc/vmcore, a raw image's /dev/oldmem) is
 * opened with FOPEN_PASSTHROUGH and that file's backing id, and the kernel then serves its reads and mmaps from
 * the backing file's own page cache, never asking vmcorefs: those reads are not counted.
 *
 * <p>libfuse 3.14 knows nothing of it, so this is done on the session's I/O, which libfuse 3.14 lets one
 * replace (fuse_session_custom_io): every reply libfuse writes passes {@link #writev}, which adds FUSE_PASSTHROUGH
 * and max_stack_depth to the INIT reply (when the kernel offered it) and the backing id to the OPEN reply of
 * such a file. It knows which request a reply answers from {@link RequestLoop}, which hands libfuse one request
 * at a time. Registering a backing file (FUSE_DEV_IOC_BACKING_OPEN) needs CAP_SYS_ADMIN.
 */
final class Passthrough {
    private static final Logger LOG = LoggerFactory.getLogger(Passthrough.class);
    private static final MemoryIO IO = MemoryIO.getInstance();
    /** _IOW(229, 1, struct fuse_backing_map): struct fuse_backing_map { int32_t fd; uint32_t flags; uint64_t padding; }. */
    static final long FUSE_DEV_IOC_BACKING_OPEN = 0x4010e501L;
    /** fuse_init_in.flags / fuse_init_out.flags: FUSE_INIT_EXT (flags2 is valid). */
    static final int FUSE_INIT_EXT = 1 << 30;
    /** FUSE_PASSTHROUGH, bit 37 of the 64-bit flags: bit 5 of flags2. */
    static final int FLAGS2_PASSTHROUGH = 1 << 5;
    static final int FOPEN_DIRECT_IO = 1;
    static final int FOPEN_PASSTHROUGH = 1 << 7;
    /** fuse_init_in after the request header: major, minor, max_readahead, flags, flags2. */
    static final int INIT_IN_FLAGS = RequestLoop.IN_HEADER + 12;
    static final int INIT_IN_FLAGS2 = RequestLoop.IN_HEADER + 16;
    /** fuse_init_out: flags at 12, flags2 at 32, max_stack_depth at 36 (an unused word before 7.40). */
    static final int INIT_OUT_FLAGS = 12;
    static final int INIT_OUT_FLAGS2 = 32;
    static final int INIT_OUT_MAX_STACK_DEPTH = 36;
    static final int INIT_OUT_SIZE = 64;
    /** fuse_open_out: fh, open_flags, backing_id (padding before 7.40). */
    static final int OPEN_OUT_FH = 0;
    static final int OPEN_OUT_FLAGS = 8;
    static final int OPEN_OUT_BACKING_ID = 12;
    static final int OPEN_OUT_SIZE = 16;
    /** struct iovec: base, len. */
    static final int IOV = 16;
    /** At most this many bytes of a file may be vmcorefs's own (headers), compared with the backing file at open. */
    static final int MOST_OWN_BYTES = 4 << 20;
    /** At most this many of its bytes may be the backing file's at another offset (compared at open). */
    static final long MOST_ALIASED_BYTES = 256L << 20;
    private static final int FIRST_STEP = 4096;
    private static final long LAST_STEP = 1L << 30;

    private final Sys sys = Sys.get();
    private final Descriptors descriptors;
    private final Map<String, Integer> ids = new ConcurrentHashMap<>();
    /** What stats.json shows: whether the kernel took it, and the files it serves. */
    private final Map<String, Object> report = new ConcurrentSkipListMap<>();
    private final Map<String, String> served = new ConcurrentSkipListMap<>();
    private volatile boolean on;
    private volatile int devFd = -1;
    private RequestLoop loop;
    private IntLookup handles;

    /** The backing id of an open handle (0 for none). */
    interface IntLookup {
        int backingId(long fh);
    }

    Passthrough(Descriptors descriptors) {
        this.descriptors = descriptors;
        report.put("negotiated", false);
        report.put("files", served);
    }

    /** Where {@link #writev} finds an OPEN reply's backing id, by its handle. */
    void handles(IntLookup h) {
        this.handles = h;
    }

    Map<String, Object> report() {
        return report;
    }

    /** Hooks the session's replies; called once the session is mounted, before its first request is read. */
    void attach(RequestLoop loop, int devFd) {
        this.loop = loop;
        this.devFd = devFd;
    }

    /**
     * The backing id to open {@code path} with, 0 for none: registered once per file, the first time it is opened
     * after the kernel agreed to passthrough, if its bytes are one backing file's.
     */
    int backingId(String path, VirtualFile f) {
        if (!on || f.changes()) {
            return 0;
        }
        return ids.computeIfAbsent(path, p -> register(p, f));
    }

    private int register(String path, VirtualFile f) {
        FileMemory backing;
        try {
            backing = sameBytes(f);
        } catch (IOException | RuntimeException e) {
            LOG.info("{}: not served by passthrough: {}", path, e.getMessage());
            return 0;
        }
        if (backing == null) {
            LOG.info("{}: not served by passthrough: {}", path, why);
            return 0;
        }
        int fd = descriptors.of(backing);
        if (fd == Descriptors.NO_FD) {
            return 0;
        }
        long map = IO.allocateMemory(16, true);
        try {
            IO.putInt(map, fd);
            int id = sys.ioctl(devFd, FUSE_DEV_IOC_BACKING_OPEN, map);
            if (id <= 0) {
                LOG.warn("{}: FUSE_DEV_IOC_BACKING_OPEN of {} failed (errno {}): reads go through vmcorefs", path,
                        backing.path(), Sys.errno());
                return 0;
            }
            LOG.info("{}: served by the kernel from {} (passthrough, backing id {}): its reads are not counted", path,
                    backing.path(), id);
            served.put(path, backing.path().toString());
            return id;
        } finally {
            IO.freeMemory(map);
        }
    }

    /** Raised by the probe when a part of the file is not a run of a backing file: nothing has been read. */
    private static final class NotARun extends RuntimeException {
        NotARun() {
            super(null, null, false, false);
        }
    }

    /**
     * The one backing file whose bytes {@code f} is, offset for offset and to the same size, or null. Walks the
     * file as reads would, in growing steps, without reading: each step must be a run of that file at the same
     * offset. What is vmcorefs's own (headers, notes; at most {@link #MOST_OWN_BYTES}) is then read and compared
     * with the backing file.
     */
    /** Why the last {@link #sameBytes} found no backing file (register runs under the map's lock, one at a time). */
    private String why;

    private FileMemory sameBytes(VirtualFile f) throws DumpException, IOException {
        long size = f.size();
        FileMemory[] backing = new FileMemory[1];
        boolean[] sameFile = {true};
        long[] seen = new long[1];
        List<long[]> aliases = new ArrayList<>();
        long aliasBytes = 0;
        List<long[]> own = new ArrayList<>();
        long ownBytes = 0;
        long step = FIRST_STEP;
        for (long off = 0; off < size; ) {
            int len = (int) Math.min(step, size - off);
            long at = off;
            ReadTarget probe = new ReadTarget() {
                @Override
                public boolean takeRun(FileMemory file, long offset, int length) {
                    if (backing[0] == null) {
                        backing[0] = file;
                    }
                    sameFile[0] &= backing[0] == file;
                    seen[0] = offset;
                    return true;
                }

                @Override
                public ByteBuffer buffer(int length) {
                    throw new NotARun();
                }
            };
            try {
                seen[0] = at;
                f.read(off, len, probe);
                if (!sameFile[0]) {
                    why = "its bytes come from more than one file";
                    return null;
                }
                if (seen[0] != at) {
                    // The same bytes of the dump at another offset of it (a kdump vmcore's kernel text segment
                    // is also in its linear-map segment): the kernel would read them here, so compare.
                    aliasBytes += len;
                    if (aliasBytes > MOST_ALIASED_BYTES) {
                        why = "more than " + MOST_ALIASED_BYTES + " of its bytes are the backing file's at another "
                                + "offset";
                        return null;
                    }
                    aliases.add(new long[] {off, seen[0], len});
                }
                off += len;
                step = Math.min(step * 2, LAST_STEP);
            } catch (NotARun e) {
                if (step > FIRST_STEP) {
                    step = FIRST_STEP;
                    continue;
                }
                ownBytes += len;
                if (ownBytes > MOST_OWN_BYTES) {
                    why = "more than " + MOST_OWN_BYTES + " of its bytes are not a backing file's";
                    return null;
                }
                own.add(new long[] {off, len});
                off += len;
            }
        }
        if (backing[0] == null || Files.size(backing[0].path()) != size) {
            why = backing[0] == null ? "no backing file" : "its backing file " + backing[0].path() + " has "
                    + Files.size(backing[0].path()) + " bytes, it " + size;
            return null;
        }
        ByteBuffer here = ByteBuffer.allocateDirect(1 << 20);
        ByteBuffer there = ByteBuffer.allocateDirect(1 << 20);
        java.nio.channels.FileChannel ch = backing[0].channel();
        for (long[] a : aliases) {
            for (long done = 0; done < a[2]; ) {
                int n = (int) Math.min(here.capacity(), a[2] - done);
                here.clear().limit(n);
                there.clear().limit(n);
                while (here.hasRemaining() && ch.read(here, a[0] + done + here.position()) > 0) {
                }
                while (there.hasRemaining() && ch.read(there, a[1] + done + there.position()) > 0) {
                }
                if (!here.flip().equals(there.flip())) {
                    why = "its bytes at " + (a[0] + done) + " are the backing file's at " + (a[1] + done)
                            + ", and the backing file's own bytes there differ";
                    return null;
                }
                done += n;
            }
        }
        ByteBuffer mine = ByteBuffer.allocate(FIRST_STEP);
        ByteBuffer theirs = ByteBuffer.allocate(FIRST_STEP);
        for (long[] r : own) {
            mine.clear().limit((int) r[1]);
            theirs.clear().limit((int) r[1]);
            f.read(r[0], mine);
            backing[0].channel().read(theirs, r[0]);
            if (!mine.flip().equals(theirs.flip())) {
                why = "its own bytes at " + r[0] + " differ from the backing file's";
                return null;
            }
        }
        return backing[0];
    }

    /** fuse_custom_io.writev: libfuse's replies, amended for passthrough, then written. */
    long writev(int fd, long iov, int count, long userdata) {
        try {
            if (count >= 2 && loop != null && IO.getLong(IO.getAddress(iov) + 8) == loop.unique()) {
                long arg = IO.getAddress(iov + IOV);
                long argLen = IO.getLong(iov + IOV + 8);
                int error = IO.getInt(IO.getAddress(iov) + 4);
                if (error == 0 && loop.opcode() == RequestLoop.FUSE_INIT && argLen >= INIT_OUT_SIZE) {
                    amendInit(arg);
                } else if (error == 0 && loop.opcode() == RequestLoop.FUSE_OPEN && argLen == OPEN_OUT_SIZE) {
                    amendOpen(arg);
                }
            }
        } catch (RuntimeException e) {
            LOG.warn("passthrough: reply not amended", e);
        }
        return sys.writev(fd, iov, count);
    }

    /** fuse_custom_io.read: not called (RequestLoop reads), but libfuse wants one. */
    long read(int fd, long buf, long len, long userdata) {
        return sys.read(fd, buf, len);
    }

    private void amendInit(long out) {
        long in = loop.request();
        boolean offered = (IO.getInt(in + INIT_IN_FLAGS) & FUSE_INIT_EXT) != 0
                && (IO.getInt(in + INIT_IN_FLAGS2) & FLAGS2_PASSTHROUGH) != 0;
        if (!offered || (IO.getInt(out + INIT_OUT_FLAGS) & FUSE_INIT_EXT) == 0) {
            LOG.warn("--passthrough: the kernel does not offer FUSE passthrough (6.9 on, CONFIG_FUSE_PASSTHROUGH): "
                    + "every read goes through vmcorefs");
            return;
        }
        IO.putInt(out + INIT_OUT_FLAGS2, IO.getInt(out + INIT_OUT_FLAGS2) | FLAGS2_PASSTHROUGH);
        IO.putInt(out + INIT_OUT_MAX_STACK_DEPTH, 1);
        on = true;
        report.put("negotiated", true);
        LOG.info("--passthrough: FUSE passthrough agreed with the kernel");
    }

    private void amendOpen(long out) {
        int id = handles == null ? 0 : handles.backingId(IO.getLong(out + OPEN_OUT_FH));
        if (id > 0) {
            IO.putInt(out + OPEN_OUT_FLAGS, (IO.getInt(out + OPEN_OUT_FLAGS) & ~FOPEN_DIRECT_IO) | FOPEN_PASSTHROUGH);
            IO.putInt(out + OPEN_OUT_BACKING_ID, id);
        }
    }
}
