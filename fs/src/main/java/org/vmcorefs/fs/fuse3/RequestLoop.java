package org.vmcorefs.fs.fuse3;

import com.kenai.jffi.MemoryIO;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vmcorefs.machine.Errno;

/**
 * vmcorefs's own loop over a libfuse 3 session's /dev/fuse: it reads each request itself, answers READ itself
 * (one write of header and data, or the backing file's bytes spliced through a pipe, as libfuse would) and
 * hands every other request to libfuse (fuse_session_process_buf), whose callbacks answer it as before.
 * So the read path, the one that is hot, makes no upcall from native code into Java: only plain calls
 * (read, write, splice) the other way. One thread; INTERRUPT is not answered (allowed by the protocol): the
 * request it names has been answered before the next request is read.
 */
final class RequestLoop implements ReadReplies {
    private static final Logger LOG = LoggerFactory.getLogger(RequestLoop.class);
    private static final MemoryIO IO = MemoryIO.getInstance();
    /** struct fuse_in_header: len, opcode, unique, nodeid, uid, gid, pid, total_extlen, padding. */
    static final int IN_HEADER = 40;
    static final int IN_OPCODE = 4;
    static final int IN_UNIQUE = 8;
    /** struct fuse_read_in after the header: fh, offset, size, ... */
    static final int READ_FH = IN_HEADER;
    static final int READ_OFFSET = IN_HEADER + 8;
    static final int READ_SIZE = IN_HEADER + 16;
    static final int FUSE_OPEN = 14;
    static final int FUSE_READ = 15;
    static final int FUSE_INIT = 26;
    static final int FUSE_INTERRUPT = 36;
    /** struct fuse_buf (fuse_common.h): size, flags, mem, fd, pos. */
    static final int FUSE_BUF_SIZE = 40;
    /** The pipe a spliced reply goes through: its header and up to 254 pages of data. */
    private static final int PIPE_SIZE = 1 << 20;
    private static final int SMALLEST_SPLICE = 2 * 4096;

    private final Sys sys = Sys.get();
    private final LibFuse3 fuse;
    private final long se;
    private final int fd;
    private final Fuse3Fs fs;
    private final long in;
    private final long inSize;
    private final long fuseBuf;
    private final long errorReply;
    private final long offset;
    private final long pipe;
    private int pipeRead = -1;
    private int pipeWrite = -1;
    private boolean spliceBroken;
    /** The request being handed to libfuse, for a reply hook to know what it answers. */
    private long unique;
    private int opcode;

    RequestLoop(LibFuse3 fuse, long se, Fuse3Fs fs) {
        this(fuse, se, fuse.fuse_session_fd(se), fs);
    }

    /** A loop whose replies go to {@code fd}; {@link #run} only with a session's own. */
    RequestLoop(LibFuse3 fuse, long se, int fd, Fuse3Fs fs) {
        this.fuse = fuse;
        this.se = se;
        this.fd = fd;
        this.fs = fs;
        // The kernel wants room for the largest write request: header, fuse_write_in and max_write bytes.
        this.inSize = Fuse3Fs.MAX_REQUEST + 8192L;
        this.in = IO.allocateMemory(inSize, false);
        this.fuseBuf = IO.allocateMemory(FUSE_BUF_SIZE, true);
        this.errorReply = IO.allocateMemory(Scratch.HEADER, true);
        this.offset = IO.allocateMemory(8, true);
        this.pipe = IO.allocateMemory(8, true);
        if (in == 0 || fuseBuf == 0 || errorReply == 0 || offset == 0 || pipe == 0) {
            throw new OutOfMemoryError("native memory for the FUSE request loop");
        }
    }

    /** Serves until the file system is unmounted (the read fails with ENODEV) or the session is ended. */
    int run() {
        try {
            while (fuse.fuse_session_exited(se) == 0) {
                long n = sys.read(fd, in, inSize);
                if (n < 0) {
                    int e = Sys.errno();
                    if (e == Sys.EINTR || e == Sys.EAGAIN || e == Sys.ENOENT) {
                        continue;
                    }
                    if (e == Sys.ENODEV) {
                        return 0;
                    }
                    LOG.error("reading /dev/fuse failed: errno {}", e);
                    return -e;
                }
                if (n < IN_HEADER) {
                    LOG.warn("short request from /dev/fuse ({} bytes), ignored", n);
                    continue;
                }
                int op = IO.getInt(in + IN_OPCODE);
                if (op == FUSE_READ) {
                    fs.read(this, IO.getLong(in + IN_UNIQUE), IO.getLong(in + READ_FH), IO.getLong(in + READ_OFFSET),
                            Integer.toUnsignedLong(IO.getInt(in + READ_SIZE)));
                } else if (op != FUSE_INTERRUPT) {
                    unique = IO.getLong(in + IN_UNIQUE);
                    opcode = op;
                    IO.putLong(fuseBuf, n);
                    IO.putInt(fuseBuf + 8, 0);
                    IO.putLong(fuseBuf + 16, in);
                    IO.putInt(fuseBuf + 24, -1);
                    IO.putLong(fuseBuf + 32, 0);
                    fuse.fuse_session_process_buf(se, fuseBuf);
                    opcode = 0;
                }
            }
            return 0;
        } finally {
            close();
        }
    }

    /** Frees the loop's pipe and memory (once it no longer runs). */
    void close() {
        closePipe();
        IO.freeMemory(in);
        IO.freeMemory(fuseBuf);
        IO.freeMemory(errorReply);
        IO.freeMemory(offset);
        IO.freeMemory(pipe);
    }

    /** The request libfuse is answering now (0 when none): for the passthrough reply hook. */
    long unique() {
        return unique;
    }

    int opcode() {
        return opcode;
    }

    /** The request buffer (the request libfuse is answering now). */
    long request() {
        return in;
    }

    /** Answers request {@code id} with errno {@code errno}. */
    @Override
    public void error(long id, int errno) {
        IO.putInt(errorReply, Scratch.HEADER);
        IO.putInt(errorReply + 4, -errno);
        IO.putLong(errorReply + 8, id);
        sys.write(fd, errorReply, Scratch.HEADER);
    }

    /** Answers request {@code id} with the first {@code n} bytes of {@code s}'s buffer, in one write. */
    @Override
    public void data(long id, Scratch s, int n) {
        header(s.header, id, n);
        sys.write(fd, s.header, Scratch.HEADER + (long) n);
    }

    /**
     * Answers request {@code id} with {@code n} bytes at {@code pos} of descriptor {@code runFd}: the header is
     * written into a pipe, the bytes spliced after it, and the pipe spliced to /dev/fuse, so the bytes are not
     * copied through this process. Where no pipe can be had, they are read and written instead.
     */
    @Override
    public boolean spliced(long id, Scratch s, int runFd, long pos, int n) {
        // Under two pages a splice costs more than the copy (libfuse never splices them either): one pread.
        if (n < SMALLEST_SPLICE || !pipeReady()) {
            long r = sys.pread(runFd, s.buffer, n, pos);
            if (r != n) {
                error(id, Errno.EIO.value());
                return false;
            }
            data(id, s, n);
            return true;
        }
        header(s.header, id, n);
        if (sys.write(pipeWrite, s.header, Scratch.HEADER) != Scratch.HEADER) {
            closePipe();
            error(id, Errno.EIO.value());
            return false;
        }
        IO.putLong(offset, pos);
        long left = n;
        while (left > 0) {
            long r = Sys.splice(runFd, offset, pipeWrite, 0, left, 0);
            if (r <= 0) {
                LOG.warn("splice of {} bytes at {} failed (errno {}): answered EIO", n, pos, r < 0 ? Sys.errno() : 0);
                closePipe();
                error(id, Errno.EIO.value());
                return false;
            }
            left -= r;
        }
        long total = Scratch.HEADER + (long) n;
        if (Sys.splice(pipeRead, 0, fd, 0, total, 0) != total) {
            // The request was interrupted (ENOENT) or the kernel refused the reply: what is left in the pipe
            // must not go out with the next one.
            closePipe();
        }
        return true;
    }

    /** Runs under two pages are read here with one pread, and a short pread or splice is answered EIO. */
    @Override
    public boolean checksRuns() {
        return true;
    }

    private static void header(long at, long id, int n) {
        IO.putInt(at, Scratch.HEADER + n);
        IO.putInt(at + 4, 0);
        IO.putLong(at + 8, id);
    }

    private boolean pipeReady() {
        if (pipeWrite >= 0) {
            return true;
        }
        if (spliceBroken || !Sys.canSplice()) {
            return false;
        }
        if (sys.pipe2(pipe, Sys.O_CLOEXEC) != 0) {
            spliceBroken = true;
            return false;
        }
        pipeRead = IO.getInt(pipe);
        pipeWrite = IO.getInt(pipe + 4);
        int size = sys.fcntl(pipeWrite, Sys.F_SETPIPE_SZ, PIPE_SIZE);
        if (size < Fuse3Fs.MAX_REQUEST + 3 * 4096) {
            LOG.info("a pipe of {} bytes cannot be had (got {}): reads are copied, not spliced", PIPE_SIZE, size);
            closePipe();
            spliceBroken = true;
            return false;
        }
        return true;
    }

    private void closePipe() {
        if (pipeRead >= 0) {
            sys.close(pipeRead);
            sys.close(pipeWrite);
        }
        pipeRead = -1;
        pipeWrite = -1;
    }
}
