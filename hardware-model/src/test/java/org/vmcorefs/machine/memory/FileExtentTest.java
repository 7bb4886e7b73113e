package org.vmcorefs.machine.memory;

import org.vmcorefs.machine.DumpException;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Which ranges of a memory are one run of a backing file, as {@link PhysicalMemory#resolve} tells: every answer
 * must name exactly the bytes a read gives, and a range that mixes sources, or sources that are not files, has
 * no answer.
 */
class FileExtentTest {
    /** A run of a file: {@code length} bytes at {@code offset} of {@code file}. */
    record FileExtent(FileMemory file, long offset, long length) {
    }

    /** The one run of a file holding all of the range, or null: a range of one piece whose leaf is a file. */
    static FileExtent fileExtent(PhysicalMemory m, long address, long length) {
        List<FileExtent> pieces = new ArrayList<>();
        m.resolve(address, length, (a, n, leaf, leafAddress) -> pieces.add(
                leaf instanceof FileMemory f && leafAddress >= 0 ? new FileExtent(f, leafAddress, n) : null));
        return pieces.size() == 1 ? pieces.get(0) : null;
    }

    private static final int SPACE = 1 << 16;

    @TempDir
    Path tmp;

    private FileMemory file(String name, long seed) throws Exception {
        byte[] bytes = new byte[SPACE];
        new SplittableRandom(seed).nextBytes(bytes);
        Path p = tmp.resolve(name);
        Files.write(p, bytes);
        return new FileMemory(p, FileChannel.open(p, StandardOpenOption.READ));
    }

    private static byte[] read(PhysicalMemory m, long address, int length) throws DumpException {
        ByteBuffer b = ByteBuffer.allocate(length);
        m.read(address, b);
        return b.array();
    }

    private static byte[] readFile(FileExtent e) throws Exception {
        ByteBuffer b = ByteBuffer.allocate((int) e.length());
        e.file().channel().read(b, e.offset());
        return b.array();
    }

    @Test
    void fileMemoryIsOneRunEverywhereAndKnowsItsFile() throws Exception {
        FileMemory f = file("a", 1);
        assertEquals(new FileExtent(f, 100, 50), fileExtent(f, 100, 50));
        assertNotNull(f.fileKey(), "the file's identity is recorded when it is opened");
        assertEquals(Files.readAttributes(f.path(), java.nio.file.attribute.BasicFileAttributes.class).fileKey(),
                f.fileKey());
    }

    @Test
    void layeredMemoryAnswersOnlyInsideOneFileBackedExtentOrFileBackground() throws Exception {
        FileMemory a = file("a", 1);
        FileMemory bg = file("bg", 2);
        LayeredMemory m = LayeredMemory.over(bg)
                .put(0x1000, 0x2000, a, 0x5000)
                .put(0x3000, 0x1000, new BytesMemory(new byte[0x1000]), 0)
                .build();
        assertEquals(new FileExtent(a, 0x5800, 0x100), fileExtent(m, 0x1800, 0x100));
        assertEquals(new FileExtent(a, 0x5000, 0x2000), fileExtent(m, 0x1000, 0x2000), "the whole extent");
        assertNull(fileExtent(m, 0x2f00, 0x200), "runs from the file into bytes that are not a file");
        assertNull(fileExtent(m, 0x3000, 0x10), "bytes memory is no file");
        assertEquals(new FileExtent(bg, 0x800, 0x100), fileExtent(m, 0x800, 0x100), "the background is a file");
        assertNull(fileExtent(m, 0xf00, 0x200), "background, then an extent of another file");
        assertEquals(new FileExtent(bg, 0x4000, 0x1000), fileExtent(m, 0x4000, 0x1000), "after the last extent");
        assertNull(fileExtent(LayeredMemory.over(PhysicalMemory.ZEROS).build(), 0, 10), "zeros are no file");
    }

    @Test
    void everyAnswerNamesExactlyTheBytesARandomReadGives() throws Exception {
        FileMemory a = file("a", 3);
        FileMemory b = file("b", 4);
        SplittableRandom rnd = new SplittableRandom(5);
        LayeredMemory.Builder builder = LayeredMemory.over(b);
        for (int i = 0; i < 12; i++) {
            long start = rnd.nextInt(SPACE - 0x1000);
            builder.put(start, 1 + rnd.nextInt(0x1000), i % 3 == 0 ? new BytesMemory(new byte[0x1000]) : a,
                    rnd.nextInt(SPACE - 0x1000));
        }
        LayeredMemory m = builder.build();
        int answered = 0;
        for (int i = 0; i < 5000; i++) {
            int length = 1 + rnd.nextInt(0x800);
            long address = rnd.nextInt(SPACE - length);
            FileExtent e = fileExtent(m, address, length);
            if (e != null) {
                answered++;
                assertEquals(length, e.length());
                assertArrayEquals(read(m, address, length), readFile(e), "extent " + e + " for " + address);
            }
        }
        assertEquals(true, answered > 1000, "most ranges lie in one file: " + answered);
    }
}
