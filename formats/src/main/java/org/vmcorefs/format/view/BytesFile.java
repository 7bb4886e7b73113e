package org.vmcorefs.format.view;

import java.nio.ByteBuffer;
import org.vmcorefs.machine.DumpException;

/**
 * A file whose content is a fixed byte array: a text file's bytes as one open saw them, a report, a
 * header. Reads slice the array; writes fail unless a subclass takes them.
 */
public class BytesFile implements VirtualFile {
    private final byte[] bytes;
    private final int mode;
    private final boolean changes;

    /**
     * @param changes whether the file this content stands for changes (then served with direct_io)
     */
    public BytesFile(byte[] bytes, int mode, boolean changes) {
        this.bytes = bytes;
        this.mode = mode;
        this.changes = changes;
    }

    @Override
    public long size() {
        return bytes.length;
    }

    @Override
    public int mode() {
        return mode;
    }

    @Override
    public boolean changes() {
        return changes;
    }

    @Override
    public int read(long offset, ByteBuffer dst) throws DumpException {
        return slice(bytes, offset, dst);
    }

    /** Copies what {@code bytes} has at {@code offset} into {@code dst}, up to its end; returns the count. */
    public static int slice(byte[] bytes, long offset, ByteBuffer dst) {
        if (offset >= bytes.length || offset < 0) {
            return 0;
        }
        int n = (int) Math.min(dst.remaining(), bytes.length - offset);
        dst.put(bytes, (int) offset, n);
        return n;
    }
}
