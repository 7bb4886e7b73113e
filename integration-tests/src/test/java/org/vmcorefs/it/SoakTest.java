package org.vmcorefs.it;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.vmcorefs.format.DumpPaths;
import org.vmcorefs.format.MachineFactory;
import org.vmcorefs.format.MachineSpec;
import org.vmcorefs.format.env.CaptureEnvironment;
import org.vmcorefs.format.env.CaptureEnvironments;
import org.vmcorefs.format.view.VirtualFile;
import org.vmcorefs.machine.DumpException;

/**
 * The soak: every profile of {@link CaptureEnvironments#ALL} in turn, mounted with injected saved-area failures
 * and latency, while 8 readers stream every dump file at random offsets and sizes, a churn thread opens, reads
 * and closes files (the opens of the whole run: {@code -Dvmcorefs.soak.opens}, default 100000 under `make soak`)
 * and a controller writes the profile's control files: input the kernel refuses (its errno, nothing changes)
 * all along, and the state changes the profile has (phyp's release loop, zcore/hsa's release and reipl, fadump's
 * release_mem) on a schedule. Every byte read is compared with the in-process rendering of the fault-free
 * machine; every error is counted by errno and must be one the state allows (EIO only as often as the saved
 * area failed, until a state change). The daemon's descriptors must come back to where they were and its RSS
 * stay flat. {@code -Dvmcorefs.soak.seconds} is the time of the whole run, shared by the profiles (`make test`: 18
 * s; `make soak`: SOAK_SECONDS, 600). The figures go to stdout and to integration-tests/target/soak-report.txt.
 */
class SoakTest {
    private static final long TOTAL_SECONDS = Long.getLong("vmcorefs.soak.seconds", 18);
    private static final long TOTAL_OPENS = Long.getLong("vmcorefs.soak.opens", 3000);
    private static final int READERS = 8;
    private static final long SEED = 31;
    private static final String FAIL_RATE = "0.02";
    private static final String LATENCY_US = "20";
    /** RSS may grow this much past its value once warm (the JIT and the heap settle in the first part). */
    private static final long RSS_SLACK_KB = 32 << 10;
    private static final Pattern PAIR = Pattern.compile("0x(\\p{XDigit}+)-0x(\\p{XDigit}+)");

    private static final String EIO = "Input/output error";
    private static final String ENOENT = "No such file or directory";
    private static final String ENODATA = "No data available";
    private static final String ENODEV = "No such device";
    private static final String EINVAL = "Invalid argument";
    private static final String EPERM = "Operation not permitted";

    /** What one profile's soak saw. */
    record Report(String profile, long millis, long reads, long bytesChecked, long opens, long controlWrites,
            Map<String, Long> errors, long wrongBytes, int fdsStart, int fdsEnd, long rssStartKb, long rssWarmKb,
            long rssEndKb, long savedAreaFailures, List<String> problems) {
        String line() {
            return String.format("%-16s %5.1f s  %8d reads  %10.1f MiB checked  %6d opens  %4d control writes  "
                    + "wrong bytes %d  fds %d -> %d  RSS %d / %d / %d MiB (start / warm / end)  saved-area failures %d"
                    + "  errors %s", profile, millis / 1e3, reads, bytesChecked / 1048576.0, opens, controlWrites,
                    wrongBytes, fdsStart, fdsEnd, rssStartKb >> 10, rssWarmKb >> 10, rssEndKb >> 10,
                    savedAreaFailures, errors);
        }
    }

    /** The errnos, as strerror texts, that reads may get once a state change of the profile is under way. */
    private static Set<String> afterChange(Set<String> controls) {
        Set<String> s = new TreeSet<>(Set.of(EIO));
        if (controls.contains(DumpPaths.RELEASE_REGION) || controls.contains(DumpPaths.FADUMP_RELEASE_MEM)) {
            s.add(ENOENT);
        }
        if (controls.contains(DumpPaths.ZCORE_HSA)) {
            s.addAll(List.of(ENODATA, ENODEV));
        }
        return s;
    }

    @Test
    void everyProfileUnderFaultsChurnAndControlWritesReadsRightAndStaysFlat() throws Exception {
        List<CaptureEnvironment> all = CaptureEnvironments.ALL;
        long perMillis = Math.max(2000, TimeUnit.SECONDS.toMillis(TOTAL_SECONDS) / all.size());
        long perOpens = Math.max(1, TOTAL_OPENS / all.size());
        List<Report> reports = new ArrayList<>();
        for (CaptureEnvironment p : all) {
            Report r = soak(p, perMillis, perOpens);
            System.out.println("soak: " + r.line());
            reports.add(r);
        }
        StringBuilder text = new StringBuilder(String.format("vmcorefs soak: %d profiles, %d s each, %d readers, "
                + "saved-area fail rate %s, latency %s us, %d opens per profile%n", all.size(), perMillis / 1000,
                READERS, FAIL_RATE, LATENCY_US, perOpens));
        Map<String, Long> errors = new TreeMap<>();
        long bytes = 0;
        long opens = 0;
        long wrong = 0;
        long writes = 0;
        for (Report r : reports) {
            text.append(r.line()).append('\n');
            r.errors().forEach((k, v) -> errors.merge(k, v, Long::sum));
            bytes += r.bytesChecked();
            opens += r.opens();
            wrong += r.wrongBytes();
            writes += r.controlWrites();
        }
        text.append(String.format("total: %.1f GiB checked, %d wrong bytes, %d opens, %d control writes, errors %s%n",
                bytes / 1073741824.0, wrong, opens, writes, errors));
        System.out.print(text);
        Path report = Mounted.HOME.resolve("integration-tests/target/soak-report.txt");
        Files.createDirectories(report.getParent());
        Files.writeString(report, text);
        List<String> problems = new ArrayList<>();
        for (Report r : reports) {
            r.problems().forEach(x -> problems.add(r.profile() + ": " + x));
            if (r.wrongBytes() != 0) {
                problems.add(r.profile() + ": " + r.wrongBytes() + " wrong bytes");
            }
            if (r.fdsEnd() != r.fdsStart()) {
                problems.add(r.profile() + ": descriptors " + r.fdsStart() + " -> " + r.fdsEnd());
            }
            if (r.rssEndKb() > r.rssWarmKb() + RSS_SLACK_KB) {
                problems.add(r.profile() + ": RSS grew from " + (r.rssWarmKb() >> 10) + " MiB (warm) to "
                        + (r.rssEndKb() >> 10) + " MiB");
            }
            if (r.bytesChecked() == 0 || r.opens() < perOpens) {
                problems.add(r.profile() + ": too little done: " + r.line());
            }
        }
        assertTrue(problems.isEmpty(), String.join("\n", problems));
    }

    private Report soak(CaptureEnvironment profile, long millis, long opensWanted) throws Exception {
        MachineSpec spec = MachineSpec.synthetic(profile, 1L << 30, 3, SEED);
        Map<String, VirtualFile> model = CaptureEnvironment.of(MachineFactory.create(spec)).files();
        List<String> paths = new ArrayList<>();
        Set<String> controls = new TreeSet<>();
        model.forEach((path, file) -> {
            if ((file.mode() & 0777) == 0400 && !path.startsWith(DumpPaths.VMCOREFS + "/") && file.size() > 0) {
                paths.add(path);
            }
            if (List.of(DumpPaths.RELEASE_REGION, DumpPaths.ZCORE_HSA, DumpPaths.ZCORE_REIPL,
                    DumpPaths.FADUMP_RELEASE_MEM, DumpPaths.FADUMP_REGISTERED).contains(path)) {
                controls.add(path);
            }
        });
        Collections.sort(paths);
        Set<String> allowedAfter = afterChange(controls);
        Run run = new Run(model, paths, allowedAfter);
        try (Mounted m = Mounted.mount("--profile", profile.id(), "--memory", "1G", "--cpus", "3", "--seed",
                Long.toString(SEED), "--saved-area-fail-rate", FAIL_RATE, "--saved-area-latency-us", LATENCY_US,
                "--fault-seed", "5")) {
            run.mount = m;
            long pid = m.stats().get("mount").get("pid").asLong();
            int fds0 = fds(pid);
            long rss0 = rssKb(pid);
            long t0 = System.nanoTime();
            long deadline = t0 + TimeUnit.MILLISECONDS.toNanos(millis);
            ExecutorService pool = Executors.newFixedThreadPool(READERS + 1);
            CountDownLatch started = new CountDownLatch(READERS);
            List<Future<?>> futures = new ArrayList<>();
            for (int i = 0; i < READERS; i++) {
                SplittableRandom random = new SplittableRandom(SEED * 1000 + i);
                futures.add(pool.submit(() -> run.reader(random, deadline, started)));
            }
            futures.add(pool.submit(() -> run.churn(new SplittableRandom(SEED), t0, deadline, opensWanted)));
            started.await(60, TimeUnit.SECONDS);
            long rssWarm = run.control(controls, t0, millis, () -> rssKb(pid));
            pool.shutdown();
            if (!pool.awaitTermination(millis / 1000 + 120, TimeUnit.SECONDS)) {
                run.problem("readers or churn hung");
                pool.shutdownNow();
            }
            for (Future<?> f : futures) {
                try {
                    f.get(1, TimeUnit.SECONDS);
                } catch (java.util.concurrent.ExecutionException e) {
                    run.problem("a worker failed: " + e.getCause());
                }
            }
            long spent = (System.nanoTime() - t0) / 1_000_000;
            // FUSE sends the releases of the last closes after they return: give them a moment.
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (fds(pid) != fds0 && System.nanoTime() < until) {
                Thread.sleep(100);
            }
            int fds1 = fds(pid);
            long rss1 = rssKb(pid);
            JsonNode area = m.stats().get("savedArea");
            long failures = area == null || area.isNull() ? 0 : area.get("failures").asLong();
            long eioBefore = run.eioBeforeChange.sum();
            if (eioBefore > failures) {
                run.problem(eioBefore + " EIO before any state change, but only " + failures
                        + " saved-area requests failed");
            }
            Map<String, Long> errors = new TreeMap<>();
            run.errors.forEach((k, v) -> errors.put(k, v.sum()));
            return new Report(profile.id(), spent, run.reads.sum(), run.checked.sum(), run.opens.sum(),
                    run.controlWrites.sum(), errors, run.wrongBytes.sum(), fds0, fds1, rss0, rssWarm, rss1, failures,
                    run.problems());
        }
    }

    /** The shared state of one profile's soak. */
    private static final class Run {
        final Map<String, VirtualFile> model;
        final List<String> paths;
        final Set<String> allowedAfter;
        volatile Mounted mount;
        /** Set just before the controller starts a state change; readers then also accept its errnos. */
        final AtomicBoolean changed = new AtomicBoolean();
        /** zcore/mem is closed by readers only once the HSA is gone (its last close gives the HSA back). */
        final AtomicBoolean hsaGone = new AtomicBoolean();
        final LongAdder reads = new LongAdder();
        final LongAdder checked = new LongAdder();
        final LongAdder opens = new LongAdder();
        final LongAdder controlWrites = new LongAdder();
        final LongAdder wrongBytes = new LongAdder();
        final LongAdder eioBeforeChange = new LongAdder();
        final Map<String, LongAdder> errors = new ConcurrentHashMap<>();
        private final List<String> problems = Collections.synchronizedList(new ArrayList<>());
        private final AtomicLong problemCount = new AtomicLong();

        Run(Map<String, VirtualFile> model, List<String> paths, Set<String> allowedAfter) {
            this.model = model;
            this.paths = paths;
            this.allowedAfter = allowedAfter;
        }

        void problem(String p) {
            if (problemCount.incrementAndGet() <= 20) {
                problems.add(p);
            }
        }

        List<String> problems() {
            List<String> out = new ArrayList<>(problems);
            if (problemCount.get() > 20) {
                out.add("... " + (problemCount.get() - 20) + " more");
            }
            return out;
        }

        /** Counts a failed read or open; checks that the state allows its errno. Returns the errno's text. */
        String failed(String what, IOException e, boolean after) {
            String why = reason(e);
            errors.computeIfAbsent(why, w -> new LongAdder()).increment();
            boolean changedNow = after || changed.get();
            if (why.equals(EIO) && !changedNow) {
                eioBeforeChange.increment(); // injected: checked against the saved area's failures at the end
            } else if (!changedNow) {
                problem(what + ": " + why + " before any state change");
            } else if (!allowedAfter.contains(why)) {
                problem(what + ": " + why + " is not an errno of this profile's state changes " + allowedAfter);
            }
            return why;
        }

        /** Compares the {@code k} bytes read with the model's; counts the wrong ones. */
        void compare(String what, ByteBuffer want, ByteBuffer got, int k) {
            long wrong = 0;
            for (int i = 0; i < k; i++) {
                if (want.get(i) != got.get(i)) {
                    wrong++;
                }
            }
            if (wrong > 0) {
                wrongBytes.add(wrong);
                problem(what + ": " + wrong + " wrong bytes");
            }
            checked.add(k);
        }

        Void reader(SplittableRandom random, long deadline, CountDownLatch started) throws Exception {
            ByteBuffer want = ByteBuffer.allocate(256 << 10);
            ByteBuffer got = ByteBuffer.allocate(256 << 10);
            Map<String, FileChannel> open = new HashMap<>();
            try {
                for (String p : paths) {
                    open.put(p, FileChannel.open(mount.path(p), StandardOpenOption.READ));
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
                        continue; // a hole the model refuses too (zcore/mem between its chunks)
                    }
                    int k = 0;
                    String what = p + " @" + offset + " +" + length;
                    try {
                        FileChannel ch = open.get(p);
                        if (ch == null) {
                            ch = FileChannel.open(mount.path(p), StandardOpenOption.READ);
                            open.put(p, ch);
                            opens.increment();
                        }
                        int r;
                        while (got.hasRemaining() && (r = ch.read(got, offset + got.position())) > 0) {
                            k += r;
                        }
                    } catch (IOException e) {
                        // The bytes before the failed piece are still the machine's.
                        compare(what, want, got, Math.min(k, n));
                        String why = failed(what, e, after);
                        if (!why.equals(EIO)) {
                            // The new state's errno: close and open again later (zcore/mem only once the HSA is gone).
                            FileChannel ch = open.get(p);
                            if (ch != null && (!p.equals(DumpPaths.ZCORE_MEM) || hsaGone.get())) {
                                open.remove(p);
                                closeQuietly(ch);
                            }
                        }
                        continue;
                    }
                    reads.increment();
                    if (k != n && !(k < n && (after || changed.get()))) {
                        problem(what + ": " + k + " of " + n + " bytes");
                    }
                    compare(what, want, got, Math.min(k, n));
                }
            } finally {
                started.countDown();
                for (FileChannel ch : open.values()) {
                    closeQuietly(ch);
                }
            }
            return null;
        }

        /**
         * Opens, reads 4 KiB of and closes a file, {@code wanted} times, spread over the time to the deadline
         * (and past it if still short). zcore/mem only once the HSA is gone: its close gives the HSA back.
         */
        Void churn(SplittableRandom random, long t0, long deadline, long wanted) throws Exception {
            ByteBuffer want = ByteBuffer.allocate(4096);
            ByteBuffer got = ByteBuffer.allocate(4096);
            long done = 0;
            while (done < wanted) {
                long now = System.nanoTime();
                if (now < deadline && done * (deadline - t0) > wanted * (now - t0)) {
                    Thread.sleep(1);
                    continue;
                }
                String p = paths.get(random.nextInt(paths.size()));
                if (p.equals(DumpPaths.ZCORE_MEM) && !hsaGone.get()) {
                    continue;
                }
                VirtualFile f = model.get(p);
                long offset = random.nextLong(f.size());
                want.clear();
                got.clear();
                boolean after = changed.get();
                done++;
                opens.increment();
                int k = 0;
                String what = "churn " + p + " @" + offset;
                try (FileChannel ch = FileChannel.open(mount.path(p), StandardOpenOption.READ)) {
                    int n;
                    try {
                        n = f.read(offset, want);
                    } catch (DumpException refused) {
                        continue;
                    }
                    int r;
                    while (got.hasRemaining() && (r = ch.read(got, offset + got.position())) > 0) {
                        k += r;
                    }
                    reads.increment();
                    if (k != n && !(k < n && (after || changed.get()))) {
                        problem(what + ": " + k + " of " + n + " bytes");
                    }
                    compare(what, want, got, Math.min(k, n));
                } catch (IOException e) {
                    failed(what, e, after);
                }
            }
            return null;
        }

        /**
         * Until the profile's time is up: every 50 ms a write the kernel refuses (checked: its errno, and the
         * file's text unchanged), and the state changes the profile has, each at its moment. Returns the daemon's
         * RSS once warm (at 15% of the time).
         */
        long control(Set<String> controls, long t0, long millis, java.util.concurrent.Callable<Long> rss)
                throws Exception {
            long warm = -1;
            boolean hsaReleased = false;
            boolean reipl = false;
            boolean fadumpReleased = false;
            boolean phypDone = false;
            long nextRelease = 0;
            while (true) {
                long elapsed = (System.nanoTime() - t0) / 1_000_000;
                if (elapsed >= millis) {
                    break;
                }
                if (warm < 0 && elapsed >= millis * 15 / 100) {
                    warm = rss.call();
                }
                if (!reipl) {
                    refusedWrites(controls);
                }
                if (controls.contains(DumpPaths.RELEASE_REGION) && !phypDone && elapsed >= millis / 2
                        && elapsed >= nextRelease) {
                    changed.set(true);
                    // phyp's loop, 16 MiB at a time, spread so that the last release comes at about 85%.
                    phypDone = !releaseNext();
                    nextRelease = elapsed + Math.max(1, millis * 35 / 100 / 64);
                }
                if (controls.contains(DumpPaths.ZCORE_HSA) && !hsaReleased && elapsed >= millis / 2) {
                    changed.set(true);
                    write(DumpPaths.ZCORE_HSA, "0\n", null);
                    hsaReleased = true;
                    hsaGone.set(true);
                }
                if (controls.contains(DumpPaths.ZCORE_REIPL) && !reipl && elapsed >= millis * 80 / 100) {
                    changed.set(true);
                    write(DumpPaths.ZCORE_REIPL, "1\n", null);
                    reipl = true;
                    hsaGone.set(true);
                }
                if (controls.contains(DumpPaths.FADUMP_RELEASE_MEM) && !fadumpReleased
                        && elapsed >= millis * 70 / 100) {
                    changed.set(true);
                    write(DumpPaths.FADUMP_RELEASE_MEM, "1\n", null);
                    fadumpReleased = true;
                }
                Thread.sleep(50);
            }
            return warm < 0 ? rss.call() : warm;
        }

        /** Writes the kernel refuses, each checked for its errno and for the file's text staying as it was. */
        private void refusedWrites(Set<String> controls) throws IOException {
            if (controls.contains(DumpPaths.RELEASE_REGION)) {
                String before = Files.readString(mount.path(DumpPaths.RELEASE_REGION));
                write(DumpPaths.RELEASE_REGION, "0x10000\n", Set.of(EINVAL)); // one number: sscanf reads too few
                String now = Files.readString(mount.path(DumpPaths.RELEASE_REGION));
                if (!now.equals(before) && !changed.get()) {
                    problem("a refused release_region write changed it: " + before.strip() + " -> " + now.strip());
                }
            }
            if (controls.contains(DumpPaths.ZCORE_HSA)) {
                String before = Files.readString(mount.path(DumpPaths.ZCORE_HSA));
                write(DumpPaths.ZCORE_HSA, "1\n", Set.of(EINVAL));
                String now = Files.readString(mount.path(DumpPaths.ZCORE_HSA));
                if (!now.equals(before)) {
                    problem("a refused zcore/hsa write changed it: " + before.strip() + " -> " + now.strip());
                }
            }
            if (controls.contains(DumpPaths.FADUMP_RELEASE_MEM)) {
                write(DumpPaths.FADUMP_RELEASE_MEM, "2\n", changed.get() ? Set.of(EINVAL, EPERM) : Set.of(EINVAL));
            }
            if (controls.contains(DumpPaths.FADUMP_REGISTERED) && !changed.get()) {
                write(DumpPaths.FADUMP_REGISTERED, "1\n", Set.of(EPERM)); // while a dump is active
            }
        }

        /** Writes {@code text} to a control file: it must succeed ({@code refusals} null) or fail with one of them. */
        private void write(String file, String text, Set<String> refusals) {
            controlWrites.increment();
            try {
                Files.writeString(mount.path(file), text, StandardCharsets.US_ASCII);
                if (refusals != null) {
                    problem("'" + text.strip() + "' to " + file + " was accepted; the kernel refuses it " + refusals);
                }
            } catch (IOException e) {
                String why = reason(e);
                errors.computeIfAbsent("control: " + why, w -> new LongAdder()).increment();
                if (refusals == null || !refusals.contains(why)) {
                    problem("'" + text.strip() + "' to " + file + ": " + why
                            + (refusals == null ? "" : ", not " + refusals));
                }
            }
        }

        /** Releases the first 16 MiB still reserved that release_region shows; false when nothing is left. */
        private boolean releaseNext() throws IOException {
            Matcher p = PAIR.matcher(Files.readString(mount.path(DumpPaths.RELEASE_REGION), StandardCharsets.US_ASCII));
            while (p.find()) {
                long s = Long.parseUnsignedLong(p.group(1), 16);
                long l = Long.parseUnsignedLong(p.group(2), 16);
                if (l != 0) {
                    write(DumpPaths.RELEASE_REGION, String.format("0x%x 0x%x\n", s, Math.min(l, 16L << 20)), null);
                    return true;
                }
            }
            return false;
        }
    }

    private static void closeQuietly(FileChannel ch) {
        try {
            ch.close();
        } catch (IOException ignored) {
            // a close after the file went away
        }
    }

    /** The strerror text of a failed read, open or write ("Input/output error"), as the JDK words it. */
    private static String reason(IOException e) {
        if (e instanceof NoSuchFileException) {
            return ENOENT;
        }
        return String.valueOf(e.getMessage()).replaceFirst("^.*: ", "");
    }

    private static int fds(long pid) throws IOException {
        try (var s = Files.list(Path.of("/proc/" + pid + "/fd"))) {
            return (int) s.count();
        }
    }

    /** VmRSS of {@code pid}, in KiB. */
    private static long rssKb(long pid) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("\\D", ""));
            }
        }
        throw new IOException("no VmRSS for " + pid);
    }
}
