package org.vmcorefs.machine;

import java.nio.ByteBuffer;

/** Bytes addressed by physical address; every implementation reads lazily, only when asked. */
public interface PhysicalMemory {
    /**
     * Fills all of {@code dst.remaining()} with the bytes at {@code address} onwards and advances
     * {@code dst}'s position; either the whole request is served or a {@link DumpException} is thrown.
     */
    void read(long address, ByteBuffer dst) throws DumpException;

    /** Memory that reads as zeros everywhere. */
    PhysicalMemory ZEROS = (address, dst) -> Buffers.zero(dst, dst.remaining());
}
