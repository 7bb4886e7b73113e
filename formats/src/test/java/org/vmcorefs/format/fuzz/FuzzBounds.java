package org.vmcorefs.format.fuzz;

import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import org.vmcorefs.format.view.DumpTree;
import org.vmcorefs.format.view.VirtualFile;
import org.vmcorefs.machine.DumpException;

/**
 * What every fuzz target holds besides "no unexpected exception": one input takes bounded time and allocates in
 * proportion to its size (a header that claims a billion CPUs or segments must be refused, not believed). The
 * bounds are generous, so that a loaded machine does not fail them, and tight enough that believing a
 * fuzzed count (an array of it, a loop to it) does.
 */
final class FuzzBounds {
    /** Allocation allowed for one input: a machine's fixed costs plus a multiple of the input. */
    static final long FIXED_BYTES = 64L << 20;
    static final long BYTES_PER_INPUT_BYTE = 64;
    /** Time allowed for one input. */
    static final long MAX_NANOS = TimeUnit.SECONDS.toNanos(10);

    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    /** A target's body. */
    interface Body {
        void run() throws Exception;
    }

    private FuzzBounds() {
    }

    /** Makes the state a body acts on (not measured) and returns the body. */
    interface Setup {
        Body prepare() throws Exception;
    }

    /** Runs {@code body} on an input of {@code inputLength} bytes and fails if it takes or allocates too much. */
    static void check(int inputLength, Body body) throws Exception {
        check(inputLength, () -> body);
    }

    /**
     * Runs the body that {@code setup} makes on an input of {@code inputLength} bytes and fails if it takes or
     * allocates too much twice in a row: the first run of a fuzz target also pays for loading and instrumenting
     * classes, which a second run of the same input does not, whereas believing a fuzzed count costs every time.
     */
    static void check(int inputLength, Setup setup) throws Exception {
        String first = measure(inputLength, setup.prepare());
        if (first != null) {
            String second = measure(inputLength, setup.prepare());
            if (second != null) {
                throw new AssertionError(second + " (first run: " + first + ")");
            }
        }
    }

    private static String measure(int inputLength, Body body) throws Exception {
        long tid = Thread.currentThread().getId();
        long bytes0 = THREADS.getThreadAllocatedBytes(tid);
        long t0 = System.nanoTime();
        body.run();
        long nanos = System.nanoTime() - t0;
        long allocated = THREADS.getThreadAllocatedBytes(tid) - bytes0;
        long allowed = FIXED_BYTES + BYTES_PER_INPUT_BYTE * inputLength;
        if (allocated > allowed) {
            return "an input of " + inputLength + " bytes allocated " + allocated + " bytes (allowed " + allowed + ")";
        }
        if (nanos > MAX_NANOS) {
            return "an input of " + inputLength + " bytes took " + nanos / 1_000_000 + " ms";
        }
        return null;
    }

    /**
     * Reads every file of {@code tree} at its edges and middle: each read returns bytes within the size or
     * fails with a DumpException (an errno), nothing else.
     */
    static void readAll(DumpTree tree) {
        ByteBuffer dst = ByteBuffer.allocateDirect(8192);
        for (VirtualFile f : tree.files().values()) {
            VirtualFile open;
            try {
                open = f.open();
            } catch (DumpException expected) {
                continue;
            }
            long size = open.size();
            if (size < 0) {
                throw new AssertionError("negative size " + size);
            }
            for (long offset : new long[] {0, 4096, size / 2, Math.max(0, size - 100), size, size + 1}) {
                dst.clear();
                try {
                    int n = open.read(offset, dst);
                    if (n < 0 || n > 8192 || offset + n > size && n > 0) {
                        throw new AssertionError("read at " + offset + " of a file of " + size + " returned " + n);
                    }
                } catch (DumpException expected) {
                    // EIO for bytes the image does not hold, EINVAL past /dev/oldmem's end, ...: an errno.
                }
            }
            try {
                open.release();
            } catch (DumpException expected) {
                // An errno.
            }
        }
    }
}
