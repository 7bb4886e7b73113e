package org.vmcorefs.format;

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
import org.vmcorefs.machine.FileExtent;
import org.vmcorefs.machine.Machine;

/**
 * A dump file's ranges that are one run of the replayed file: the answers name exactly the bytes a read of
 * the view gives, and never bytes that must come through the model (headers, notes, the saved area).
 */
class LayoutFileExtentTest {
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

    /** Reads random ranges; every extent given must be the view's bytes. Returns how many were answered. */
    private static int checkRandomRanges(LayoutFile f, Path image, long seed) throws Exception {
        SplittableRandom rnd = new SplittableRandom(seed);
        int answered = 0;
        try (FileChannel ch = FileChannel.open(image, StandardOpenOption.READ)) {
            for (int i = 0; i < 3000; i++) {
                int length = 1 + rnd.nextInt(256 << 10);
                long offset = rnd.nextLong(f.size() - length);
                FileExtent e = f.fileExtent(offset, length);
                if (e == null) {
                    continue;
                }
                answered++;
                assertEquals(length, e.length());
                assertEquals(image, e.file().path());
                ByteBuffer view = ByteBuffer.allocate(length);
                f.read(offset, view);
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
        assertNull(vmcore.fileExtent(0, 64), "the ELF headers are built, not read from the image");
        Layout.Segment low = layout.segments().stream()
                .filter(s -> s.description().startsWith("PT_LOAD paddr 0x0 ")).findFirst().orElseThrow();
        assertNull(vmcore.fileExtent(low.offset(), 4096),
                "the low 640 KiB come through the kexec backup (a saved area, fetched and counted)");
        assertNull(vmcore.fileExtent(low.offset() + BACKUP_END - 4096, 8192), "backup, then image");
        FileExtent after = vmcore.fileExtent(low.offset() + BACKUP_END, 4096);
        assertNotNull(after);
        assertEquals(BACKUP_END, after.offset());
    }

    @Test
    void oldmemIsTheImageOutsideTheCaptureKernel() throws Exception {
        Path image = randomImage("raw.img", 64 * MIB, 13);
        Machine m = replay(image);
        LayoutFile oldmem = new LayoutFile(OldmemView.layout(m), Errno.EINVAL);
        FileExtent e = oldmem.fileExtent(16 * MIB, 4096);
        assertNotNull(e);
        assertEquals(16 * MIB, e.offset(), "/dev/oldmem offset = physical address = image offset");
        assertNull(oldmem.fileExtent(0, 4096), "the capture kernel runs in the low 640 KiB now");
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
        assertNotNull(new LayoutFile(layout, Errno.EIO).fileExtent(inside, 4096));
        LayoutFile changing = new LayoutFile(layout, Errno.EIO) {
            @Override
            public boolean changes() {
                return true;
            }
        };
        assertNull(changing.fileExtent(inside, 4096), "a file that checks its state on every read must be read");
        assertNull(layout.fileExtent(inside, 16384), "past the end");
        assertNull(layout.fileExtent(-1, 10));
    }
}
