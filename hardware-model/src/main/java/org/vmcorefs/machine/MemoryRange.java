package org.vmcorefs.machine;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/** A range [start, start + size) of physical addresses. */
public record MemoryRange(long start, long size) {
    public MemoryRange {
        if (size < 0 || start < 0 || start + size < start) {
            throw new IllegalArgumentException("bad range start=0x" + Long.toHexString(start) + " size=0x"
                    + Long.toHexString(size));
        }
    }

    public static MemoryRange ofEnd(long start, long end) {
        return new MemoryRange(start, end - start);
    }

    public long end() {
        return start + size;
    }

    public boolean contains(long address) {
        return address >= start && address < end();
    }

    public boolean overlaps(MemoryRange other) {
        return start < other.end() && other.start < end();
    }

    public boolean isEmpty() {
        return size == 0;
    }

    /** Whether {@code range} lies wholly inside one of {@code ranges}. */
    public static boolean insideOne(List<MemoryRange> ranges, MemoryRange range) {
        return ranges.stream().anyMatch(r -> r.start <= range.start && range.end() <= r.end());
    }

    /** This range with {@code cut} taken out: zero, one or two pieces. */
    public List<MemoryRange> minus(MemoryRange cut) {
        List<MemoryRange> out = new ArrayList<>(2);
        if (!overlaps(cut) || cut.isEmpty()) {
            out.add(this);
            return out;
        }
        if (cut.start > start) {
            out.add(ofEnd(start, cut.start));
        }
        if (cut.end() < end()) {
            out.add(ofEnd(cut.end(), end()));
        }
        return out;
    }

    /** Sorts, merges touching or overlapping ranges and drops empty ones. */
    public static List<MemoryRange> normalize(List<MemoryRange> ranges) {
        List<MemoryRange> sorted = new ArrayList<>(ranges);
        sorted.removeIf(MemoryRange::isEmpty);
        sorted.sort(Comparator.comparingLong(MemoryRange::start));
        List<MemoryRange> out = new ArrayList<>();
        for (MemoryRange r : sorted) {
            if (!out.isEmpty() && out.get(out.size() - 1).end() >= r.start) {
                MemoryRange last = out.remove(out.size() - 1);
                out.add(ofEnd(last.start, Math.max(last.end(), r.end())));
            } else {
                out.add(r);
            }
        }
        return List.copyOf(out);
    }

    /** Every range of {@code ranges} with {@code cut} removed. */
    public static List<MemoryRange> subtract(List<MemoryRange> ranges, MemoryRange cut) {
        List<MemoryRange> out = new ArrayList<>();
        for (MemoryRange r : ranges) {
            out.addAll(r.minus(cut));
        }
        return List.copyOf(out);
    }

    @Override
    public String toString() {
        return String.format("[0x%x-0x%x)", start, end());
    }
}
