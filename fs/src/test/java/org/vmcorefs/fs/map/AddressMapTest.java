package org.vmcorefs.fs.map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class AddressMapTest {
    private static final long TIB = 1L << 40;

    private static List<long[]> ranges(AddressMap m) {
        List<long[]> out = new ArrayList<>();
        m.ranges((s, e, t) -> out.add(new long[] {s, e, t}));
        return out;
    }

    @Test
    void sequentialStreamOverATebibyteStaysAtItsFrontier() {
        AddressMap m = new AddressMap(TIB, ReadMap.MAX_NODES);
        int most = 0;
        long chunk = 1 << 20;
        for (long a = 0; a < TIB; a += chunk) {
            m.add(a, chunk);
            most = Math.max(most, m.nodes());
        }
        assertEquals(TIB, m.touched());
        assertEquals(1, m.nodes(), "a space touched whole is one bucket");
        // The frontier: at most 15 full siblings plus one partial per level (7 levels from 4 KiB to 1 TiB).
        assertTrue(most <= 1 + 7 * AddressMap.FANOUT, "buckets in use while streaming: " + most);
        List<long[]> r = ranges(m);
        assertEquals(1, r.size());
        assertEquals(0, r.get(0)[0]);
        assertEquals(TIB, r.get(0)[1]);
    }

    @Test
    void exactWhereTheBudgetAllows() {
        AddressMap m = new AddressMap(1L << 30, ReadMap.MAX_NODES);
        TreeMap<Long, Long> pages = new TreeMap<>();
        Random rnd = new Random(7);
        for (int i = 0; i < 300; i++) {
            long page = rnd.nextInt(1 << 18);
            int n = 1 + rnd.nextInt(4);
            m.add(page * 4096, n * 4096L);
            for (int k = 0; k < n; k++) {
                pages.put(page + k, 1L);
            }
        }
        assertEquals(pages.size() * 4096L, m.touched());
        long sum = 0;
        for (long[] r : ranges(m)) {
            assertEquals(r[1] - r[0], r[2], "every bucket reported is touched whole");
            for (long p = r[0] / 4096; p < r[1] / 4096; p++) {
                assertTrue(pages.containsKey(p), "page " + p + " was not touched");
            }
            sum += r[2];
        }
        assertEquals(m.touched(), sum);
    }

    @Test
    void scatteredTouchesBeyondTheBudgetStayBoundedAndCounted() {
        int budget = 256;
        AddressMap m = new AddressMap(TIB, budget);
        Random rnd = new Random(1);
        long distinct = 0;
        java.util.HashSet<Long> seen = new java.util.HashSet<>();
        for (int i = 0; i < 100_000; i++) {
            long page = (rnd.nextLong() & Long.MAX_VALUE) % (TIB / 4096);
            if (!seen.add(page)) {
                continue; // a coarse bucket cannot tell a page touched again from a new one
            }
            distinct++;
            m.add(page * 4096, 4096);
            assertTrue(m.nodes() <= budget, "buckets: " + m.nodes());
        }
        assertEquals(distinct * 4096, m.touched(), "no page was touched twice here, so the count is exact");
        long sum = 0;
        for (long[] r : ranges(m)) {
            assertTrue(r[2] <= r[1] - r[0]);
            sum += r[2];
        }
        assertEquals(m.touched(), sum, "every touched byte is in a reported bucket");
    }

    @Test
    void partsOfPagesAndTheEnd() {
        AddressMap m = new AddressMap(10 * 4096, 64);
        m.add(100, 50);
        m.add(4096 * 9, 4096 * 5); // past the map's limit is within its span (rounded up)
        assertEquals(50 + 5 * 4096, m.touched());
    }
}
