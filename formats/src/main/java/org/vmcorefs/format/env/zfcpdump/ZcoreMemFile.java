package org.vmcorefs.format.env.zfcpdump;

import org.vmcorefs.format.DumpPaths;
import org.vmcorefs.format.view.Layout;
import org.vmcorefs.format.view.LayoutFile;
import org.vmcorefs.format.view.VirtualFile;
import java.nio.ByteBuffer;
import org.vmcorefs.machine.DumpException;
import org.vmcorefs.machine.Errno;

/**
 * zcore/mem: open fails with ENODATA once the HSA is released; a read past the end is EINVAL; the last
 * close of an open releases the HSA, as zcore_release does.
 */
final class ZcoreMemFile extends LayoutFile {
    private static final String PATH = DumpPaths.ZCORE_MEM;
    private final Zcore zcore;

    ZcoreMemFile(Zcore zcore, Layout layout) {
        super(layout, Errno.EINVAL);
        this.zcore = zcore;
    }

    @Override
    public boolean changes() {
        return true;
    }

    @Override
    public int read(long offset, ByteBuffer dst) throws DumpException {
        zcore.checkRunning(PATH);
        if (offset > layout().size()) {
            throw new DumpException(Errno.EINVAL, String.format("%s: offset %d is past the end (%d)", PATH, offset,
                    layout().size()));
        }
        return layout().read(offset, dst);
    }

    @Override
    public VirtualFile open() throws DumpException {
        zcore.checkRunning(PATH);
        if (zcore.hsa().released()) {
            throw new DumpException(Errno.ENODATA, PATH + ": the HSA has been released");
        }
        return new Opened();
    }

    /** One open of zcore/mem; its release is what gives the HSA back. */
    private final class Opened implements VirtualFile {
        @Override
        public long size() {
            return ZcoreMemFile.this.size();
        }

        @Override
        public int mode() {
            return ZcoreMemFile.this.mode();
        }

        @Override
        public boolean changes() {
            return true;
        }

        @Override
        public int read(long offset, ByteBuffer dst) throws DumpException {
            return ZcoreMemFile.this.read(offset, dst);
        }

        @Override
        public void release() {
            zcore.releaseHsa("close of " + PATH);
        }
    }
}
