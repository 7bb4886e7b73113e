package org.vmcorefs.machine;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;

/**
 * Memory read from a file: address {@code a} is the byte at file offset {@code a}. The channel is shared by
 * all readers and only used with positional reads, so concurrent reads never disturb each other.
 */
public final class FileMemory implements PhysicalMemory {
    private final Path path;
    private final FileChannel channel;

    public FileMemory(Path path, FileChannel channel) {
        this.path = path;
        this.channel = channel;
    }

    public Path path() {
        return path;
    }

    public FileChannel channel() {
        return channel;
    }

    @Override
    public void read(long address, ByteBuffer dst) throws DumpException {
        long pos = address;
        try {
            while (dst.hasRemaining()) {
                int n = channel.read(dst, pos);
                if (n < 0) {
                    throw new DumpException(Errno.EIO, path + ": ends at offset " + pos + " (file truncated?)");
                }
                pos += n;
            }
        } catch (DumpException e) {
            throw e;
        } catch (IOException e) {
            throw new DumpException(Errno.EIO, path + ": read at offset " + pos + " failed: " + e, e);
        }
    }
}
