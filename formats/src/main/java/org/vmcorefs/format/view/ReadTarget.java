package org.vmcorefs.format.view;

import java.nio.ByteBuffer;
import org.vmcorefs.machine.memory.FileMemory;

/**
 * Where the bytes of one read go (see {@link VirtualFile#read(long, int, ReadTarget)}): a front end's buffer to
 * copy them into, or, when they are all one run of a backing file, that run, for the front end to hand to the
 * kernel as it is (splice). The file decides which with the one lookup it serves the read with; a target is
 * used for one read at a time, so a front end can keep one per thread and allocate nothing.
 */
public interface ReadTarget {
    /**
     * Offers the read's bytes as {@code length} bytes at {@code offset} of {@code file}, byte for byte. Returns
     * true to take them so (nothing is copied), false to have them copied into {@link #buffer} instead. Nothing
     * has been read: a target that takes them must make sure the file still holds them.
     */
    boolean takeRun(FileMemory file, long offset, int length);

    /**
     * The buffer to copy the read's bytes into, with {@code length} bytes remaining from its position; the read
     * returns how many it copied. Asked once per read, and only when no run was taken.
     */
    ByteBuffer buffer(int length);
}
