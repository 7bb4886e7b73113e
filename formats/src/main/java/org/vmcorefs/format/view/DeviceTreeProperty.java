package org.vmcorefs.format.view;

import java.nio.ByteBuffer;
import org.vmcorefs.machine.DumpException;
import org.vmcorefs.machine.Errno;

/** A property file of /proc/device-tree: its raw bytes, read-only for everyone (0444). */
public final class DeviceTreeProperty implements VirtualFile {
    private final ByteBuffer bytes;

    public DeviceTreeProperty(ByteBuffer value) {
        ByteBuffer copy = ByteBuffer.allocate(value.remaining());
        copy.put(value.duplicate()).flip();
        this.bytes = copy.asReadOnlyBuffer();
    }

    @Override
    public long size() {
        return bytes.capacity();
    }

    @Override
    public int mode() {
        return 0444;
    }

    @Override
    public int read(long offset, ByteBuffer dst) {
        if (offset >= bytes.capacity()) {
            return 0;
        }
        int n = (int) Math.min(dst.remaining(), bytes.capacity() - offset);
        dst.put(bytes.slice((int) offset, n));
        return n;
    }

    @Override
    public int write(long offset, ByteBuffer src) throws DumpException {
        throw new DumpException(Errno.EACCES, "device tree properties are read-only");
    }
}
