package org.vmcorefs.machine;

/**
 * A run of bytes that is, byte for byte, a run of a file: {@code length} bytes at {@code offset} of
 * {@code file}. Lets a front end hand the file's own bytes to the kernel (splice) instead of copying them.
 */
public record FileExtent(FileMemory file, long offset, long length) {
    public FileExtent {
        if (offset < 0 || length < 0) {
            throw new IllegalArgumentException("negative offset or length");
        }
    }

    public long end() {
        return offset + length;
    }
}
