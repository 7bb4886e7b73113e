package org.vmcorefs.format.env.zfcpdump;

import org.vmcorefs.format.DumpPaths;
import org.vmcorefs.format.env.KernelLeniency;
import org.vmcorefs.format.view.BytesFile;
import org.vmcorefs.format.view.VirtualFile;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.vmcorefs.format.text.ZcoreHsaText;
import org.vmcorefs.machine.DumpException;
import org.vmcorefs.machine.Errno;
import org.vmcorefs.machine.memory.SavedArea;

/** zcore/hsa: the HSA size in hex, "0" once released; writing '0' at offset 0 releases it. */
final class ZcoreHsaFile implements VirtualFile {
    private static final String PATH = DumpPaths.ZCORE_HSA;
    private final Zcore zcore;

    ZcoreHsaFile(Zcore zcore) {
        this.zcore = zcore;
    }

    private byte[] text() {
        SavedArea hsa = zcore.hsa();
        return ZcoreHsaText.render(hsa.released() ? 0 : hsa.range().size()).getBytes(StandardCharsets.US_ASCII);
    }

    @Override
    public long size() {
        return text().length;
    }

    @Override
    public int mode() {
        return 0600;
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
        zcore.checkRunning(PATH);
        return BytesFile.slice(text(), offset, dst);
    }

    @Override
    public int write(long offset, ByteBuffer src) throws DumpException {
        zcore.checkRunning(PATH);
        int count = src.remaining();
        if (offset != 0) {
            throw new DumpException(Errno.EPIPE, PATH + ": write at offset " + offset + " (only offset 0)");
        }
        if (count == 0 || src.get(src.position()) != '0') {
            throw new DumpException(Errno.EINVAL, PATH + ": only \"0\" (release the HSA) can be written");
        }
        // The kernel reads only the first character: "0junk" releases the HSA too.
        byte[] all = new byte[count];
        src.duplicate().get(all);
        String input = new String(all, StandardCharsets.ISO_8859_1);
        String rest = input.substring(1);
        if (!rest.isEmpty() && !rest.equals("\n")) {
            zcore.leniency().check(PATH, input, List.of("only the first character counts; '"
                    + KernelLeniency.printable(rest) + "' after the 0 is ignored"));
        }
        zcore.releaseHsa("write of 0 to " + PATH);
        src.position(src.limit());
        return count;
    }
}
