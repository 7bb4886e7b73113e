package org.vmcorefs.format.view;

import org.vmcorefs.format.MachineFactory;
import org.vmcorefs.format.MachineSpec;
import org.vmcorefs.format.env.CaptureEnvironments;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vmcorefs.machine.Errno;
import org.vmcorefs.machine.memory.FileMemory;
import org.vmcorefs.machine.DumpException;
import org.vmcorefs.machine.Machine;

/**
 * A dump file's ranges that are one run of the replayed file, as a read offers them to its {@link ReadTarget}:
 * the runs name exactly the bytes a read of the view gives, and never bytes that must come through the model
 * (headers, notes, the saved area).
 */
class LayoutFileExtentTest {
    /** A run of a file: {@code length} bytes at {@code offset} of {@code file}. */
    record FileExtent(FileMemory file, long offset, long length) {
    }

    /** A target that takes every run it is offered, and records it; copies go to a heap buffer. */
    static final class Recorder implements ReadTarget {
        FileExtent run;
        ByteBuffer copy;

        @Override
        public boolean takeRun(FileMemory file, long offset, int length) {
            assertNull(run, "one offer per read");
            run = new FileExtent(file, offset, length);
            return true;
        }

        @Override
        public ByteBuffer buffer(int length) {
            assertNull(copy, "one buffer per read");
            copy = ByteBuffer.allocate(length);
            return copy;
        }
    }

    /** The run a read of {@code length} bytes at {@code offset} offers, or null when the read copies instead. */
    static FileExtent fileExtent(VirtualFile f, long offset, int length) throws DumpException {
        Recorder r = new Recorder();
        int n = f.read(offset, length, r);
        assertTrue(r.run == null ^ r.copy == null, "either a run or a copy");
        if (r.run != null) {
            assertEquals(r.run.length(), n, "a taken run is the whole read");
        }
        return r.run;
    }

    /** The same for a layout. */
    static FileExtent fileExtent(Layout layout, long offset, int length) throws DumpException {
        return fileExtent(new LayoutFile(layout, Errno.EIO), offset, length);
    }

    private static final long MIB = 1L << 20;
    private static final long BACKUP_END = 0xa0000;

    @TempDir
    Path tmp;

    private Path randomImage(String name, long size, long seed) throws Exception {
        Path p = tmp.resolve(name);
        byte[] chunk = new byte[(int) MIB];
        SplittableRandom rnd = new SplittableRandom(seed);
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            for (long at = 0; at < size; at += MIB) {
                rnd.nextBytes(chunk);
                ch.write(ByteBuffer.wrap(chunk), at);
            }
        }
        return p;
    }

    private static Machine replay(Path image) throws Exception {
        return MachineFactory.create(MachineSpec.synthetic(CaptureEnvironments.X86_64_KDUMP, 64 * MIB, 1, 1).withImage(image));
    }

    /**
     * Reads random ranges through a target; every run offered must be the view's bytes, and every copy too.
     * Returns how many were offered as runs.
     */
    private static int checkRandomRanges(LayoutFile f, Path image, long seed) throws Exception {
        SplittableRandom rnd = new SplittableRandom(seed);
        int answered = 0;
        try (FileChannel ch = FileChannel.open(image, StandardOpenOption.READ)) {
            for (int i = 0; i < 3000; i++) {
                int length = 1 + rnd.nextInt(256 << 10);
                long offset = rnd.nextLong(f.size() - length);
                ByteBuffer view = ByteBuffer.allocate(length);
                f.read(offset, view);
                Recorder r = new Recorder();
                assertEquals(length, f.read(offset, length, r));
                if (r.run == null) {
                    assertArrayEquals(view.array(), r.copy.array(), "copied: offset " + offset + " length " + length);
                    continue;
                }
                FileExtent e = r.run;
                answered++;
                assertEquals(length, e.length());
                assertEquals(image, e.file().path());
                ByteBuffer file = ByteBuffer.allocate(length);
                ch.read(file, e.offset());
                assertArrayEquals(view.array(), file.array(), "file offset " + offset + " length " + length);
            }
        }
        return answered;
    }

    @Test
    void vmcoreOfARawImageNamesTheImageBytesButNeverTheHeadersOrTheBackup() throws Exception {
        Path image = randomImage("raw.img", 64 * MIB, 11);
        Machine m = replay(image);
        Layout layout = VmcoreView.layout(m);
        LayoutFile vmcore = new LayoutFile(layout, Errno.EIO);
        assertTrue(checkRandomRanges(vmcore, image, 12) > 1000);
        assertNull(fileExtent(vmcore, 0, 64), "the ELF headers are built, not read from the image");
        Layout.Segment low = layout.segments().stream()
                .filter(s -> s.description().startsWith("PT_LOAD paddr 0x0 ")).findFirst().orElseThrow();
        assertNull(fileExtent(vmcore, low.offset(), 4096),
                "the low 640 KiB come through the kexec backup (a saved area, fetched and counted)");
        assertNull(fileExtent(vmcore, low.offset() + BACKUP_END - 4096, 8192), "backup, then image");
        FileExtent after = fileExtent(vmcore, low.offset() + BACKUP_END, 4096);
        assertNotNull(after);
        assertEquals(BACKUP_END, after.offset());
    }

    @Test
    void oldmemIsTheImageOutsideTheCaptureKernel() throws Exception {
        Path image = randomImage("raw.img", 64 * MIB, 13);
        Machine m = replay(image);
        LayoutFile oldmem = new LayoutFile(OldmemView.layout(m), Errno.EINVAL);
        FileExtent e = fileExtent(oldmem, 16 * MIB, 4096);
        assertNotNull(e);
        assertEquals(16 * MIB, e.offset(), "/dev/oldmem offset = physical address = image offset");
        assertNull(fileExtent(oldmem, 0, 4096), "the capture kernel runs in the low 640 KiB now");
        assertTrue(checkRandomRanges(oldmem, image, 14) > 1000);
    }

    @Test
    void aReplayedElfCoreNamesItsSegmentsInTheCoreFile() throws Exception {
        Machine synthetic = MachineFactory.create(MachineSpec.synthetic(CaptureEnvironments.X86_64_KDUMP, 64 * MIB, 2, 21));
        Layout original = VmcoreView.layout(synthetic);
        Path core = tmp.resolve("vmcore");
        try (FileChannel ch = FileChannel.open(core, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.allocate((int) MIB);
            for (long at = 0; at < original.size(); at += b.position()) {
                b.clear();
                original.read(at, b);
                b.flip();
                ch.write(b, at);
                b.position(b.limit());
            }
        }
        LayoutFile vmcore = new LayoutFile(VmcoreView.layout(replay(core)), Errno.EIO);
        assertTrue(checkRandomRanges(vmcore, core, 22) > 1000);
    }

    @Test
    void filesWhoseContentChangesNeverAnswer() throws Exception {
        Path image = randomImage("raw.img", 64 * MIB, 15);
        Layout layout = VmcoreView.layout(replay(image));
        long inside = layout.size() - 8192;
        assertNotNull(fileExtent(new LayoutFile(layout, Errno.EIO), inside, 4096));
        LayoutFile changing = new LayoutFile(layout, Errno.EIO) {
            @Override
            public boolean changes() {
                return true;
            }
        };
        assertNull(fileExtent(changing, inside, 4096), "a file that checks its state on every read must be read");
        FileExtent toTheEnd = fileExtent(layout, inside, 16384);
        assertEquals(8192, toTheEnd.length(), "a read past the end offers only what the file has");
        assertEquals(fileExtent(layout, inside, 8192), toTheEnd);
        assertNull(fileExtent(layout, -1, 10));
        assertNull(fileExtent(layout, layout.size(), 8192), "at the end");
    }
}
