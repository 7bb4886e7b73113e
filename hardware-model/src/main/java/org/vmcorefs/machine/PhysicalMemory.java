package org.vmcorefs.machine;

import java.nio.ByteBuffer;

/** Bytes addressed by physical address; every implementation reads lazily, only when asked. */
public interface PhysicalMemory {
    /**
     * Fills all of {@code dst.remaining()} with the bytes at {@code address} onwards and advances
     * {@code dst}'s position; either the whole request is served or a {@link DumpException} is thrown.
     */
    void read(long address, ByteBuffer dst) throws DumpException;

    /**
     * Reports, in ascending order, the parts of [address, address + length) that this memory knows to read
     * as all zeros without reading them (synthetic memory's empty blocks). Knowing nothing is always
     * correct, and is the default.
     */
    default void knownZeros(long address, long length, ZeroSink sink) {
    }

    /**
     * The run of a file that holds all of [address, address + length), byte for byte, or null when that range
     * is not one run of one file (or this memory cannot tell). Null is always correct, and is the default.
     * Nothing is read: a caller that serves the file's bytes directly must still check that they exist.
     */
    default FileExtent fileExtent(long address, long length) {
        return null;
    }

    /** Receives ranges known to be all zeros. */
    @FunctionalInterface
    interface ZeroSink {
        void zero(long address, long length);
    }

    /** Memory that reads as zeros everywhere. */
    PhysicalMemory ZEROS = (address, dst) -> Buffers.zero(dst, dst.remaining());
}
