package org.vmcorefs.fs.fuse3;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import com.kenai.jffi.MemoryIO;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import jnr.ffi.Pointer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.vmcorefs.format.view.DumpTree;
import org.vmcorefs.format.view.VirtualFile;
import org.vmcorefs.fs.MountStats;
import org.vmcorefs.machine.DumpException;
import org.vmcorefs.machine.Errno;

/** The libfuse 3 adapter's operations against a fake libfuse that records each reply. */
class Fuse3FsTest {
    private static final MemoryIO IO = MemoryIO.getInstance();
    private static final long REQ = 0x1234;

    /** One file of {@code size} bytes, byte i = i * 7; reads past [0, failFrom) fail with EIO. */
    private static VirtualFile file(int size, long failFrom) {
        return new VirtualFile() {
            @Override
            public long size() {
                return size;
            }

            @Override
            public int mode() {
                return 0400;
            }

            @Override
            public int read(long offset, ByteBuffer dst) throws DumpException {
                int n = (int) Math.max(0, Math.min(dst.remaining(), size - offset));
                if (offset + n > failFrom) {
                    throw new DumpException(Errno.EIO, "injected");
                }
                for (int i = 0; i < n; i++) {
                    dst.put((byte) ((offset + i) * 7));
                }
                return n;
            }
        };
    }

    /** What the adapter replied: the last call's name and its values. */
    private final List<String> replies = new ArrayList<>();
    private byte[] lastData;
    private long lastIno;
    private long lastSize;
    private final List<String> direntries = new ArrayList<>();
    private final List<Long> natives = new ArrayList<>();

    private final LibFuse3 fake = new LibFuse3() {
        public long fuse_session_new(Pointer args, Pointer ops, long opsSize, Pointer userdata) {
            return 0;
        }

        public int fuse_session_mount(long se, String mountpoint) {
            return 0;
        }

        public int fuse_session_loop(long se) {
            return 0;
        }

        public int fuse_session_loop_mt_31(long se, int cloneFd) {
            return 0;
        }

        public void fuse_session_unmount(long se) {
        }

        public void fuse_session_destroy(long se) {
        }

        public int fuse_session_fd(long se) {
            return -1;
        }

        public int fuse_session_exited(long se) {
            return 1;
        }

        public void fuse_session_process_buf(long se, long buf) {
        }

        public int fuse_session_custom_io(long se, Pointer io, int fd) {
            return 0;
        }

        public int fuse_reply_err(long req, int err) {
            replies.add("err " + err);
            return 0;
        }

        public void fuse_reply_none(long req) {
            replies.add("none");
        }

        public int fuse_reply_entry(long req, long e) {
            lastIno = IO.getLong(e + FuseEntryParam.INO);
            lastSize = IO.getLong(e + FuseEntryParam.ATTR + Stat.SIZE_);
            replies.add("entry mode " + Integer.toOctalString(IO.getInt(e + FuseEntryParam.ATTR + Stat.MODE)));
            return 0;
        }

        public int fuse_reply_attr(long req, long st, double timeout) {
            lastSize = IO.getLong(st + Stat.SIZE_);
            replies.add("attr mode " + Integer.toOctalString(IO.getInt(st + Stat.MODE)));
            return 0;
        }

        public int fuse_reply_open(long req, long fi) {
            replies.add("open bits " + FuseFileInfo.bits(fi));
            return 0;
        }

        public int fuse_reply_write(long req, long count) {
            replies.add("write " + count);
            return 0;
        }

        public int fuse_reply_buf(long req, long buf, long size) {
            lastData = new byte[(int) size];
            IO.getByteArray(buf, lastData, 0, lastData.length);
            replies.add("buf " + size);
            return 0;
        }

        public int fuse_reply_data(long req, long bufvec, int flags) {
            replies.add("data");
            return 0;
        }

        public long fuse_add_direntry(long req, long buf, long bufsize, String name, long st, long off) {
            long n = 24 + ((name.length() + 7) & ~7);
            if (n <= bufsize) {
                direntries.add(name + " " + Integer.toOctalString(IO.getInt(st + Stat.MODE)) + " " + off);
            }
            return n;
        }
    };

    private final DumpTree tree = new DumpTree(Instant.ofEpochSecond(1767225600))
            .add("/proc/vmcore", file(300_000, Long.MAX_VALUE))
            .add("/dev/oldmem", file(5000, 4096));
    private final Fuse3Fs fs = new Fuse3Fs(fake, tree, new MountStats(), 1000, 1000, true, false);

    private long alloc(int size) {
        long a = IO.allocateMemory(size, true);
        natives.add(a);
        return a;
    }

    @AfterEach
    void free() {
        natives.forEach(IO::freeMemory);
        fs.destroy(0);
    }

    private long name(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        long a = alloc(b.length + 1);
        IO.putByteArray(a, b, 0, b.length);
        return a;
    }

    private String last() {
        return replies.get(replies.size() - 1);
    }

    private long lookup(String... names) {
        long ino = Inodes.ROOT;
        for (String n : names) {
            fs.lookup(REQ, ino, name(n));
            ino = lastIno;
        }
        return ino;
    }

    private long open(long ino) {
        long fi = alloc(FuseFileInfo.SIZE);
        fs.open(REQ, ino, fi);
        return fi;
    }

    @Test
    void lookupAndGetattrGiveModesAndSizes() {
        long proc = lookup("proc");
        assertEquals("entry mode 40500", last());
        long vmcore = lookup("proc", "vmcore");
        assertEquals("entry mode 100400", last());
        assertEquals(300_000, lastSize);
        assertNotEquals(proc, vmcore);
        fs.getattr(REQ, vmcore, 0);
        assertEquals("attr mode 100400", last());
        fs.lookup(REQ, proc, name("nothing"));
        assertEquals("err " + Errno.ENOENT.value(), last());
        fs.getattr(REQ, 999, 0);
        assertEquals("err " + Errno.ENOENT.value(), last());
    }

    /** Reads of sizes around page and request boundaries equal the file's bytes, clamped at its end. */
    @ParameterizedTest
    @ValueSource(ints = {1, 2, 8, 4095, 4096, 8192, 131072, Fuse3Fs.MAX_REQUEST})
    void readsReturnTheFilesBytes(int size) {
        long fi = open(lookup("proc", "vmcore"));
        assertEquals("open bits " + FuseFileInfo.DIRECT_IO, last());
        for (long off : new long[] {0, 1, 4095, Math.max(0, 299_999 - size / 2), 300_000, 400_000}) {
            fs.read(REQ, 0, size, off, fi);
            int expect = (int) Math.max(0, Math.min(size, 300_000 - off));
            assertEquals("buf " + expect, last(), "offset " + off);
            byte[] want = new byte[expect];
            for (int i = 0; i < expect; i++) {
                want[i] = (byte) ((off + i) * 7);
            }
            assertArrayEquals(want, lastData, "offset " + off);
        }
        fs.release(REQ, 0, fi);
        assertEquals("err 0", last());
    }

    @Test
    void failuresAreErrnoValues() {
        long oldmem = lookup("dev", "oldmem");
        long fi = open(oldmem);
        fs.read(REQ, oldmem, 4096, 0, fi);
        assertEquals("buf 4096", last());
        fs.read(REQ, oldmem, 4096, 4000, fi);
        assertEquals("err " + Errno.EIO.value(), last());
        fs.read(REQ, oldmem, 4096, -1, fi);
        assertEquals("err " + Errno.EINVAL.value(), last());
        long buf = alloc(1);
        fs.write(REQ, oldmem, buf, 1, 0, fi);
        assertEquals("err " + Errno.EINVAL.value(), last()); // VirtualFile's default write
        fs.setattr(REQ, oldmem, alloc(Stat.SIZE), Fuse3Fs.SET_MODE, 0);
        assertEquals("err 38", last());
        fs.setattr(REQ, oldmem, alloc(Stat.SIZE), Fuse3Fs.SET_SIZE, 0);
        assertEquals("attr mode 100400", last());
        fs.open(REQ, lookup("dev"), alloc(FuseFileInfo.SIZE));
        assertEquals("err " + Errno.EISDIR.value(), last());
        fs.read(REQ, oldmem, 4096, 0, alloc(FuseFileInfo.SIZE)); // no such handle
        assertEquals("err " + Errno.ENOENT.value(), last());
    }

    @Test
    void readdirListsDotsAndNamesFromAnOffset() {
        long fi = alloc(FuseFileInfo.SIZE);
        fs.readdir(REQ, Inodes.ROOT, 4096, 0, fi);
        assertEquals(List.of(". 40000 1", ".. 40000 2", "dev 40000 3", "proc 40000 4"), direntries);
        direntries.clear();
        fs.readdir(REQ, Inodes.ROOT, 4096, 3, fi);
        assertEquals(List.of("proc 40000 4"), direntries);
        direntries.clear();
        fs.readdir(REQ, lookup("proc"), 4096, 0, fi);
        assertEquals(List.of(". 40000 1", ".. 40000 2", "vmcore 100000 3"), direntries);
        fs.readdir(REQ, lookup("proc", "vmcore"), 4096, 0, fi);
        assertEquals("err " + Errno.ENOTDIR.value(), last());
    }
}
