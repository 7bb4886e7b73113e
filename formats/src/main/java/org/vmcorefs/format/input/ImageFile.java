package org.vmcorefs.format.input;

import org.vmcorefs.format.FormatException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import org.vmcorefs.machine.DumpException;
import org.vmcorefs.machine.Errno;
import org.vmcorefs.machine.memory.FileMemory;

/**
 * An input file the readers parse: its size, and reads of its headers that stay inside it (a read past
 * the end is a truncated file, refused with a FormatException). Memory the readers serve from it goes
 * through {@link #memory()}, read lazily.
 */
public final class ImageFile {
    private final Path path;
    private final FileChannel channel;
    private final long size;
    private FileMemory memory;

    private ImageFile(Path path, FileChannel channel, long size) {
        this.path = path;
        this.channel = channel;
        this.size = size;
    }

    /** Opens {@code path} for reading: ENOENT when it is no regular file, EACCES when it cannot be opened. */
    public static ImageFile open(Path path) throws DumpException {
        if (!Files.isRegularFile(path)) {
            throw new DumpException(Errno.ENOENT, path + ": no such image file");
        }
        FileChannel ch;
        try {
            ch = FileChannel.open(path, StandardOpenOption.READ);
        } catch (IOException e) {
            throw new DumpException(Errno.EACCES, path + ": cannot open: " + e.getMessage(), e);
        }
        return of(path, ch);
    }

    /** {@code path}, already open as {@code channel} (which stays open: the memory read from it needs it). */
    public static ImageFile of(Path path, FileChannel channel) throws DumpException {
        try {
            return new ImageFile(path, channel, channel.size());
        } catch (IOException e) {
            throw new DumpException(Errno.EIO, path + ": " + e.getMessage(), e);
        }
    }

    public Path path() {
        return path;
    }

    /** Gives the descriptor back, for an image that was refused: nothing may read it afterwards. */
    public void close() {
        try {
            channel.close();
        } catch (IOException e) {
            // Nothing was written through it: nothing to lose.
        }
    }

    /** The file's size when it was opened. */
    public long size() {
        return size;
    }

    /** The file as memory: address {@code a} is offset {@code a}; one instance per image. */
    public synchronized FileMemory memory() {
        if (memory == null) {
            memory = new FileMemory(path, channel);
        }
        return memory;
    }

    /** The {@code length} bytes at {@code offset}; a FormatException if the file ends before them. */
    public ByteBuffer readAt(long offset, int length) throws DumpException {
        if (offset < 0 || length < 0 || length > size - offset) {
            throw new FormatException(path + ": ends at offset " + Math.max(offset, size) + " (file truncated?)");
        }
        ByteBuffer b = ByteBuffer.allocate(length);
        memory().read(offset, b);
        return b.flip();
    }

    /** The first bytes of the file, at most {@code max}: what the input formats probe. */
    public ByteBuffer head(int max) throws DumpException {
        return readAt(0, (int) Math.min(size, max));
    }

    /** The file's modification time, or the epoch if it cannot be read. */
    public Instant modified() {
        try {
            return Files.getLastModifiedTime(path).toInstant();
        } catch (IOException e) {
            return Instant.EPOCH;
        }
    }
}
