package org.vmcorefs.machine.memory;

import org.vmcorefs.machine.DumpException;
import org.vmcorefs.machine.Errno;
import java.nio.ByteBuffer;

/**
 * A few bytes held in the heap, address {@code a} being byte {@code a}: small structures (an s390 lowcore
 * save area) laid over larger memory with {@link LayeredMemory}.
 */
public final class BytesMemory implements PhysicalMemory {
    private final byte[] bytes;

    public BytesMemory(byte[] bytes) {
        this.bytes = bytes.clone();
    }

    public int size() {
        return bytes.length;
    }

    @Override
    public void read(long address, ByteBuffer dst) throws DumpException {
        if (address < 0 || address + dst.remaining() > bytes.length) {
            throw new DumpException(Errno.EIO, String.format("[0x%x, +0x%x) is outside %d held bytes", address,
                    dst.remaining(), bytes.length));
        }
        dst.put(bytes, (int) address, dst.remaining());
    }
}
