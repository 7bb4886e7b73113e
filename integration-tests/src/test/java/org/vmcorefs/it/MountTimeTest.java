package org.vmcorefs.it;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import org.junit.jupiter.api.Test;

/** Mounting is lazy: a 1 TiB machine mounts about as fast as a 1 GiB one. */
class MountTimeTest {
    /** Seconds from {@code bin/vmcorefs mount} to a stat of the vmcore, then unmounts. */
    private static double mountSeconds(String memory) throws Exception {
        long start = System.nanoTime();
        try (Mounted m = Mounted.mount("--memory", memory, "--cpus", "2")) {
            long size = Files.size(m.path("proc/vmcore"));
            double s = (System.nanoTime() - start) / 1e9;
            assertTrue(size > 0);
            return s;
        }
    }

    @Test
    void oneTebibyteMountsAboutAsFastAsOneGibibyte() throws Exception {
        Mounted.assumeFuse();
        double gib = mountSeconds("1G");
        double tib = mountSeconds("1T");
        System.out.printf("mount time: 1 GiB %.2f s, 1 TiB %.2f s%n", gib, tib);
        if (tib > 2 * gib + 1) {
            // The machine is shared and a single run can be unlucky: measure both once more, keep the faster.
            gib = Math.min(gib, mountSeconds("1G"));
            tib = Math.min(tib, mountSeconds("1T"));
            System.out.printf("mount time, second sample kept if faster: 1 GiB %.2f s, 1 TiB %.2f s%n", gib, tib);
        }
        assertTrue(tib <= 2 * gib + 1, String.format("1 TiB took %.2f s, 1 GiB %.2f s", tib, gib));
    }
}
