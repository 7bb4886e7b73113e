package org.vmcorefs.fs.map;

import org.vmcorefs.format.view.Layout;

/**
 * Which parts of a physical address space were touched, in bounded memory: a tree of buckets, 16 children
 * each, down to 4 KiB, refined only where a touch covers part of a bucket and merged back when a bucket is
 * covered whole. A sequential stream over any amount of memory keeps only its frontier (a few hundred
 * nodes); scattered touches refine until {@code maxNodes}, after which a bucket counts its touched bytes
 * without saying where inside it they are (at most its size). Not thread-safe: callers synchronize.
 */
final class AddressMap {
    static final int FANOUT = 16;
    static final long FINEST = 4096;

    /** A bucket: {@code touched} bytes of it were touched; {@code children} once refined. */
    private static final class Node {
        long touched;
        /** Of a refined bucket: bytes counted here, not in a child, because the budget ran out. */
        long extra;
        Node[] children;
    }

    /** Receives one reported range: [start, end), {@code touched} bytes of it touched. */
    @FunctionalInterface
    interface RangeSink {
        void range(long start, long end, long touched);
    }

    private final long span;
    private final int maxNodes;
    private final Node root = new Node();
    private int nodes = 1;
    /** {@link #add} as the sink a layout reports a read's memory to, made once (not a method reference per read). */
    final Layout.MemorySink sink = this::add;

    /** A map of [0, limit) (rounded up to a whole tree), with at most {@code maxNodes} buckets. */
    AddressMap(long limit, int maxNodes) {
        long s = FINEST;
        while (s < limit && s <= Long.MAX_VALUE / FANOUT) {
            s *= FANOUT;
        }
        this.span = s;
        this.maxNodes = maxNodes;
    }

    long span() {
        return span;
    }

    /** The buckets in use now (what the map's memory is proportional to). */
    int nodes() {
        return nodes;
    }

    void add(long start, long length) {
        long end = start + length;
        if (length <= 0 || start < 0 || start >= span) {
            return;
        }
        add(root, 0, span, start, Math.min(end, span));
    }

    /**
     * Marks [a, b) in {@code node}; returns by how much the node's touched count grew. A node's count is the sum
     * of its children's and its extra bytes (at most its size), so it grows by what its children's counts
     * grew: no pass over the children per level.
     */
    private long add(Node node, long nodeStart, long size, long a, long b) {
        long from = Math.max(a, nodeStart);
        long to = Math.min(b, nodeStart + size);
        long before = node.touched;
        if (from >= to || before == size) {
            return 0;
        }
        if (from == nodeStart && to == nodeStart + size) {
            node.touched = size;
            drop(node);
            return size - before;
        }
        if (node.children == null) {
            if (before != 0 || size <= FINEST || nodes + 1 > maxNodes) {
                node.touched = Math.min(size, before + (to - from)); // coarse: where inside is not kept
                return node.touched - before;
            }
            node.children = new Node[FANOUT];
        }
        long child = size / FANOUT;
        int shift = Long.numberOfTrailingZeros(child); // sizes are powers of 16: shifts, not divisions, per level
        long grew = 0;
        int first = (int) ((from - nodeStart) >>> shift);
        int last = (int) ((to - 1 - nodeStart) >>> shift);
        for (int i = first; i <= last; i++) {
            long cs = nodeStart + i * child;
            if (node.children[i] == null) {
                if (nodes + 1 > maxNodes) {
                    long extra = Math.min(to, cs + child) - Math.max(from, cs);
                    node.extra += extra;
                    grew += extra;
                    continue;
                }
                node.children[i] = new Node();
                nodes++;
            }
            grew += add(node.children[i], cs, child, from, to);
        }
        node.touched = Math.min(size, before + grew);
        if (node.touched >= size) {
            node.touched = size;
            drop(node);
        }
        return node.touched - before;
    }

    private void drop(Node node) {
        if (node.children != null) {
            for (Node c : node.children) {
                if (c != null) {
                    drop(c);
                    nodes--;
                }
            }
            node.children = null;
        }
        node.extra = 0;
    }

    /** The bytes touched in all. */
    long touched() {
        return root.touched;
    }

    /**
     * Reports the touched parts in address order: buckets touched whole as merged ranges (touched = length),
     * coarse buckets as themselves with their count.
     */
    void ranges(RangeSink sink) {
        long[] run = {-1, -1};
        ranges(root, 0, span, sink, run);
        if (run[0] >= 0) {
            sink.range(run[0], run[1], run[1] - run[0]);
        }
    }

    private void ranges(Node node, long start, long size, RangeSink sink, long[] run) {
        if (node.touched == 0) {
            return;
        }
        if (node.touched == size) {
            if (run[0] >= 0 && run[1] == start) {
                run[1] = start + size;
            } else {
                if (run[0] >= 0) {
                    sink.range(run[0], run[1], run[1] - run[0]);
                }
                run[0] = start;
                run[1] = start + size;
            }
            return;
        }
        if (node.children == null) {
            if (run[0] >= 0) {
                sink.range(run[0], run[1], run[1] - run[0]);
                run[0] = -1;
            }
            sink.range(start, start + size, node.touched);
            return;
        }
        long child = size / FANOUT;
        for (int i = 0; i < FANOUT; i++) {
            if (node.children[i] != null) {
                ranges(node.children[i], start + i * child, child, sink, run);
            }
        }
        if (node.extra > 0) { // bytes counted here when the budget ran out: the bucket as a whole
            if (run[0] >= 0) {
                sink.range(run[0], run[1], run[1] - run[0]);
                run[0] = -1;
            }
            sink.range(start, start + size, Math.min(node.extra, size));
        }
    }
}
