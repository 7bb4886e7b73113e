package org.vmcorefs.machine.memory;

import org.vmcorefs.machine.DumpException;
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
     * Reports, in ascending order and without reading anything, which memory holds each part of
     * [address, address + length): a memory that only maps addresses onto other memories ({@link LayeredMemory})
     * reports what those memories report, any other memory reports itself. The answer never changes, so a reader
     * resolves once, when it is built, and then reads the leaves directly. A leaf that checks state on every read
     * ({@link ReclaimableMemory}, {@link SavedArea}) stays a leaf, so that its check is never skipped.
     */
    default void resolve(long address, long length, PieceSink sink) {
        sink.piece(address, length, this, address);
    }

    /** Receives ranges known to be all zeros. */
    @FunctionalInterface
    interface ZeroSink {
        void zero(long address, long length);
    }

    /** Receives the leaves of a range: {@code length} bytes at {@code address} are {@code leaf}'s at {@code leafAddress}. */
    @FunctionalInterface
    interface PieceSink {
        void piece(long address, long length, PhysicalMemory leaf, long leafAddress);
    }

    /** Memory that reads as zeros everywhere. */
    PhysicalMemory ZEROS = (address, dst) -> Buffers.zero(dst, dst.remaining());
}
