package org.vmcorefs.fs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.kenai.jffi.MemoryIO;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.SplittableRandom;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vmcorefs.format.env.CaptureEnvironment;
import org.vmcorefs.format.env.CaptureEnvironments;
import org.vmcorefs.format.DumpPaths;
import org.vmcorefs.format.view.DumpTree;
import org.vmcorefs.format.MachineFactory;
import org.vmcorefs.format.MachineSpec;
import org.vmcorefs.format.view.VirtualFile;
import ru.serce.jnrfuse.struct.FuseFileInfo;

/**
 * The adapter's read_buf, called as libfuse calls it, without a mount: it answers with the bytes of the file
 * (copied, or named in the backing file) and allocates nothing on the Java heap once warm.
 */
class ReadPathAllocationTest {
    private static final long MIB = 1L << 20;
    private static final int READ = 128 << 10;
    private static final MemoryIO IO = MemoryIO.getInstance();
    // struct fuse_bufvec / fuse_buf offsets on LP64 (see ReadBuffers).
    private static final int BUF_SIZE = 24;
    private static final int BUF_FLAGS = 32;
    private static final int BUF_MEM = 40;
    private static final int BUF_POS = 56;

    @TempDir
    Path tmp;

    private final Pointer bufp = Runtime.getSystemRuntime().getMemoryManager().allocateDirect(8, true);
    private final FuseFileInfo fi = FuseFileInfo.of(Runtime.getSystemRuntime().getMemoryManager()
            .allocateDirect(128, true));

    /** What one read_buf answered: the bytes (read from the bufvec's memory or the named file) and how. */
    private record Answer(byte[] bytes, boolean byDescriptor, long pos) {
    }

    /** Calls read_buf, takes the bufvec as libfuse would, and frees it. */
    private Answer readBuf(VmcoreFs fs, String path, long offset, int size, FileChannel image) throws Exception {
        assertEquals(0, fs.read_buf(path, bufp, size, offset, fi));
        long v = bufp.getAddress(0);
        long n = IO.getLong(v + BUF_SIZE);
        byte[] bytes = new byte[(int) n];
        long mem = IO.getAddress(v + BUF_MEM);
        boolean byDescriptor = (IO.getInt(v + BUF_FLAGS) & 2) != 0;
        long pos = IO.getLong(v + BUF_POS);
        if (byDescriptor) {
            image.read(ByteBuffer.wrap(bytes), pos);
        } else {
            IO.getByteArray(mem, bytes, 0, bytes.length);
            IO.freeMemory(mem);
        }
        IO.freeMemory(v);
        return new Answer(bytes, byDescriptor, pos);
    }

    /** read_buf without looking at the answer, freeing it as libfuse would. */
    private void readAndFree(VmcoreFs fs, String path, long offset, int size) {
        fs.read_buf(path, bufp, size, offset, fi);
        long v = bufp.getAddress(0);
        long mem = IO.getAddress(v + BUF_MEM);
        if (mem != 0) {
            IO.freeMemory(mem);
        }
        IO.freeMemory(v);
    }

    /** Heap bytes this thread allocates over {@code reads} reads at successive offsets, after as many to warm up. */
    private long allocatedBytes(VmcoreFs fs, String path, long size, int reads) {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long offset = 0;
        for (int i = 0; i < reads; i++) {
            readAndFree(fs, path, offset, READ);
            offset = (offset + 7 * READ) % (size - READ);
        }
        long before = threads.getCurrentThreadAllocatedBytes();
        for (int i = 0; i < reads; i++) {
            readAndFree(fs, path, offset, READ);
            offset = (offset + 7 * READ) % (size - READ);
        }
        return threads.getCurrentThreadAllocatedBytes() - before;
    }

    private static byte[] plainRead(VirtualFile f, long offset, int size) throws Exception {
        ByteBuffer b = ByteBuffer.allocate(size);
        f.read(offset, b);
        return java.util.Arrays.copyOf(b.array(), b.position());
    }

    @Test
    void copiedReadsOfASyntheticMachineAllocateNothing() throws Exception {
        DumpTree tree = CaptureEnvironment.of(MachineFactory.create(
                MachineSpec.synthetic(CaptureEnvironments.X86_64_KDUMP, 256 * MIB, 2, 1)));
        VmcoreFs fs = new VmcoreFs(tree, new MountStats(), 0, 0, false, new ReadBuffers(true));
        for (String path : new String[] {DumpPaths.VMCORE, DumpPaths.OLDMEM}) {
            VirtualFile f = tree.file(path);
            for (long offset : new long[] {0, 4096, f.size() / 2 + 17, f.size() - 1000, f.size()}) {
                Answer a = readBuf(fs, path, offset, READ, null);
                assertArrayEquals(plainRead(f, offset, READ), a.bytes(), path + " at " + offset);
            }
            long allocated = allocatedBytes(fs, path, f.size(), 20_000);
            assertTrue(allocated < 4096, path + ": " + allocated + " bytes allocated in 20000 reads");
        }
        fs.destroy(null);
    }

    @Test
    void readsOfAReplayedImageNameItAndAllocateNothing() throws Exception {
        Path image = tmp.resolve("raw.img");
        byte[] chunk = new byte[(int) MIB];
        SplittableRandom rnd = new SplittableRandom(3);
        try (FileChannel ch = FileChannel.open(image, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            for (long at = 0; at < 64 * MIB; at += MIB) {
                rnd.nextBytes(chunk);
                ch.write(ByteBuffer.wrap(chunk), at);
            }
        }
        DumpTree tree = CaptureEnvironment.of(MachineFactory.create(
                MachineSpec.synthetic(CaptureEnvironments.X86_64_KDUMP, 64 * MIB, 1, 1).withImage(image)));
        MountStats stats = new MountStats();
        VmcoreFs fs = new VmcoreFs(tree, stats, 0, 0, false, new ReadBuffers(true));
        VirtualFile oldmem = tree.file(DumpPaths.OLDMEM);
        try (FileChannel ch = FileChannel.open(image, StandardOpenOption.READ)) {
            Answer a = readBuf(fs, DumpPaths.OLDMEM, 16 * MIB, READ, ch);
            assertTrue(a.byDescriptor(), "image bytes are named in the image");
            assertEquals(16 * MIB, a.pos());
            assertArrayEquals(plainRead(oldmem, 16 * MIB, READ), a.bytes());
            Answer low = readBuf(fs, DumpPaths.OLDMEM, 0, READ, ch);
            assertTrue(!low.byDescriptor(), "the capture kernel's low memory is copied");
            assertArrayEquals(plainRead(oldmem, 0, READ), low.bytes());
        }
        assertEquals((long) READ, stats.snapshot().get(DumpPaths.OLDMEM).get("bytesByDescriptor"));
        long allocated = allocatedBytes(fs, DumpPaths.OLDMEM, oldmem.size(), 20_000);
        assertTrue(allocated < 4096, allocated + " bytes allocated in 20000 reads");
        fs.destroy(null);
    }
}
