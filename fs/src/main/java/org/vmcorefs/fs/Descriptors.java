package org.vmcorefs.fs;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import jnr.ffi.LibraryLoader;
import jnr.ffi.LibraryOption;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vmcorefs.machine.memory.FileMemory;

/**
 * Our own descriptor of each backing file (a replayed image), to hand its bytes to libfuse for splicing, for
 * both FUSE adapters. The file is opened again by path and kept only if it is the very file the machine read.
 */
public final class Descriptors {
    private static final Logger LOG = LoggerFactory.getLogger(Descriptors.class);
    public static final int NO_FD = -1;
    private static final int O_RDONLY = 0;
    private static final int O_CLOEXEC = 02000000;

    /** The C library calls used here. */
    public interface LibC {
        int open(String path, int flags);

        int close(int fd);
    }

    private final LibC libc = LibraryLoader.create(LibC.class).option(LibraryOption.IgnoreError, true).load("c");
    private final Map<FileMemory, Integer> fds = new ConcurrentHashMap<>();

    /**
     * The descriptor to splice bytes of {@code file} up to {@code end} from, or {@link #NO_FD}: none can be had,
     * or the file was cut short while mounted (the ordinary read then reports it, EIO, where libfuse would
     * silently return a short read).
     */
    public int forRun(FileMemory file, long end) {
        int fd = of(file);
        if (fd == NO_FD) {
            return NO_FD;
        }
        try {
            return file.channel().size() >= end ? fd : NO_FD;
        } catch (IOException e) {
            return NO_FD;
        }
    }

    /** The descriptor of {@code file}, or {@link #NO_FD} if it cannot be had. */
    public int of(FileMemory file) {
        Integer fd = fds.get(file);
        return fd != null ? fd : fds.computeIfAbsent(file, this::openSame);
    }

    /** Closes the backing files themselves, not our descriptors: for a machine that is thrown away (the warm-up's). */
    public void closeFiles() {
        fds.keySet().forEach(f -> {
            try {
                f.channel().close();
            } catch (IOException e) {
                LOG.debug("closing {}", f.path(), e);
            }
        });
    }

    /** Closes them all (at unmount). */
    public void close() {
        fds.values().forEach(fd -> {
            if (fd != NO_FD) {
                libc.close(fd);
            }
        });
        fds.clear();
    }

    private int openSame(FileMemory file) {
        int fd = libc.open(file.path().toString(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            LOG.info("{}: cannot open it for splicing; reads of it go through vmcorefs", file.path());
            return NO_FD;
        }
        Object key;
        try {
            key = Files.readAttributes(Path.of("/proc/self/fd/" + fd), BasicFileAttributes.class).fileKey();
        } catch (IOException e) {
            key = null;
        }
        if (file.fileKey() == null || !Objects.equals(key, file.fileKey())) {
            LOG.warn("{}: the path names another file than the one opened at mount; reads of it go through vmcorefs",
                    file.path());
            libc.close(fd);
            return NO_FD;
        }
        return fd;
    }
}
