package org.vmcorefs.format.view;

import java.nio.ByteBuffer;
import org.vmcorefs.machine.DumpException;
import org.vmcorefs.machine.Errno;

/** A file the mount shows: a size, positional reads clamped at the size, and writes where the kernel has them. */
public interface VirtualFile {
    /** The file's size now (control files change size as the machine changes). */
    long size();

    /** Permission bits: 0400 for dump files, 0600 for control files. */
    int mode();

    /**
     * Reads up to {@code dst.remaining()} bytes at {@code offset}; returns the count, 0 at or past the end.
     * Inside the file the read is full.
     */
    int read(long offset, ByteBuffer dst) throws DumpException;

    /**
     * Serves up to {@code length} bytes at {@code offset} to {@code target}: either as the run of a backing file
     * that holds exactly them, when the file has one and the target takes it, or copied into
     * {@code target.buffer(length)}. Returns the count, 0 at or past the end; inside the file the read is full.
     * Files whose content {@link #changes() changes} always copy, through {@link #read(long, ByteBuffer)}, so that
     * they check their state on every read.
     */
    default int read(long offset, int length, ReadTarget target) throws DumpException {
        return read(offset, target.buffer(length));
    }

    /** Writes {@code src} at {@code offset}; returns the count accepted. */
    default int write(long offset, ByteBuffer src) throws DumpException {
        throw new DumpException(Errno.EINVAL, "not writable");
    }

    /** What an open with O_TRUNC does; kernel dump and control files ignore it. */
    default void truncate(long size) throws DumpException {
    }

    /**
     * What one open of the file reads: the file itself, or for a generated report a copy fixed at open,
     * so that a reader sees one consistent version however it splits its reads (as seq_file does).
     */
    default VirtualFile open() throws DumpException {
        return this;
    }

    /**
     * What the last close of one {@link #open()} does: nothing for most files; zcore/mem gives the HSA back.
     */
    default void release() throws DumpException {
    }

    /** Whether reads of this file must bypass the page cache because its content changes (control files). */
    default boolean changes() {
        return false;
    }
}
