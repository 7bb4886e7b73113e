package org.vmcorefs.format.env.zfcpdump;

import org.vmcorefs.format.DumpPaths;
import org.vmcorefs.format.view.VirtualFile;
import java.nio.ByteBuffer;
import org.vmcorefs.machine.DumpException;
import org.vmcorefs.machine.Errno;

/** zcore/reipl: any write boots the crashed system again (the HSA goes with it); it has no read. */
final class ZcoreReiplFile implements VirtualFile {
    private static final String PATH = DumpPaths.ZCORE_REIPL;
    private final Zcore zcore;

    ZcoreReiplFile(Zcore zcore) {
        this.zcore = zcore;
    }

    @Override
    public long size() {
        return 0;
    }

    @Override
    public int mode() {
        return 0400;
    }

    @Override
    public boolean changes() {
        return true;
    }

    @Override
    public VirtualFile open() throws DumpException {
        zcore.checkRunning(PATH);
        return this;
    }

    @Override
    public int read(long offset, ByteBuffer dst) throws DumpException {
        throw new DumpException(Errno.EINVAL, PATH + " cannot be read");
    }

    @Override
    public int write(long offset, ByteBuffer src) throws DumpException {
        zcore.checkRunning(PATH);
        int count = src.remaining();
        zcore.reipl();
        src.position(src.limit());
        return count;
    }
}
