package org.vmcorefs.format.env.zfcpdump;

import org.vmcorefs.format.DumpPaths;
import org.vmcorefs.format.view.BytesFile;
import org.vmcorefs.format.view.VirtualFile;
import java.nio.ByteBuffer;
import org.vmcorefs.machine.DumpException;

/** zcore/memmap: a record per memory chunk, fixed since the dump kernel booted. */
final class ZcoreMemmapFile implements VirtualFile {
    private static final String PATH = DumpPaths.ZCORE_MEMMAP;
    private final Zcore zcore;
    private final byte[] text;

    ZcoreMemmapFile(Zcore zcore, byte[] text) {
        this.zcore = zcore;
        this.text = text.clone();
    }

    @Override
    public long size() {
        return text.length;
    }

    @Override
    public int mode() {
        return 0400;
    }

    @Override
    public VirtualFile open() throws DumpException {
        zcore.checkRunning(PATH);
        return this;
    }

    @Override
    public boolean changes() {
        return true;
    }

    @Override
    public int read(long offset, ByteBuffer dst) throws DumpException {
        zcore.checkRunning(PATH);
        return BytesFile.slice(text, offset, dst);
    }
}
