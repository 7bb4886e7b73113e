package org.vmcorefs.fs.save;

import java.io.IOException;
import java.io.PrintStream;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.vmcorefs.format.DumpPaths;
import org.vmcorefs.format.struct.S390DumpHeader;
import org.vmcorefs.format.struct.S390EndMarker;
import org.vmcorefs.format.text.ReleaseRegionText;
import org.vmcorefs.machine.MemoryRange;

/**
 * The start of a new save: what the mechanism's files under ROOT say (HSA size, reserved ranges, known
 * zeros), the plan made of it, an empty sparse output of the final size, and the first manifest on disk.
 */
final class Planning {
    private final Saver.Options opt;
    private final RetryingReader reader;
    private final PrintStream messages;
    private final CaptureFiles files;

    Planning(Saver.Options opt, RetryingReader reader, PrintStream messages, CaptureFiles files) {
        this.opt = opt;
        this.reader = reader;
        this.messages = messages;
        this.files = files;
    }

    /** Plans the save of {@code src}, creates OUTFILE and stores the manifest at {@code manifestPath}. */
    Manifest start(Mechanism mechanism, SourceFile src, Path manifestPath) throws SaveException {
        if (!opt.force() && (Files.exists(opt.outFile()) || Files.exists(manifestPath))) {
            throw new SaveException(SaveException.RESUME_REFUSED, opt.outFile() + " or its manifest exists: "
                    + "--resume continues an interrupted save, --force starts over");
        }
        DumpSource ds = DumpSource.of(src, opt.format(), reader, files);
        List<MemoryRange> zeros = opt.excludeZero() && opt.format() == Saver.Format.elf ? files.zeroRanges()
                : new ArrayList<>();
        List<Long> boundaries = new ArrayList<>();
        List<Planner.ReleaseSpec> specs = new ArrayList<>();
        ReleaseRegionText region = null;
        byte[] tail = null;
        switch (mechanism) {
            case S390_ZFCPDUMP -> {
                long hsa = files.hsaSize();
                if (hsa == 0) {
                    throw new SaveException(SaveException.BAD_DUMP, "the HSA has been released already ("
                            + DumpPaths.relative(DumpPaths.ZCORE_HSA) + " reads 0): the low memory of this dump is gone");
                }
                boundaries.add(hsa);
                // zcore/mem cannot be opened once the HSA is gone, and its last close gives the HSA back (as
                // zcore_release does): from it the HSA part is copied first but released only at the end.
                specs.add(Planner.hsa(hsa, opt.format() == Saver.Format.elf));
                if (opt.format() == Saver.Format.s390) {
                    // Fixed when planned, so that a resumed save writes the same bytes.
                    tail = endMarker(DumpSource.s390Header(src, reader), Instant.now());
                }
            }
            case PHYP -> {
                region = files.releaseRegion();
                for (MemoryRange r : List.of(region.reserved(), region.savedLowMemory())) {
                    boundaries.add(r.start());
                    boundaries.add(r.end());
                }
                boundaries.add(region.savedLowMemory().size());
            }
            case FADUMP -> specs.add(Planner.fadump());
            case KDUMP -> {
            }
        }
        if (opt.format() == Saver.Format.s390) {
            zeros = ds.holes(); // zcore/mem's holes fail to read (EFAULT); the dump format has zeros there
        }
        List<Manifest.Segment> segments = Planner.segments(ds, zeros, opt.segmentSize(), boundaries);
        if (opt.format() == Saver.Format.s390) {
            Manifest.Segment header = segments.get(0);
            if (header.offset != 0 || header.length != S390DumpHeader.SIZE) {
                throw new IllegalStateException("the s390 header is not a segment of its own: " + header);
            }
            header.kind = Manifest.Kind.generated;
            header.data = HexFormat.of().formatHex(copyHeader(DumpSource.s390Header(src, reader),
                    ds.size() - S390DumpHeader.SIZE));
        }
        if (region != null) {
            specs.addAll(Planner.phyp(region, segments, ds));
        }
        Manifest manifest = Planner.plan(ds, segments, tail, specs);
        if (!opt.release()) {
            // The copy order stays (what a saved area holds first); only the releases go.
            manifest.releases.clear();
        }
        manifest.mechanism = mechanism.id();
        manifest.format = opt.format().name();
        manifest.source = src.path().toString();
        manifest.excludeZero = opt.excludeZero();
        manifest.fingerprintLength = ds.headersEnd();
        manifest.sourceFingerprint = reader.sha256(src, ds.headersEnd());
        long zeroBytes = manifest.segments.stream().filter(s -> s.kind == Manifest.Kind.zero).mapToLong(s -> s.length)
                .sum();
        messages.println(String.format("vmcorefs save: %s, %s from %s in %d segments%s%s", mechanism.id(),
                Sizes.human(manifest.outputSize), src.path(), manifest.segments.size(),
                zeroBytes > 0 ? ", " + Sizes.human(zeroBytes) + " known zero (not read)" : "",
                manifest.releases.isEmpty() ? "" : ", " + manifest.releases.size() + " releases"));
        try {
            try (RandomAccessFile f = new RandomAccessFile(opt.outFile().toFile(), "rw")) {
                f.setLength(0);
                f.setLength(manifest.outputSize); // sparse until written
                f.getFD().sync();
            }
            manifest.store(manifestPath);
        } catch (IOException e) {
            throw new SaveException(SaveException.WRITE_FAILED, "cannot create " + opt.outFile() + ": " + e.getMessage(), e);
        }
        return manifest;
    }

    /**
     * The header of the copy, as zgetdump writes an s390 dump: zcore/mem's, but with mem_size (and mem_end,
     * num_pages) counting every byte that follows, holes included, so that the end marker is where readers
     * look for it (zcore/mem's own mem_size is the RAM's size, not the end of the last chunk).
     */
    static byte[] copyHeader(S390DumpHeader h, long memBytes) {
        S390DumpHeader c = new S390DumpHeader(h.version(), h.dumpLevel(), h.pageSize(), memBytes, h.memStart(), memBytes,
                (int) (memBytes / h.pageSize()), h.tod(), h.cpuId(), h.arch(), h.volnr(), h.buildArch(), h.realMemSize(),
                h.mvdump(), h.realCpuCount(), h.lcVec());
        ByteBuffer b = c.toBuffer();
        byte[] out = new byte[b.remaining()];
        b.get(out);
        return out;
    }

    /** The end marker of a copy ending now: "DUMP_END" and the TOD clock, never before the dump's start. */
    static byte[] endMarker(S390DumpHeader header, Instant now) {
        long tod = S390DumpHeader.tod(now);
        if (Long.compareUnsigned(tod, header.tod()) < 0) {
            tod = header.tod();
        }
        ByteBuffer b = new S390EndMarker(tod).toBuffer();
        byte[] out = new byte[b.remaining()];
        b.get(out);
        return out;
    }
}
