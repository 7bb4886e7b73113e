package org.vmcorefs.fs.save;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.vmcorefs.format.text.ReleaseRegionText;
import org.vmcorefs.machine.DumpException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.vmcorefs.machine.MemoryRange;

/** Segments tile the file; boundaries and zero ranges are respected; releases wait for what they held. */
class PlannerTest {
    private static final long K = 1024;
    private static final long M = 1024 * K;
    /** Headers, then physical [0, 4M) and [8M, 16M). */
    private static final DumpSource SRC = new DumpSource(8 * K + 12 * M, 8 * K, 4 * K,
            List.of(new DumpSource.Load(0, 4 * M, 8 * K), new DumpSource.Load(8 * M, 8 * M, 8 * K + 4 * M)));

    @ParameterizedTest
    @ValueSource(longs = {64 * 1024, 1 << 20, 3 << 20, 64 << 20})
    void segmentsTileTheFileAndCopiedOnesAreAtMostTheSegmentSize(long segmentSize) {
        List<Manifest.Segment> segs = Planner.segments(SRC, List.of(), segmentSize, List.of(1536 * K));
        long at = 0;
        for (Manifest.Segment s : segs) {
            assertEquals(at, s.offset, "contiguous");
            assertTrue(s.length > 0 && s.length <= Math.max(segmentSize, 8 * K), s.toString());
            at = s.end();
        }
        assertEquals(SRC.size(), at);
        // The boundary at physical 1.5 MiB is a segment boundary: file offset 8K + 1.5M.
        assertTrue(segs.stream().anyMatch(s -> s.offset == 8 * K + 1536 * K));
        // Copied segments of memory start at physical multiples of the segment size or at a boundary.
        for (Manifest.Segment s : segs) {
            for (long[] p : SRC.physical(s.offset, s.length)) {
                assertTrue(p[0] % segmentSize == 0 || p[0] == 1536 * K || p[0] == 8 * M, "phys " + p[0]);
            }
        }
    }

    @Test
    void knownZeroRangesBecomeOneZeroSegmentTrimmedToPages() {
        // Physical [9M + 100, 13M - 100) is zero: the pages inside it become one zero segment.
        long start = 8 * K + 4 * M + M + 100;
        List<Manifest.Segment> segs = Planner.segments(SRC, List.of(new MemoryRange(start, 4 * M - 200)), M,
                List.of());
        List<Manifest.Segment> zeros = segs.stream().filter(s -> s.kind == Manifest.Kind.zero).toList();
        assertEquals(1, zeros.size());
        assertEquals(8 * K + 5 * M + 4 * K, zeros.get(0).offset);
        assertEquals(4 * M - 8 * K, zeros.get(0).length);
        assertTrue(zeros.get(0).zero);
        // A run shorter than MIN_ZERO_RUN is copied instead.
        assertTrue(Planner.segments(SRC, List.of(new MemoryRange(8 * K, 8 * K)), M, List.of()).stream()
                .noneMatch(s -> s.kind == Manifest.Kind.zero));
    }

    @Test
    void theHsaReleaseWaitsForTheHeadersAndTheLowMemoryWhichAreCopiedFirst() {
        long hsa = 1536 * K;
        List<Manifest.Segment> segs = Planner.segments(SRC, List.of(), M, List.of(hsa));
        Manifest m = Planner.plan(SRC, segs, null, List.of(Planner.hsa(hsa, true)));
        Manifest.Release r = m.releases.get(0);
        assertEquals("0\n", r.text);
        assertEquals("sys/kernel/debug/zcore/hsa", r.file);
        assertFalse(r.afterVerify);
        // Headers, [0, 1M), [1M, 1.5M): three segments, at the front of the copy order.
        assertEquals(List.of(0, 1, 2), r.dependsOn);
        assertEquals(0, m.segments.get(0).offset);
        assertEquals(8 * K, m.segments.get(1).offset);
        assertEquals(8 * K + M, m.segments.get(2).offset);
        assertEquals(M / 2, m.segments.get(2).length);
        // Read from zcore/mem, the HSA goes back only after everything: every segment, after verification.
        Manifest late = Planner.plan(SRC, segs, null, List.of(Planner.hsa(hsa, false)));
        assertTrue(late.releases.get(0).afterVerify);
        assertEquals(late.segments.size(), late.releases.get(0).dependsOn.size());
        // ... though its part still comes first (zcore/mem's last close releases the HSA anyway).
        assertEquals(8 * K + M, late.segments.get(2).offset);
    }

    @Test
    void phypReleasesTheReservedMemoryExactlyOnceInChunksEachWaitingForThePageAfterIt() throws DumpException {
        // Reserved [4M, 16M) (a hole [4M, 8M) and RAM [8M, 16M)); save area above it.
        ReleaseRegionText region = ReleaseRegionText.parse("CPU:0x1000000-0x10000: HPTE:0x1010000-0x1000: "
                + "DUMP:0x1011000-0x400000, 0x400000-0xc00000:");
        List<Manifest.Segment> segs = Planner.segments(SRC, List.of(), M, List.of(4 * M, 16 * M));
        List<Planner.ReleaseSpec> specs = Planner.phyp(region, segs, SRC);
        Manifest m = Planner.plan(SRC, segs, null, specs);
        List<Manifest.Release> reserved = new ArrayList<>();
        List<Manifest.Release> saveArea = new ArrayList<>();
        for (Manifest.Release r : m.releases) {
            assertEquals("sys/kernel/release_region", r.file);
            (r.what.startsWith("save area") ? saveArea : reserved).add(r);
        }
        assertEquals(3, saveArea.size());
        long at = 4 * M;
        for (Manifest.Release r : reserved) {
            String[] f = r.text.strip().split(" ");
            long start = Long.decode(f[0]);
            long length = Long.decode(f[1]);
            assertEquals(at, start, "chunks tile the reserved range: " + r.text);
            at = start + length;
            // Every segment holding memory of [start, end + one page) is a dependency.
            for (int i = 0; i < m.segments.size(); i++) {
                for (long[] p : SRC.physical(m.segments.get(i).offset, m.segments.get(i).length)) {
                    if (p[0] < at + 4 * K && start < p[1]) {
                        assertTrue(r.dependsOn.contains(i), r.text.strip() + " waits for segment " + m.segments.get(i));
                    }
                }
            }
        }
        assertEquals(16 * M, at);
        // The hole [4M, 8M) waits for the page at 8M only.
        assertEquals(1, reserved.get(0).dependsOn.size());
        // The save area waits for the headers and the low memory [0, 4M), copied first.
        for (Manifest.Release r : saveArea) {
            assertTrue(r.dependsOn.containsAll(List.of(0, 1, 2, 3, 4)), r.what + " " + r.dependsOn);
        }
        assertEquals(0, m.segments.get(0).offset);
    }
}
