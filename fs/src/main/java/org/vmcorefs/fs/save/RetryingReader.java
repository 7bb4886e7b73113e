package org.vmcorefs.fs.save;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Set;
import jnr.constants.platform.Errno;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads a dump file in full, retrying what the hardware may get right next time: EIO (an SCLP or hypervisor
 * request that failed), EAGAIN, EINTR, EBUSY. Anything else (ENODATA after a release, EFAULT on a hole) is
 * permanent at once.
 */
final class RetryingReader {
    private static final Logger LOG = LoggerFactory.getLogger(RetryingReader.class);
    /** Reads are at most this large; after a failure they drop to a page and double back as they succeed. */
    static final int READ_SIZE = 1 << 20;
    static final int PAGE = 4096;
    static final long MAX_DELAY_MILLIS = 2000;
    private static final Set<Integer> TRANSIENT = Set.of(Errno.EIO.intValue(), Errno.EAGAIN.intValue(),
            Errno.EINTR.intValue(), Errno.EBUSY.intValue());

    private final int maxAttempts;
    private final long firstDelayMillis;
    private final String whatNow;
    private long transientErrors;

    /**
     * @param maxAttempts reads of one offset before a transient error counts as permanent
     * @param firstDelayMillis the first retry's delay; it doubles per attempt, up to {@value #MAX_DELAY_MILLIS} ms
     * @param whatNow what a permanent failure's message tells the user about the state left behind
     */
    RetryingReader(int maxAttempts, long firstDelayMillis, String whatNow) {
        this.maxAttempts = maxAttempts;
        this.firstDelayMillis = firstDelayMillis;
        this.whatNow = whatNow;
    }

    /** Transient errors met so far, every one retried. */
    long transientErrors() {
        return transientErrors;
    }

    static boolean isTransient(int errno) {
        return TRANSIENT.contains(errno);
    }

    /** The delay before retry number {@code attempt} (from 1). */
    long delay(int attempt) {
        return Math.min(MAX_DELAY_MILLIS, firstDelayMillis << Math.min(20, attempt - 1));
    }

    /**
     * Fills {@code dst} from {@code src} at {@code offset}. Page-sized reads after a failure, so that one
     * failing block does not sink a whole megabyte; an early end of file, a permanent errno, or
     * maxAttempts failures in a row at one place stop the save.
     */
    void read(SourceFile src, long offset, ByteBuffer dst) throws SaveException {
        int size = dst.remaining();
        int attempts = 0;
        while (dst.hasRemaining()) {
            int limit = dst.limit();
            dst.limit(dst.position() + Math.min(size, dst.remaining()));
            int n;
            try {
                n = src.read(dst, offset);
            } catch (SourceFile.Failure e) {
                dst.limit(limit);
                if (!isTransient(e.errno)) {
                    throw permanent(e, "a permanent error");
                }
                attempts++;
                transientErrors++;
                if (attempts >= maxAttempts) {
                    throw permanent(e, attempts + " failed attempts in a row");
                }
                long delay = delay(attempts);
                LOG.info("{}; retry {} of {} in {} ms", e.getMessage(), attempts, maxAttempts - 1, delay);
                size = PAGE;
                sleep(delay);
                continue;
            }
            dst.limit(limit);
            if (n == 0) {
                throw new SaveException(SaveException.READ_FAILED, String.format("%s ends at offset %d (0x%x), "
                        + "before the size its headers promise; %s", src.path(), offset, offset, whatNow));
            }
            offset += n;
            attempts = 0;
            size = Math.min(READ_SIZE, size * 2);
        }
    }

    /** SHA-256 (hex) of {@code src}'s first {@code length} bytes: what identifies a dump by its headers. */
    String sha256(SourceFile src, long length) throws SaveException {
        MessageDigest md = Verifier.sha256();
        ByteBuffer b = ByteBuffer.allocateDirect(READ_SIZE);
        for (long off = 0; off < length; ) {
            b.clear().limit((int) Math.min(READ_SIZE, length - off));
            read(src, off, b);
            b.flip();
            off += b.remaining();
            md.update(b);
        }
        return HexFormat.of().formatHex(md.digest());
    }

    private SaveException permanent(SourceFile.Failure e, String why) {
        return new SaveException(SaveException.READ_FAILED, e.getMessage() + ": " + why + "; " + whatNow, e);
    }

    private static void sleep(long millis) throws SaveException {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SaveException(SaveException.READ_FAILED, "interrupted while waiting to retry");
        }
    }
}
