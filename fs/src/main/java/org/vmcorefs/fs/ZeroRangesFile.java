package org.vmcorefs.fs;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.vmcorefs.format.DumpPaths;
import org.vmcorefs.format.view.DumpTree;
import org.vmcorefs.format.view.LayoutFile;
import org.vmcorefs.format.view.VirtualFile;
import org.vmcorefs.format.text.ZeroRangesText;

/**
 * {@code .vmcorefs/zero-ranges}: the file ranges of proc/vmcore that the simulator knows are all zero (the
 * unpopulated 2 MiB blocks of synthetic memory, zero padding), one "OFFSET LENGTH" line each, in hex.
 * A simulator-only shortcut for {@code vmcorefs save --exclude-zero}: a real capture kernel has no such
 * file. Empty for a replayed image. Computed on first use from the vmcore's layout, without reading memory.
 */
public final class ZeroRangesFile implements VirtualFile {
    public static final String PATH = DumpPaths.ZERO_RANGES;

    private final LayoutFile vmcore;
    private volatile byte[] bytes;

    private ZeroRangesFile(LayoutFile vmcore) {
        this.vmcore = vmcore;
    }

    /** The file for {@code tree}'s proc/vmcore; empty if the tree has none. */
    public static ZeroRangesFile of(DumpTree tree) {
        return new ZeroRangesFile(tree.file(DumpPaths.VMCORE) instanceof LayoutFile f ? f : null);
    }

    private byte[] bytes() {
        byte[] b = bytes;
        if (b == null) {
            // The machine's memory does not change its zero blocks: rendered once, on first use.
            b = ZeroRangesText.render(vmcore == null ? List.of() : vmcore.layout().knownZeros())
                    .getBytes(StandardCharsets.US_ASCII);
            bytes = b;
        }
        return b;
    }

    @Override
    public long size() {
        return bytes().length;
    }

    @Override
    public int mode() {
        return 0400;
    }

    @Override
    public int read(long offset, ByteBuffer dst) {
        byte[] b = bytes();
        if (offset >= b.length) {
            return 0;
        }
        int n = (int) Math.min(dst.remaining(), b.length - offset);
        dst.put(b, (int) offset, n);
        return n;
    }
}
