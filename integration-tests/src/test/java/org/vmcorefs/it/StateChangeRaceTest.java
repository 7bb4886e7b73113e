package org.vmcorefs.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.vmcorefs.format.env.CaptureEnvironment;
import org.vmcorefs.format.MachineFactory;
import org.vmcorefs.format.MachineSpec;
import org.vmcorefs.format.view.VirtualFile;
import org.vmcorefs.machine.DumpException;
import org.vmcorefs.format.env.CaptureEnvironment;
import org.vmcorefs.format.env.CaptureEnvironments;

/**
 * Eight readers stream every dump file of a mount while the state that matters changes under them: phyp's
 * release loop, the close of a zcore/mem handle (which gives the HSA back), fadump's release_mem, zcore/reipl, an
 * unmount. Every read returns the bytes of the in-process rendering of the machine as it was before any change
 * (never bytes of memory that was given back) or fails with the errno of the new state; nothing hangs; and the
 * daemon ends cleanly, its descriptors and threads back where they were before the readers came.
 */
class StateChangeRaceTest {
    private static final int READERS = 8;
    private static final long SECONDS = 4;
    private static final long SEED = 23;
    private static final Pattern PAIR = Pattern.compile("0x(\\p{XDigit}+)-0x(\\p{XDigit}+)");

    /** One state change, its profile, and the errnos (as strerror texts) readers may get once it is done. */
    enum Change {
        PHYP_RELEASE_LOOP(CaptureEnvironments.PPC64_PHYP, "Input/output error", "No such file or directory"),
        ZCORE_MEM_CLOSE(CaptureEnvironments.S390X_ZFCPDUMP, "Input/output error", "No data available"),
        FADUMP_RELEASE_MEM(CaptureEnvironments.PPC64LE_FADUMP, "Input/output error", "No such file or directory"),
        REIPL(CaptureEnvironments.S390X_ZFCPDUMP, "No such device", "No data available", "Input/output error"),
        UNMOUNT(CaptureEnvironments.X86_64_KDUMP, "Transport endpoint is not connected", "No such file or directory",
                "Software caused connection abort", "No such device", "Input/output error");

        final CaptureEnvironment profile;
        final Set<String> errnos;

        Change(CaptureEnvironment profile, String... errnos) {
            this.profile = profile;
            this.errnos = Set.of(errnos);
        }
    }

    @ParameterizedTest
    @EnumSource(Change.class)
    void readersGetTheRightBytesOrTheErrnoOfTheNewState(Change change) throws Exception {
        MachineSpec spec = MachineSpec.synthetic(change.profile, 1L << 30, 2, SEED);
        Map<String, VirtualFile> model = CaptureEnvironment.of(MachineFactory.create(spec)).files();
        List<String> paths = new ArrayList<>();
        model.forEach((path, file) -> {
            // The dump files (0400): control files and the mount's own report change by design.
            if ((file.mode() & 0777) == 0400 && !path.startsWith("/.vmcorefs/") && file.size() > 0) {
                paths.add(path);
            }
        });
        Mounted m = Mounted.mount("--profile", change.profile.id(), "--memory", "1G", "--cpus", "2", "--seed",
                Long.toString(SEED));
        boolean closed = false;
        try {
            long pid = m.stats().get("mount").get("pid").asLong();
            int fds = count(Path.of("/proc/" + pid + "/fd"));
            int threads = threads(pid);
            // The state-changer's own zcore/mem handle: its close is the change (any close releases the HSA).
            FileChannel changerMem = change == Change.ZCORE_MEM_CLOSE
                    ? FileChannel.open(m.path("sys/kernel/debug/zcore/mem"), StandardOpenOption.READ) : null;
            AtomicBoolean changed = new AtomicBoolean();
            AtomicLong checked = new AtomicLong();
            Map<String, AtomicLong> errors = new ConcurrentHashMap<>();
            CountDownLatch started = new CountDownLatch(READERS);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(SECONDS);
            ExecutorService pool = Executors.newFixedThreadPool(READERS);
            List<Future<?>> futures = new ArrayList<>();
            for (int r = 0; r < READERS; r++) {
                SplittableRandom random = new SplittableRandom(SEED * 100 + r);
                futures.add(pool.submit(() -> read(m, paths, model, random, deadline, started, changed, change,
                        checked, errors)));
            }
            started.await(30, TimeUnit.SECONDS);
            Thread.sleep(TimeUnit.SECONDS.toMillis(SECONDS) / 3);
            long t0 = System.nanoTime();
            switch (change) {
                case PHYP_RELEASE_LOOP -> releaseLoop(m, deadline, changed);
                case ZCORE_MEM_CLOSE -> {
                    changed.set(true);
                    changerMem.close();
                }
                case FADUMP_RELEASE_MEM -> {
                    changed.set(true);
                    Files.writeString(m.path("sys/kernel/fadump/release_mem"), "1\n");
                }
                case REIPL -> {
                    changed.set(true);
                    Files.writeString(m.path("sys/kernel/debug/zcore/reipl"), "1\n");
                }
                case UNMOUNT -> {
                    changed.set(true);
                    Exec.run(60, Mounted.LAUNCHER.toString(), "unmount", m.root.toString()).ok();
                }
            }
            long changeMillis = (System.nanoTime() - t0) / 1_000_000;
            pool.shutdown();
            assertTrue(pool.awaitTermination(SECONDS + 60, TimeUnit.SECONDS), change + ": readers hung");
            for (Future<?> f : futures) {
                f.get();
            }
            System.out.printf("%s: %d readers checked %d MiB; change took %d ms; errors after it: %s%n", change,
                    READERS, checked.get() >> 20, changeMillis, errors);
            assertTrue(checked.get() > 0, change + ": no bytes checked");
            if (change == Change.UNMOUNT) {
                // Lazily detached while the readers held files; with them closed the daemon must go.
                assertTrue(ProcessHandle.of(pid).map(h -> h.onExit().orTimeout(30, TimeUnit.SECONDS).join() != null)
                        .orElse(true), "the daemon did not end after its unmount");
                assertFalse(Mounted.isMounted(m.root));
            } else {
                // FUSE sends the releases of the readers' closes after the closes return: wait for them a little.
                long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while ((count(Path.of("/proc/" + pid + "/fd")) != fds || threads(pid) > threads)
                        && System.nanoTime() < until) {
                    Thread.sleep(100);
                }
                assertEquals(fds, count(Path.of("/proc/" + pid + "/fd")), change + ": daemon descriptors");
                assertTrue(threads(pid) <= threads, change + ": daemon threads " + threads(pid) + " > " + threads);
                closed = true;
                m.close();
                assertTrue(ProcessHandle.of(pid).map(h -> h.onExit().orTimeout(30, TimeUnit.SECONDS).join() != null)
                        .orElse(true), "the daemon did not end after its unmount");
                assertFalse(Mounted.isMounted(m.root));
            }
        } finally {
            if (!closed) {
                m.close();
            }
        }
    }

    /** phyp's "read, copy, release" loop: release_region's first non-empty pair, 16 MiB at a time, until empty. */
    private static void releaseLoop(Mounted m, long deadline, AtomicBoolean changed) throws IOException {
        Path rr = m.path("sys/kernel/release_region");
        changed.set(true);
        while (true) {
            Matcher p = PAIR.matcher(Files.readString(rr, StandardCharsets.US_ASCII));
            long start = -1;
            long length = 0;
            while (p.find()) {
                long s = Long.parseUnsignedLong(p.group(1), 16);
                long l = Long.parseUnsignedLong(p.group(2), 16);
                if (l != 0) {
                    start = s;
                    length = Math.min(l, 16L << 20);
                    break;
                }
            }
            if (start < 0) {
                return;
            }
            Files.writeString(rr, String.format("0x%x 0x%x\n", start, length));
            assertTrue(System.nanoTime() < deadline + TimeUnit.SECONDS.toNanos(60), "the release loop does not end");
        }
    }

    private static Void read(Mounted m, List<String> paths, Map<String, VirtualFile> model, SplittableRandom random,
            long deadline, CountDownLatch started, AtomicBoolean changed, Change change, AtomicLong checked,
            Map<String, AtomicLong> errors) throws Exception {
        ByteBuffer want = ByteBuffer.allocate(256 << 10);
        ByteBuffer got = ByteBuffer.allocate(256 << 10);
        Map<String, FileChannel> open = new HashMap<>();
        try {
            for (String p : paths) {
                open.put(p, FileChannel.open(m.path(p), StandardOpenOption.READ));
            }
            started.countDown();
            while (System.nanoTime() < deadline) {
                String p = paths.get(random.nextInt(paths.size()));
                VirtualFile f = model.get(p);
                long offset = random.nextLong(f.size());
                int length = 1 + random.nextInt(random.nextBoolean() ? 4096 : 256 << 10);
                want.clear().limit(length);
                got.clear().limit(length);
                boolean after = changed.get();
                int n;
                try {
                    n = f.read(offset, want);
                } catch (DumpException refused) {
                    continue;   // a hole the model refuses too (zcore/mem past memory, ...)
                }
                int k = 0;
                try {
                    FileChannel ch = open.get(p);
                    if (ch == null) {
                        ch = FileChannel.open(m.path(p), StandardOpenOption.READ);
                        open.put(p, ch);
                    }
                    int r;
                    while (got.hasRemaining() && (r = ch.read(got, offset + got.position())) > 0) {
                        k += r;
                    }
                    // Now and then a reader closes and opens again, as a tool that copies file by file does (not
                    // zcore/mem: its close is a state change of its own).
                    if (random.nextInt(64) == 0 && !p.endsWith("zcore/mem")) {
                        open.remove(p).close();
                    }
                } catch (IOException e) {
                    String why = reason(e);
                    assertTrue(after || changed.get(), p + " @" + offset + ": " + why + " before any change");
                    assertTrue(change.errnos.contains(why), p + " @" + offset + ": " + why + " is not an errno of "
                            + change + " " + change.errnos);
                    errors.computeIfAbsent(why, w -> new AtomicLong()).incrementAndGet();
                    FileChannel ch = open.remove(p);
                    if (ch != null) {
                        ch.close();
                    }
                    continue;
                }
                // Bytes came back: they must be the crashed system's as rendered before any change, in full
                // unless the state changed in the middle (then a prefix, the rest refused).
                assertTrue(k == n || k < n && (after || changed.get()), p + " @" + offset + ": " + k + " of " + n);
                byte[] a = new byte[k];
                byte[] b = new byte[k];
                want.flip().get(a);
                got.flip().get(b);
                assertArrayEquals(a, b, p + " @" + offset + " +" + k + (after ? " (after " + change + ")" : ""));
                checked.addAndGet(k);
            }
        } finally {
            for (FileChannel ch : open.values()) {
                try {
                    ch.close();
                } catch (IOException ignored) {
                    // a close after an unmount
                }
            }
        }
        return null;
    }

    /** The strerror text of a failed read or open ("Input/output error"), as the JDK words it. */
    private static String reason(IOException e) {
        if (e instanceof java.nio.file.NoSuchFileException) {
            return "No such file or directory";
        }
        String msg = String.valueOf(e.getMessage());
        return msg.replaceFirst("^.*: ", "");
    }

    /** The daemon's threads, but the JIT's compiler threads, which the JVM starts and stops as it likes. */
    private static int threads(long pid) throws IOException {
        int n = 0;
        try (var s = Files.list(Path.of("/proc/" + pid + "/task"))) {
            for (Path t : (Iterable<Path>) s::iterator) {
                try {
                    if (!Files.readString(t.resolve("comm")).matches("C[12] Compiler.*\\s*")) {
                        n++;
                    }
                } catch (java.nio.file.NoSuchFileException gone) {
                    // a thread that ended meanwhile
                }
            }
        }
        return n;
    }

    private static int count(Path dir) throws IOException {
        try (var s = Files.list(dir)) {
            return (int) s.count();
        }
    }
}
