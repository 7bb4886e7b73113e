package org.vmcorefs.format.text;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.vmcorefs.machine.MemoryRange;

/** Generated values for the text files' round-trip properties: edge values as often as ordinary ones. */
final class TextGen {
    static final int RUNS = 1000;
    private static final String CHARS = "0123456789abcdefABCDEFxX :-,\n\t\r g";

    private TextGen() {
    }

    /** A value in [0, max]: 0, max, small, page-aligned or anything, about equally often. */
    static long value(Random r, long max) {
        return switch (r.nextInt(5)) {
            case 0 -> 0;
            case 1 -> max;
            case 2 -> Math.min(max, r.nextInt(1 << 16));
            case 3 -> (r.nextLong() >>> 1) % (max / 4096 + 1) * 4096;
            default -> max == Long.MAX_VALUE ? r.nextLong() >>> 1 : (r.nextLong() >>> 1) % (max + 1);
        };
    }

    /** A physical range: start and size non-negative, end not past 2^63 - 1. */
    static MemoryRange range(Random r) {
        long start = value(r, Long.MAX_VALUE);
        return new MemoryRange(start, value(r, Long.MAX_VALUE - start));
    }

    /** 0 to 40 ranges, in no particular order. */
    static List<MemoryRange> ranges(Random r) {
        int n = r.nextInt(8) == 0 ? 0 : r.nextInt(40);
        List<MemoryRange> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(range(r));
        }
        return out;
    }

    /** {@code s} with one to three characters inserted, removed or replaced. */
    static String mutate(Random r, String s) {
        StringBuilder b = new StringBuilder(s);
        for (int k = 1 + r.nextInt(3); k > 0; k--) {
            int at = b.length() == 0 ? 0 : r.nextInt(b.length() + 1);
            char c = CHARS.charAt(r.nextInt(CHARS.length()));
            switch (b.length() == 0 ? 0 : r.nextInt(3)) {
                case 0 -> b.insert(at, c);
                case 1 -> b.deleteCharAt(Math.min(at, b.length() - 1));
                default -> b.setCharAt(Math.min(at, b.length() - 1), c);
            }
        }
        return b.toString();
    }
}
