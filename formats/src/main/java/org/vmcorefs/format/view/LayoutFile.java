package org.vmcorefs.format.view;

import java.nio.ByteBuffer;
import org.vmcorefs.machine.DumpException;
import org.vmcorefs.machine.Errno;

/**
 * A read-only dump file backed by a {@link Layout}. Writes fail as the kernel's do for that file: /proc/vmcore
 * has no write method (procfs answers EIO), /dev/oldmem's driver has none (EINVAL).
 */
public class LayoutFile implements VirtualFile {
    private final Layout layout;
    private final Errno writeErrno;

    public LayoutFile(Layout layout, Errno writeErrno) {
        this.layout = layout;
        this.writeErrno = writeErrno;
    }

    public Layout layout() {
        return layout;
    }

    @Override
    public long size() {
        return layout.size();
    }

    @Override
    public int mode() {
        return 0400;
    }

    @Override
    public int read(long offset, ByteBuffer dst) throws DumpException {
        return layout.read(offset, dst);
    }

    /** One lookup in the layout for a file whose content never changes; the others copy, checking their state. */
    @Override
    public int read(long offset, int length, ReadTarget target) throws DumpException {
        return changes() ? read(offset, target.buffer(length)) : layout.read(offset, length, target);
    }

    @Override
    public int write(long offset, ByteBuffer src) throws DumpException {
        throw new DumpException(writeErrno, "dump file is read-only");
    }
}
