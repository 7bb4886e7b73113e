package org.vmcorefs.fs.save;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vmcorefs.format.DumpPaths;
import org.vmcorefs.format.text.ReleaseRegionText;
import org.vmcorefs.format.text.ZcoreHsaText;
import org.vmcorefs.format.text.ZcoreMemmapText;
import org.vmcorefs.format.text.ZeroRangesText;
import org.vmcorefs.machine.MemoryRange;

/** The text files of the capture environment under ROOT, read with the formats' own parsers. */
final class CaptureFiles {
    private static final Logger LOG = LoggerFactory.getLogger(CaptureFiles.class);
    private final Path root;

    CaptureFiles(Path root) {
        this.root = root;
    }

    /** ROOT/{@code path}, for one of {@link DumpPaths}' absolute paths. */
    Path path(String path) {
        return DumpPaths.under(root, path);
    }

    /** zcore/hsa: the HSA's size, 0 once released. */
    long hsaSize() throws SaveException {
        Path p = path(DumpPaths.ZCORE_HSA);
        try {
            return ZcoreHsaText.parse(read(p));
        } catch (IOException e) { // unreadable, or not what the kernel writes (DumpException, EINVAL)
            throw new SaveException(SaveException.BAD_DUMP, p + ": " + e.getMessage(), e);
        }
    }

    /** zcore/memmap's chunks, sorted and merged; none if there is no memmap. */
    List<MemoryRange> memmap() throws SaveException {
        Path p = path(DumpPaths.ZCORE_MEMMAP);
        if (!Files.exists(p)) {
            return List.of();
        }
        try {
            return MemoryRange.normalize(ZcoreMemmapText.parse(read(p)));
        } catch (IOException e) { // unreadable, or not what the kernel writes (DumpException, EINVAL)
            throw new SaveException(SaveException.BAD_DUMP, p + ": " + e.getMessage(), e);
        }
    }

    /** release_region's line: what is still reserved. */
    ReleaseRegionText releaseRegion() throws SaveException {
        Path p = path(DumpPaths.RELEASE_REGION);
        try {
            return ReleaseRegionText.parse(read(p));
        } catch (IOException e) { // unreadable, or not what the kernel writes (DumpException, EINVAL)
            throw new SaveException(SaveException.BAD_DUMP, p + ": " + e.getMessage(), e);
        }
    }

    /** .vmcorefs/zero-ranges: file ranges of proc/vmcore known to be zero; none where there is no such file. */
    List<MemoryRange> zeroRanges() throws SaveException {
        Path file = path(DumpPaths.ZERO_RANGES);
        if (!Files.exists(file)) {
            LOG.info("no {}: every byte is read", file);
            return List.of();
        }
        List<MemoryRange> out;
        try {
            out = ZeroRangesText.parse(read(file));
        } catch (IOException e) { // unreadable, or not what the kernel writes (DumpException, EINVAL)
            throw new SaveException(SaveException.READ_FAILED, file + ": " + e.getMessage(), e);
        }
        LOG.info("{} lists {} known-zero ranges", file, out.size());
        return out;
    }

    private static String read(Path p) throws IOException {
        return Files.readString(p, StandardCharsets.US_ASCII);
    }
}
