package org.vmcorefs.format.view;

import java.nio.ByteBuffer;
import org.vmcorefs.machine.DumpException;
import org.vmcorefs.machine.Errno;
import org.vmcorefs.machine.mechanism.FirmwareDump;

/**
 * /proc/vmcore of a POWER hypervisor-saved dump. Its memory is given back piece by piece while it is read, so
 * it is never served from the page cache; a read that touches released memory fails with EIO. Once the dump
 * is invalidated the file leaves the tree, and handles still open read EIO, as after the kernel's
 * vmcore_cleanup().
 */
public final class PowerVmcoreFile extends LayoutFile {
    private final FirmwareDump dump;

    public PowerVmcoreFile(Layout layout, FirmwareDump dump) {
        super(layout, Errno.EIO);
        this.dump = dump;
    }

    @Override
    public boolean changes() {
        return true;
    }

    @Override
    public int read(long offset, ByteBuffer dst) throws DumpException {
        if (!dump.dumpActive()) {
            throw new DumpException(Errno.EIO, "/proc/vmcore: the dump has been invalidated (memory released)");
        }
        return super.read(offset, dst);
    }

    /** Each open gets its own handle, so that it outlives the file's removal from the tree. */
    @Override
    public VirtualFile open() {
        return new PowerVmcoreFile(layout(), dump);
    }
}
