package org.vmcorefs.format.env.zfcpdump;

import org.vmcorefs.format.view.Layout;
import org.vmcorefs.format.view.LayoutFile;
import org.vmcorefs.format.view.VirtualFile;
import java.nio.ByteBuffer;
import org.vmcorefs.machine.DumpException;
import org.vmcorefs.machine.Errno;

/**
 * A zfcpdump dump file (/proc/vmcore, the complete s390 dump) that never comes from the page cache and ends
 * with a re-IPL.
 */
final class ZcoreDumpFile extends LayoutFile {
    private final Zcore zcore;

    ZcoreDumpFile(Zcore zcore, Layout layout, Errno writeErrno) {
        super(layout, writeErrno);
        this.zcore = zcore;
    }

    @Override
    public VirtualFile open() throws DumpException {
        zcore.checkRunning("dump file");
        return this;
    }

    @Override
    public int read(long offset, ByteBuffer dst) throws DumpException {
        zcore.checkRunning("dump file");
        return super.read(offset, dst);
    }

    @Override
    public boolean changes() {
        return true;
    }
}
