package org.vmcorefs.machine.memory;

import org.vmcorefs.machine.DumpException;
import org.vmcorefs.machine.Errno;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * Memory read from a file: address {@code a} is the byte at file offset {@code a}. The channel is shared by
 * all readers and only used with positional reads, so concurrent reads never disturb each other. Every range at a
 * non-negative address is one run of the file, which lets a front end hand the file's own bytes to the kernel
 * (splice) instead of copying them.
 */
public final class FileMemory implements PhysicalMemory {
    private final Path path;
    private final FileChannel channel;
    private final Object fileKey;

    /** Call right after opening {@code channel} on {@code path}: the file's identity is taken from the path. */
    public FileMemory(Path path, FileChannel channel) {
        this.path = path;
        this.channel = channel;
        Object key;
        try {
            key = Files.readAttributes(path, BasicFileAttributes.class).fileKey();
        } catch (IOException e) {
            key = null;
        }
        this.fileKey = key;
    }

    /**
     * The identity (device and inode) of the file when it was opened, or null if unknown; lets another opener
     * of {@link #path()} check that it has the same file.
     */
    public Object fileKey() {
        return fileKey;
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
