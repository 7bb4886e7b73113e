package org.vmcorefs.fs.save;

import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.TreeSet;
import org.vmcorefs.format.DumpPaths;
import org.vmcorefs.format.text.ReleaseRequest;
import org.vmcorefs.format.text.ReleaseRegionText;
import org.vmcorefs.format.text.ZcoreHsaText;
import org.vmcorefs.machine.MemoryRange;

/**
 * Cuts a dump into segments and decides the order of copies and releases. Segments end at page-aligned
 * physical multiples of the segment size, at the header's end, at every physical boundary a release
 * needs (the HSA's end, the reserved ranges), and around known-zero ranges. What an early release waits
 * for is copied first; every other segment follows in file order.
 */
final class Planner {
    /** The control files, as the manifest names them: relative to ROOT. */
    static final String HSA_FILE = DumpPaths.relative(DumpPaths.ZCORE_HSA);
    static final String RELEASE_REGION_FILE = DumpPaths.relative(DumpPaths.RELEASE_REGION);
    static final String RELEASE_MEM_FILE = DumpPaths.relative(DumpPaths.FADUMP_RELEASE_MEM);
    /** Known-zero runs shorter than this are copied: not worth a segment of their own. */
    static final long MIN_ZERO_RUN = 64 * 1024;

    /**
     * A release to plan: write {@code text} to ROOT/{@code file} once the output holding physical
     * {@code memory} (and the headers, if {@code needsHeaders}) is durable.
     *
     * @param early copy what it waits for before everything else (the saved areas: HSA, phyp save area)
     * @param afterVerify only after the whole output is written and verified (waits for every segment)
     */
    record ReleaseSpec(String what, String file, String text, List<MemoryRange> memory, boolean needsHeaders,
            boolean early, boolean afterVerify) {
    }

    private Planner() {
    }

    /**
     * The segments of {@code src}, in file order.
     *
     * @param zeroRanges file ranges known to be all zero (they become zero segments, not read)
     * @param boundaries physical addresses where a segment must end
     */
    static List<Manifest.Segment> segments(DumpSource src, List<MemoryRange> zeroRanges, long segmentSize,
            List<Long> boundaries) {
        if (segmentSize <= 0 || segmentSize % src.pageSize() != 0) {
            throw new IllegalArgumentException("segment size must be a multiple of the page size " + src.pageSize());
        }
        long size = src.size();
        TreeSet<Long> cuts = new TreeSet<>(List.of(0L, size));
        if (src.headersEnd() > 0 && src.headersEnd() < size) {
            cuts.add(src.headersEnd());
        }
        for (DumpSource.Load l : src.loads()) {
            long chunkStart = l.offset() - Math.floorMod(l.paddr(), src.pageSize());
            long chunkEnd = Math.min(size, DumpSource.roundUp(l.fileEnd(), src.pageSize()));
            cuts.add(Math.max(0, chunkStart));
            cuts.add(chunkEnd);
            long physStart = l.paddr() - (l.offset() - chunkStart);
            for (long p = DumpSource.roundUp(physStart + 1, segmentSize); p < physStart + (chunkEnd - chunkStart);
                    p += segmentSize) {
                cuts.add(chunkStart + (p - physStart));
            }
        }
        for (long b : boundaries) {
            cuts.addAll(src.fileOffsets(b));
        }
        List<MemoryRange> zeros = new ArrayList<>();
        for (MemoryRange z : zeroRanges) {
            long s = Math.max(DumpSource.roundUp(z.start(), src.pageSize()), src.headersEnd());
            long e = Math.min(z.end() / src.pageSize() * src.pageSize(), size);
            if (e - s >= MIN_ZERO_RUN) {
                zeros.add(MemoryRange.ofEnd(s, e));
                cuts.add(s);
                cuts.add(e);
            }
        }
        List<Manifest.Segment> out = new ArrayList<>();
        Long prev = null;
        int zi = 0;
        for (long c : cuts) {
            if (prev != null && c > prev) {
                while (zi < zeros.size() && zeros.get(zi).end() <= prev) {
                    zi++;
                }
                boolean zero = zi < zeros.size() && zeros.get(zi).start() <= prev && c <= zeros.get(zi).end();
                add(out, prev, c, zero, segmentSize);
            }
            prev = c;
        }
        return out;
    }

    /** Appends [start, end): zero runs merge with a zero predecessor; copied runs split at segmentSize. */
    private static void add(List<Manifest.Segment> out, long start, long end, boolean zero, long segmentSize) {
        Manifest.Segment last = out.isEmpty() ? null : out.get(out.size() - 1);
        if (zero) {
            if (last != null && last.kind == Manifest.Kind.zero && last.end() == start) {
                last.length = end - last.offset;
            } else {
                Manifest.Segment s = new Manifest.Segment(start, end - start, Manifest.Kind.zero);
                s.zero = true;
                out.add(s);
            }
            return;
        }
        for (long s = start; s < end; s += segmentSize) {
            out.add(new Manifest.Segment(s, Math.min(segmentSize, end - s), Manifest.Kind.copy));
        }
    }

    /**
     * The manifest: {@code segments} reordered so that early releases' dependencies come first, an
     * optional generated tail (s390's end marker), and the releases bound to segment indexes.
     */
    static Manifest plan(DumpSource src, List<Manifest.Segment> segments, byte[] tail, List<ReleaseSpec> specs) {
        List<Manifest.Segment> fileOrder = new ArrayList<>(segments);
        if (tail != null) {
            Manifest.Segment t = new Manifest.Segment(src.size(), tail.length, Manifest.Kind.generated);
            t.data = HexFormat.of().formatHex(tail);
            fileOrder.add(t);
        }
        boolean[] early = new boolean[fileOrder.size()];
        for (ReleaseSpec spec : specs) {
            if (spec.early()) {
                // What the release frees is copied first, even when the release itself waits for the end.
                ReleaseSpec memoryOnly = new ReleaseSpec(spec.what(), spec.file(), spec.text(), spec.memory(),
                        spec.needsHeaders(), true, false);
                for (int i : dependencies(src, fileOrder, memoryOnly)) {
                    early[i] = true;
                }
            }
        }
        List<Manifest.Segment> ordered = new ArrayList<>();
        for (int pass = 0; pass < 2; pass++) {
            for (int i = 0; i < fileOrder.size(); i++) {
                if (early[i] == (pass == 0)) {
                    ordered.add(fileOrder.get(i));
                }
            }
        }
        Manifest m = new Manifest();
        m.segments = ordered;
        m.outputSize = src.size() + (tail == null ? 0 : tail.length);
        m.sourceSize = src.size();
        for (ReleaseSpec spec : specs) {
            List<Integer> deps = new ArrayList<>();
            for (int i : dependencies(src, ordered, spec)) {
                deps.add(i);
            }
            m.releases.add(new Manifest.Release(spec.what(), spec.file(), spec.text(), deps, spec.afterVerify()));
        }
        return m;
    }

    /** Indexes of {@code segments} holding memory of {@code spec} (or anything, after verification). */
    static List<Integer> dependencies(DumpSource src, List<Manifest.Segment> segments, ReleaseSpec spec) {
        List<Integer> deps = new ArrayList<>();
        for (int i = 0; i < segments.size(); i++) {
            Manifest.Segment s = segments.get(i);
            boolean needed = spec.afterVerify() || (spec.needsHeaders() && s.offset < src.headersEnd());
            if (!needed && s.kind != Manifest.Kind.generated) {
                for (long[] p : src.physical(s.offset, s.length)) {
                    for (MemoryRange r : spec.memory()) {
                        if (p[0] < r.end() && r.start() < p[1]) {
                            needed = true;
                        }
                    }
                }
            }
            if (needed) {
                deps.add(i);
            }
        }
        return deps;
    }

    /**
     * s390 zfcpdump: the HSA holds physical [0, hsaSize); "0" to zcore/hsa gives it back. Its part is always
     * copied first; released right after ({@code early}) or only after everything is saved and verified.
     */
    static ReleaseSpec hsa(long hsaSize, boolean early) {
        return new ReleaseSpec(String.format("HSA [0x0, 0x%x)", hsaSize), HSA_FILE, ZcoreHsaText.RELEASE,
                List.of(new MemoryRange(0, hsaSize)), true, true, !early);
    }

    /**
     * phyp-assisted dump: the save area (CPU state, HPTEs, the copy of the low memory) once the headers and
     * the low memory are saved; the reserved memory chunk by chunk, each once its pages are saved. The
     * kernel frees one page past every range it is given (its loop runs to end_pfn inclusive), so each
     * chunk also waits for the page after it.
     */
    static List<ReleaseSpec> phyp(ReleaseRegionText region, List<Manifest.Segment> segments, DumpSource src) {
        long page = src.pageSize();
        List<ReleaseSpec> specs = new ArrayList<>();
        MemoryRange low = new MemoryRange(0, region.savedLowMemory().size());
        for (MemoryRange area : List.of(region.cpu(), region.hpte(), region.savedLowMemory())) {
            if (area.isEmpty()) {
                continue;
            }
            String name = area == region.cpu() ? "CPU state" : area == region.hpte() ? "HPTE" : "low memory copy";
            specs.add(new ReleaseSpec("save area: " + name + " " + area, RELEASE_REGION_FILE,
                    ReleaseRequest.of(area).render(), List.of(low, withNextPage(area, page)), true, true, false));
        }
        MemoryRange reserved = region.reserved();
        TreeSet<Long> cuts = new TreeSet<>(List.of(reserved.start(), reserved.end()));
        for (Manifest.Segment s : segments) {
            for (long[] p : src.physical(s.offset, s.length)) {
                for (long a : p) {
                    if (a > reserved.start() && a < reserved.end()) {
                        cuts.add(a);
                    }
                }
            }
        }
        Long prev = null;
        for (long c : cuts) {
            if (prev != null && c > prev) {
                MemoryRange chunk = MemoryRange.ofEnd(prev, c);
                specs.add(new ReleaseSpec("reserved " + chunk, RELEASE_REGION_FILE,
                        ReleaseRequest.of(chunk).render(),
                        List.of(withNextPage(chunk, page)), false, false, false));
            }
            prev = c;
        }
        return specs;
    }

    /** fadump: release_mem "1" ends the dump; only after everything is written and verified. */
    static ReleaseSpec fadump() {
        return new ReleaseSpec("fadump reserved memory", RELEASE_MEM_FILE, "1\n", List.of(), false, false, true);
    }

    private static MemoryRange withNextPage(MemoryRange r, long page) {
        return new MemoryRange(r.start(), r.size() + page);
    }
}
