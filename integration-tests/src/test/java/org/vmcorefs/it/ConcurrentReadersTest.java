package org.vmcorefs.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.vmcorefs.format.env.CaptureEnvironment;
import org.vmcorefs.format.MachineFactory;
import org.vmcorefs.format.MachineSpec;
import org.vmcorefs.format.view.VirtualFile;
import org.vmcorefs.format.env.CaptureEnvironments;
import org.vmcorefs.format.env.CaptureEnvironment;

/**
 * Eight readers at once over every file of a mounted machine, at random offsets and sizes: every byte
 * must equal the in-process rendering of the same view, with no deadlock, in bounded time. The time
 * per profile is {@code -Dvmcorefs.readers.seconds} (default 8; `make soak` runs {@link SoakTest}).
 */
class ConcurrentReadersTest {
    private static final int READERS = 8;
    private static final long SECONDS = Long.getLong("vmcorefs.readers.seconds", 8);

    static List<String> profiles() {
        return CaptureEnvironments.ids();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("profiles")
    void eightReadersSeeExactlyTheRenderedBytes(String id) throws Exception {
        CaptureEnvironment profile = CaptureEnvironments.byId(id);
        // 1 GiB: the POWER profiles need room for the running kernel's 256 MiB and the hypervisor's copy.
        long memory = 1L << 30;
        long seed = 11;
        MachineSpec spec = MachineSpec.synthetic(profile, memory, 3, seed);
        Map<String, VirtualFile> expected = CaptureEnvironment.of(MachineFactory.create(spec)).files();
        List<String> paths = new ArrayList<>();
        // Every readable file but the mount's own report: nothing writes during the test, so even the
        // files whose content can change (a POWER vmcore, control files) must read exactly as rendered.
        expected.forEach((path, file) -> {
            if ((file.mode() & 0400) != 0 && !path.startsWith("/.vmcorefs/")) {
                paths.add(path);
            }
        });
        assertTrue(paths.size() >= 1, "no dump files for " + profile);
        try (Mounted m = Mounted.mount("--profile", profile.id(), "--memory", "1G", "--cpus", "3", "--seed",
                Long.toString(seed))) {
            for (String p : paths) {
                assertEquals(expected.get(p).size(), java.nio.file.Files.size(m.path(p)), p);
            }
            ExecutorService pool = Executors.newFixedThreadPool(READERS);
            AtomicLong checked = new AtomicLong();
            java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(READERS);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(SECONDS);
            List<Future<?>> futures = new ArrayList<>();
            for (int r = 0; r < READERS; r++) {
                SplittableRandom random = new SplittableRandom(seed * 100 + r);
                futures.add(pool.submit(() -> {
                    ByteBuffer want = ByteBuffer.allocateDirect(256 << 10);
                    ByteBuffer got = ByteBuffer.allocateDirect(256 << 10);
                    // Each reader keeps its files open for the whole run, as a copying tool does: closing
                    // some of them changes the machine (closing zcore/mem releases the HSA).
                    Map<String, FileChannel> open = new java.util.HashMap<>();
                    try {
                        for (String p : paths) {
                            open.put(p, FileChannel.open(m.path(p), StandardOpenOption.READ));
                        }
                        while (System.nanoTime() < deadline) {
                            String p = paths.get(random.nextInt(paths.size()));
                            VirtualFile f = expected.get(p);
                            long offset = random.nextLong(f.size() + 4096);
                            int length = 1 + random.nextInt(random.nextBoolean() ? 4096 : 256 << 10);
                            want.clear().limit(length);
                            got.clear().limit(length);
                            int n;
                            try {
                                n = f.read(offset, want);
                            } catch (org.vmcorefs.machine.DumpException refused) {
                                // Refused in-process (e.g. a hole of zcore/mem): the mount refuses too. A read
                                // the kernel split into several FUSE requests may instead come back short, with
                                // the bytes before the refused piece, as any FUSE file system's would.
                                int k;
                                try {
                                    k = open.get(p).read(got, offset);
                                } catch (java.io.IOException expectedToo) {
                                    continue;
                                }
                                assertTrue(k >= 0 && k < length, p + " @" + offset + ": " + k + " of " + length
                                        + " bytes read where the model refuses");
                                want.clear().limit(k);
                                f.read(offset, want);
                                byte[] a = new byte[k];
                                byte[] b = new byte[k];
                                want.flip().get(a);
                                got.flip().get(b);
                                assertArrayEquals(a, b, p + " @" + offset + " short read");
                                continue;
                            }
                            FileChannel ch = open.get(p);
                            while (got.hasRemaining() && ch.read(got, offset + got.position()) > 0) {
                                // a full read inside the file: the loop only guards against a short one
                            }
                            assertEquals(n, got.position(), p + " @" + offset + " +" + length);
                            byte[] a = new byte[n];
                            byte[] b = new byte[n];
                            want.flip().get(a);
                            got.flip().get(b);
                            assertArrayEquals(a, b, p + " @" + offset + " +" + length);
                            checked.addAndGet(n);
                        }
                    } finally {
                        // Any close of zcore/mem releases the HSA (zcore_release): close only once every
                        // reader is done reading.
                        done.countDown();
                        done.await(SECONDS + 60, TimeUnit.SECONDS);
                        for (FileChannel ch : open.values()) {
                            ch.close();
                        }
                    }
                    return null;
                }));
            }
            pool.shutdown();
            assertTrue(pool.awaitTermination(SECONDS + 60, TimeUnit.SECONDS), "readers deadlocked or hung");
            for (Future<?> f : futures) {
                f.get();
            }
            System.out.printf("%s: %d readers checked %d MiB over %s%n", profile, READERS, checked.get() >> 20, paths);
            assertTrue(checked.get() > 0);
        }
    }
}
