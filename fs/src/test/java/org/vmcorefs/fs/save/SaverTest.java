package org.vmcorefs.fs.save;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vmcorefs.format.DumpPaths;
import org.vmcorefs.format.view.VmcoreView;
import org.vmcorefs.format.text.ZcoreMemmapText;
import org.vmcorefs.machine.Architecture;
import org.vmcorefs.machine.memory.SyntheticMemory;

/**
 * The whole save against fake capture environments (plain files in a temporary directory): output equal
 * to the source, and every release made only when the on-disk manifest and output hold what it freed.
 */
class SaverTest {
    private static final long K = 1024;
    private static final long M = 1024 * K;

    @TempDir
    Path dir;

    private final ByteArrayOutputStream messages = new ByteArrayOutputStream();

    /** A release as the fake kernel saw it, with the manifest on disk at that moment. */
    private record Call(String file, String text, Manifest manifestThen, byte[] outputThen) {
    }

    private final List<Call> calls = new ArrayList<>();

    /** What the test interruption throws: the save stops where it is, as a crash would stop it. */
    private static final class Crash extends RuntimeException {
        private static final long serialVersionUID = 1L;
    }

    private Saver saver(FakeRoot root, Path out, Saver.Format format, boolean excludeZero, boolean resume,
            long segmentSize, int failReleaseAt) {
        return saver(root, out, format, excludeZero, resume, segmentSize, failReleaseAt, Saver.Checkpoints.NONE);
    }

    private Saver saver(FakeRoot root, Path out, Saver.Format format, boolean excludeZero, boolean resume,
            long segmentSize, int failReleaseAt, Saver.Checkpoints checkpoints) {
        Saver.Options o = new Saver.Options(root.root, out, format, excludeZero, resume, false, true, true,
                segmentSize, 4, 1);
        return new Saver(o, new PrintStream(messages, true, StandardCharsets.UTF_8), (t, total, done) -> Progress.none(),
                (file, text) -> {
                    try {
                        calls.add(new Call(root.root.relativize(file).toString(), text,
                                Manifest.load(Manifest.pathFor(out)), Files.readAllBytes(out)));
                        if (calls.size() == failReleaseAt) {
                            throw new SourceFile.Failure(file, 0, 22, "write (test: refused)");
                        }
                        SourceFile.writeControl(file, text);
                    } catch (IOException e) {
                        if (e instanceof SourceFile.Failure f) {
                            throw f;
                        }
                        throw new AssertionError(e);
                    }
                }, checkpoints);
    }

    private FakeRoot root(String name) throws IOException {
        return new FakeRoot(Files.createDirectories(dir.resolve(name)));
    }

    /** Every dependency of the release was done on disk, and its bytes were in the output, when it was made. */
    private static void assertSavedBeforeRelease(Call c, byte[] expected) throws Exception {
        Manifest m = c.manifestThen;
        Manifest.Release r = m.releases.stream().filter(x -> x.text.equals(c.text) && x.file.equals(c.file))
                .findFirst().orElseThrow();
        assertEquals(Manifest.State.started, r.state, "recorded as under way before the write");
        for (int i : r.dependsOn) {
            Manifest.Segment s = m.segments.get(i);
            assertEquals(Manifest.State.done, s.state, c.text.strip() + " before segment " + s + " was done");
            int from = (int) s.offset;
            int to = (int) Math.min(s.end(), expected.length);
            assertArrayEquals(Arrays.copyOfRange(expected, from, to), Arrays.copyOfRange(c.outputThen, from, to),
                    "bytes of " + s + " on disk before " + c.text.strip());
        }
    }

    @Test
    void kdumpOutputIsTheVmcoreAndSparseWithExcludeZero() throws Exception {
        FakeRoot r = root("kdump");
        byte[] vmcore = r.vmcore(Architecture.X86_64, List.of(new VmcoreView.Load(0xffff888000100000L, M, 3 * M)),
                new SyntheticMemory(5, 0.5), 1);
        Path out = dir.resolve("kdump.vmcore");
        Saver.Result res = saver(r, out, Saver.Format.elf, false, false, M, 0).run();
        assertEquals(Mechanism.KDUMP, res.mechanism());
        assertArrayEquals(vmcore, Files.readAllBytes(out));
        assertTrue(Manifest.load(Manifest.pathFor(out)).segments.stream().allMatch(s -> s.state == Manifest.State.done));
        assertTrue(calls.isEmpty());

        Path sparse = dir.resolve("kdump-sparse.vmcore");
        saver(r, sparse, Saver.Format.elf, true, false, M, 0).run();
        assertArrayEquals(vmcore, Files.readAllBytes(sparse));
        long zeroPages = 0;
        for (int p = 0; p + 4096 <= vmcore.length; p += 4096) {
            if (Arrays.equals(vmcore, p, p + 4096, new byte[4096], 0, 4096)) {
                zeroPages++;
            }
        }
        assertTrue(zeroPages > 100, "the memory has zero pages: " + zeroPages);
        assertTrue(SourceFile.diskUsage(sparse) <= vmcore.length - (zeroPages - 16) * 4096,
                "disk " + SourceFile.diskUsage(sparse) + " of " + vmcore.length);
    }

    @Test
    void s390ReleasesTheHsaRightAfterTheLowMemoryIsOnDiskThenCopiesTheRest() throws Exception {
        FakeRoot r = root("s390");
        byte[] vmcore = r.vmcore(Architecture.S390X, List.of(new VmcoreView.Load(0, 0, 6 * M)),
                new SyntheticMemory(8, 1.0), 1);
        r.write(DumpPaths.ZCORE_HSA, "180000\n"); // 1.5 MiB
        Path out = dir.resolve("s390.vmcore");
        saver(r, out, Saver.Format.elf, false, false, M, 0).run();
        assertArrayEquals(vmcore, Files.readAllBytes(out));
        assertEquals(1, calls.size());
        Call c = calls.get(0);
        assertEquals("sys/kernel/debug/zcore/hsa", c.file);
        assertEquals("0\n", c.text);
        assertSavedBeforeRelease(c, vmcore);
        // Early: everything above the HSA was still to be copied when it was released.
        long pendingThen = c.manifestThen.segments.stream().filter(s -> s.state == Manifest.State.pending).count();
        assertTrue(pendingThen >= 4, "segments above the HSA copied after its release: " + pendingThen);
        assertEquals("0\n", Files.readString(r.path(DumpPaths.ZCORE_HSA)).substring(0, 2));
    }

    @Test
    void aReleaseUnderWayWhenTheSaveStoppedIsMadeOnResumeOnlyIfTheControlFileShowsItStillToDo() throws Exception {
        for (Saver.Phase at : List.of(Saver.Phase.release, Saver.Phase.released)) {
            calls.clear();
            messages.reset();
            FakeRoot r = root("s390-" + at);
            byte[] vmcore = r.vmcore(Architecture.S390X, List.of(new VmcoreView.Load(0, 0, 6 * M)),
                    new SyntheticMemory(8, 1.0), 1);
            r.write(DumpPaths.ZCORE_HSA, "180000\n");
            Path out = dir.resolve("s390-" + at + ".vmcore");
            assertThrows(Crash.class, () -> saver(r, out, Saver.Format.elf, false, false, M, 0, (phase, what) -> {
                if (phase == at) {
                    throw new Crash();
                }
            }).run());
            assertEquals(at == Saver.Phase.release ? 0 : 1, calls.size(), at.toString());
            assertEquals(Manifest.State.started, Manifest.load(Manifest.pathFor(out)).releases.get(0).state);
            if (at == Saver.Phase.released) {
                r.write(DumpPaths.ZCORE_HSA, "0\n"); // what the kernel's zcore/hsa reads once released
            }
            saver(r, out, Saver.Format.elf, false, true, M, 0).run();
            assertEquals(1, calls.size(), at + ": the HSA released once in all");
            assertArrayEquals(vmcore, Files.readAllBytes(out));
            String said = messages.toString(StandardCharsets.UTF_8);
            assertTrue(said.contains(at == Saver.Phase.release ? "still reserved: making it" : "not repeating it"),
                    said);
        }
    }

    @Test
    void s390FormatIsZcoreMemWithAnEndMarkerAndReleasesTheHsaOnlyAtTheEnd() throws Exception {
        FakeRoot r = root("s390fmt");
        long tod = org.vmcorefs.format.struct.S390DumpHeader.TOD_UNIX_EPOCH + (1767225600L * 1_000_000L << 12);
        byte[] mem = r.zcoreMem(new SyntheticMemory(3, 1.0), 4 * M, tod);
        r.write(DumpPaths.ZCORE_HSA, "100000\n");
        Path out = dir.resolve("dump.s390");
        saver(r, out, Saver.Format.s390, false, false, M, 0).run();
        byte[] saved = Files.readAllBytes(out);
        assertEquals(mem.length + 16, saved.length);
        // Memory as it is; the header as zgetdump writes it: mem_size = mem_end = the bytes that follow.
        assertArrayEquals(Arrays.copyOfRange(mem, 4096, mem.length), Arrays.copyOfRange(saved, 4096, mem.length));
        org.vmcorefs.format.struct.S390DumpHeader h = org.vmcorefs.format.struct.S390DumpHeader.readFrom(ByteBuffer.wrap(saved));
        assertEquals(4 * M, h.memSize());
        assertEquals(4 * M, h.memEnd());
        assertEquals(tod, h.tod());
        assertEquals("DUMP_END", new String(saved, mem.length, 8, StandardCharsets.US_ASCII));
        long end = ByteBuffer.wrap(saved, mem.length + 8, 8).order(ByteOrder.BIG_ENDIAN).getLong();
        assertTrue(Long.compareUnsigned(end, tod) >= 0, "end TOD not before the start TOD");
        assertEquals(1, calls.size());
        Manifest then = calls.get(0).manifestThen;
        assertTrue(then.segments.stream().allMatch(s -> s.state == Manifest.State.done),
                "zcore/mem is unreadable once the HSA is gone: released after everything");
        // Its last close gives the HSA back anyway: the HSA part (header, [0, 1M)) is copied first.
        assertEquals(0, then.segments.get(0).offset);
        assertEquals(4096, then.segments.get(1).offset);
        assertEquals(M, then.segments.get(1).length);
        assertThrows(SaveException.class, () -> saver(root("kd2"), dir.resolve("x"), Saver.Format.s390, false, false,
                M, 0).run());
    }

    @Test
    void s390FormatFollowsZcoreMemmapAndWritesItsHolesAsZeros() throws Exception {
        FakeRoot r = root("s390holes");
        long tod = org.vmcorefs.format.struct.S390DumpHeader.TOD_UNIX_EPOCH;
        byte[] mem = r.zcoreMem(new SyntheticMemory(3, 1.0), 6 * M, tod); // the hole [2M, 4M) reads as data here
        r.write(DumpPaths.ZCORE_MEMMAP, String.format("%016x %016x %016x %016x ", 0, 2 * M, 4 * M, 2 * M));
        r.write(DumpPaths.ZCORE_HSA, "100000\n");
        Path out = dir.resolve("holes.s390");
        saver(r, out, Saver.Format.s390, false, false, M, 0).run();
        byte[] saved = Files.readAllBytes(out);
        assertEquals(4096 + 6 * M + 16, saved.length);
        assertArrayEquals(Arrays.copyOfRange(mem, 4096, 4096 + (int) (2 * M)), Arrays.copyOfRange(saved, 4096, 4096 + (int) (2 * M)));
        assertArrayEquals(new byte[(int) (2 * M)], Arrays.copyOfRange(saved, 4096 + (int) (2 * M), 4096 + (int) (4 * M)));
        assertArrayEquals(Arrays.copyOfRange(mem, 4096 + (int) (4 * M), mem.length),
                Arrays.copyOfRange(saved, 4096 + (int) (4 * M), mem.length));
        assertEquals(List.of(new org.vmcorefs.machine.MemoryRange(0, 2 * M), new org.vmcorefs.machine.MemoryRange(4 * M, 2 * M)),
                ZcoreMemmapText.parse(Files.readString(r.path(DumpPaths.ZCORE_MEMMAP))));
    }

    @Test
    void phypReleasesEachChunkOnlyOnceSavedAndAResumeAfterARefusedReleaseFinishes() throws Exception {
        FakeRoot r = root("phyp");
        byte[] vmcore = r.vmcore(Architecture.PPC64, List.of(new VmcoreView.Load(0xc000000000000000L, 0, 4 * M),
                new VmcoreView.Load(0xc000000000800000L, 8 * M, 8 * M)), new SyntheticMemory(4, 1.0), 1);
        r.write(DumpPaths.RELEASE_REGION, "CPU:0x1000000-0x10000: HPTE:0x1010000-0x1000: "
                + "DUMP:0x1011000-0x400000, 0x400000-0xc00000:\n");
        Path out = dir.resolve("phyp.vmcore");
        SaveException e = assertThrows(SaveException.class,
                () -> saver(r, out, Saver.Format.elf, false, false, M, 6).run());
        assertEquals(SaveException.RELEASE_FAILED, e.exitCode());
        Manifest stopped = Manifest.load(Manifest.pathFor(out));
        assertTrue(stopped.segments.stream().anyMatch(s -> s.state == Manifest.State.pending));
        assertEquals(5, stopped.releases.stream().filter(x -> x.state == Manifest.State.done).count());

        saver(r, out, Saver.Format.elf, false, true, M, 0).run();
        assertArrayEquals(vmcore, Files.readAllBytes(out));
        for (Call c : calls) {
            assertEquals("sys/kernel/release_region", c.file);
            assertSavedBeforeRelease(c, vmcore);
        }
        // Each range released once (the refused one tried twice); the reserved range exactly covered.
        List<String> texts = calls.stream().map(Call::text).toList();
        assertEquals(calls.size() - 1, texts.stream().distinct().count());
        long reserved = 0;
        for (String t : texts.stream().distinct().toList()) {
            String[] f = t.strip().split(" ");
            long start = Long.decode(f[0]);
            if (start >= 4 * M && start < 16 * M) {
                reserved += Long.decode(f[1]);
            }
        }
        assertEquals(12 * M, reserved);
        assertTrue(Manifest.load(Manifest.pathFor(out)).releases.stream().allMatch(x -> x.state == Manifest.State.done));
    }

    @Test
    void resumeRecopiesACorruptedSegmentAndRefusesAnotherDump() throws Exception {
        FakeRoot r = root("resume");
        List<VmcoreView.Load> loads = List.of(new VmcoreView.Load(0xffff888000000000L, 0, 4 * M));
        byte[] vmcore = r.vmcore(Architecture.X86_64, loads, new SyntheticMemory(6, 1.0), 1);
        Path out = dir.resolve("resume.vmcore");
        saver(r, out, Saver.Format.elf, false, false, M, 0).run();
        // Damage one byte of the third segment and mark the last one pending, as an interrupted save leaves it.
        Manifest m = Manifest.load(Manifest.pathFor(out));
        try (RandomAccessFile f = new RandomAccessFile(out.toFile(), "rw")) {
            f.seek(m.segments.get(2).offset + 10);
            f.write(~vmcore[(int) m.segments.get(2).offset + 10]);
            f.seek(m.segments.get(4).offset);
            f.write(new byte[(int) m.segments.get(4).length]);
        }
        m.segments.get(4).state = Manifest.State.pending;
        m.store(Manifest.pathFor(out));
        saver(r, out, Saver.Format.elf, false, true, M, 0).run();
        assertArrayEquals(vmcore, Files.readAllBytes(out));
        assertTrue(messages.toString(StandardCharsets.UTF_8).contains("copying it again"));

        // Another dump (other registers in its notes) of the same size: refused.
        r.vmcore(Architecture.X86_64, loads, new SyntheticMemory(6, 1.0), 2);
        m = Manifest.load(Manifest.pathFor(out));
        m.segments.get(1).state = Manifest.State.pending;
        m.store(Manifest.pathFor(out));
        SaveException e = assertThrows(SaveException.class,
                () -> saver(r, out, Saver.Format.elf, false, true, M, 0).run());
        assertEquals(SaveException.RESUME_REFUSED, e.exitCode());
        assertTrue(e.getMessage().contains("another dump"), e.getMessage());
        // Without --resume an existing output is not overwritten.
        assertEquals(SaveException.RESUME_REFUSED, assertThrows(SaveException.class,
                () -> saver(r, out, Saver.Format.elf, false, false, M, 0).run()).exitCode());
    }

    @Test
    void aPermanentReadErrorStopsWithFileOffsetAndErrnoAndReleasesNothing() throws Exception {
        FakeRoot r = root("permanent");
        Files.createDirectories(r.path(DumpPaths.VMCORE)); // reads give EISDIR: not worth retrying
        r.write(DumpPaths.ZCORE_HSA, "100000\n");
        SaveException e = assertThrows(SaveException.class,
                () -> saver(r, dir.resolve("p.vmcore"), Saver.Format.elf, false, false, M, 0).run());
        assertEquals(SaveException.READ_FAILED, e.exitCode());
        assertTrue(e.getMessage().contains(r.path(DumpPaths.VMCORE).toString()), e.getMessage());
        assertTrue(e.getMessage().contains("EISDIR"), e.getMessage());
        assertTrue(e.getMessage().contains("offset 0"), e.getMessage());
        assertTrue(calls.isEmpty());
        assertEquals("100000\n", Files.readString(r.path(DumpPaths.ZCORE_HSA)));
    }

    @Test
    void mechanismsAreToldApartByTheirFiles() throws Exception {
        FakeRoot r = root("detect");
        assertEquals(SaveException.NO_DUMP, assertThrows(SaveException.class, () -> Mechanism.detect(r.root)).exitCode());
        r.write(DumpPaths.VMCORE, new byte[1]);
        assertEquals(Mechanism.KDUMP, Mechanism.detect(r.root));
        Files.createDirectories(r.path(DumpPaths.FADUMP));
        assertEquals(Mechanism.FADUMP, Mechanism.detect(r.root));
        r.write(DumpPaths.RELEASE_REGION, "x");
        assertEquals(Mechanism.PHYP, Mechanism.detect(r.root));
        Files.createDirectories(r.path(DumpPaths.ZCORE));
        assertEquals(Mechanism.S390_ZFCPDUMP, Mechanism.detect(r.root));
    }

    @Test
    void aSaveStoppedInASegmentAtACheckpointKeepsTheSegmentsBeforeItAndResumesIntoTheSameFile()
            throws Exception {
        FakeRoot r = root("interrupted");
        byte[] vmcore = r.vmcore(Architecture.X86_64, List.of(new VmcoreView.Load(0xffff888000000000L, 0, 6 * M)),
                new SyntheticMemory(9, 1.0), 1);
        Path out = dir.resolve("interrupted.vmcore");
        List<String> told = new ArrayList<>();
        assertThrows(Crash.class, () -> saver(r, out, Saver.Format.elf, false, false, 2 * M, 0, (phase, what) -> {
            told.add(phase + " " + what);
            if (told.size() == 7) {
                throw new Crash(); // in the third segment, after its first part
            }
        }).run());
        // Each segment: its first part written, its fsync next, then done; then the verify of each at the end.
        assertEquals(List.of("part [0x0, +0x2000) copy", "fsync [0x0, +0x2000) copy", "segment [0x0, +0x2000) copy",
                "part [0x2000, +0x200000) copy", "fsync [0x2000, +0x200000) copy", "segment [0x2000, +0x200000) copy",
                "part [0x202000, +0x200000) copy"), told);
        Manifest stopped = Manifest.load(Manifest.pathFor(out));
        assertEquals(2, stopped.segments.stream().filter(s -> s.state == Manifest.State.done).count());
        told.clear();
        saver(r, out, Saver.Format.elf, false, true, 2 * M, 0, (phase, what) -> told.add(phase.name())).run();
        assertTrue(messages.toString(StandardCharsets.UTF_8).contains("2 done segments verified"),
                messages.toString(StandardCharsets.UTF_8));
        assertEquals(List.of("part", "fsync", "segment", "part", "fsync", "segment", "verify", "verify", "verify",
                "verify"), told.subList(0, 10));
        assertArrayEquals(vmcore, Files.readAllBytes(out));
    }

    @Test
    void controlFilesThatDoNotReadAsTheKernelWritesThemStopTheSaveNamingTheFile() throws Exception {
        FakeRoot r = root("badtext");
        r.vmcore(Architecture.S390X, List.of(new VmcoreView.Load(0, 0, 2 * M)), new SyntheticMemory(8, 1.0), 1);
        r.write(DumpPaths.ZCORE_HSA, "0x100000\n");
        SaveException e = assertThrows(SaveException.class,
                () -> saver(r, dir.resolve("bad.vmcore"), Saver.Format.elf, false, false, M, 0).run());
        assertEquals(SaveException.BAD_DUMP, e.exitCode());
        assertTrue(e.getMessage().startsWith(r.path(DumpPaths.ZCORE_HSA) + ": "), e.getMessage());
        assertTrue(calls.isEmpty());

        FakeRoot z = root("badzeros");
        z.vmcore(Architecture.X86_64, List.of(new VmcoreView.Load(0xffff888000000000L, 0, 2 * M)),
                new SyntheticMemory(8, 1.0), 1);
        z.write(DumpPaths.ZERO_RANGES, "1000 200000\n0x3000 1000\n");
        e = assertThrows(SaveException.class,
                () -> saver(z, dir.resolve("badzeros.vmcore"), Saver.Format.elf, true, false, M, 0).run());
        assertEquals(SaveException.READ_FAILED, e.exitCode());
        assertTrue(e.getMessage().startsWith(z.path(DumpPaths.ZERO_RANGES) + ": zero-ranges: line 2"), e.getMessage());
    }
}
