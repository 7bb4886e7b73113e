package org.vmcorefs.fs.fuse3;

/**
 * Where the answer to a read goes: libfuse's fuse_reply_* for the request {@code id} it passed to the read
 * callback, or vmcorefs's own loop ({@link RequestLoop}) for the request {@code id} it took off /dev/fuse.
 * {@link Fuse3Fs} reads the same way for both and answers through this.
 */
interface ReadReplies {
    /** Answers {@code id} with errno {@code errno}. */
    void error(long id, int errno);

    /** Answers {@code id} with the first {@code n} bytes of {@code s}'s buffer. */
    void data(long id, Scratch s, int n);

    /**
     * Answers {@code id} with {@code n} bytes at {@code pos} of descriptor {@code fd}. Returns false when they
     * could not be had (the file holds fewer: it was cut short while mounted) and EIO was answered instead.
     */
    boolean spliced(long id, Scratch s, int fd, long pos, int n);

    /**
     * Whether {@link #spliced} moves the run's bytes itself and answers EIO when the file holds fewer of them
     * (vmcorefs's own loop): then runs under two pages are offered to it too (it reads them with one pread),
     * and the backing file's size is not looked up for every read beforehand.
     */
    boolean checksRuns();
}
