package org.vmcorefs.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;
import org.vmcorefs.format.struct.Elf64Phdr;
import org.vmcorefs.format.input.ElfCoreReader;

/**
 * A raw memory image (offset = physical address) replayed through a mount: every /proc/vmcore segment is
 * the image's bytes at its p_paddr, and /dev/oldmem is the image except the low 640 KiB, which show the
 * capture kernel that runs there.
 */
class RawImageReplayTest {
    private static final long SIZE = 256L << 20;
    private static final long BACKUP_END = 0xa0000;
    private static final int CHUNK = 1 << 20;

    /** The image's 8-byte word at {@code address} (8-aligned): distinct everywhere, never zero. */
    private static long word(long address) {
        return (address + 1) * 0x9e3779b97f4a7c15L ^ 0x766d636f726566L;
    }

    /**
     * By default the image's bytes are handed to the kernel as the image's descriptor and offset (splice);
     * with --no-splice vmcorefs copies them. Both must give the image's bytes, and the counters say which ran.
     */
    @ParameterizedTest(name = "splice {0}")
    @ValueSource(booleans = {true, false})
    void segmentsAndOldmemAreTheImage(boolean splice, @TempDir Path tmp) throws Exception {
        Mounted.requireFuse();
        Path image = tmp.resolve("memory.img");
        try (FileChannel ch = FileChannel.open(image, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.allocate(CHUNK).order(ByteOrder.LITTLE_ENDIAN);
            for (long at = 0; at < SIZE; at += CHUNK) {
                b.clear();
                for (int i = 0; i < CHUNK; i += 8) {
                    b.putLong(i, word(at + i));
                }
                ch.write(b, at);
            }
        }
        String[] options = splice ? new String[] {"--image", image.toString()}
                : new String[] {"--no-splice", "--image", image.toString()};
        try (Mounted m = Mounted.mount(options)) {
            Path vmcore = m.path("proc/vmcore");
            List<Elf64Phdr> loads;
            try (FileChannel ch = FileChannel.open(vmcore, StandardOpenOption.READ)) {
                loads = ElfCoreReader.readHeaders(vmcore, ch).phdrs().stream()
                        .filter(p -> p.type() == Elf64Phdr.PT_LOAD).toList();
            }
            long ramBytes = 0;
            try (FileChannel ch = FileChannel.open(vmcore, StandardOpenOption.READ)) {
                for (Elf64Phdr p : loads) {
                    assertTrue(p.paddr() + p.filesz() <= SIZE, "PT_LOAD inside the image: " + p);
                    assertEquals(0, (p.offset() - p.paddr()) % 4096, "page-aligned chunk: " + p);
                    assertImage(ch, p.offset(), p.paddr(), p.filesz(), "/proc/vmcore PT_LOAD paddr " + p.paddr());
                    if (p.vaddr() - p.paddr() == 0xffff888000000000L) {
                        ramBytes += p.filesz();
                    }
                }
            }
            assertEquals(SIZE, ramBytes, "the linear-map PT_LOADs cover the whole image (no crashkernel)");

            Path oldmem = m.path("dev/oldmem");
            assertEquals(SIZE, Files.size(oldmem));
            try (FileChannel ch = FileChannel.open(oldmem, StandardOpenOption.READ)) {
                assertImage(ch, BACKUP_END, BACKUP_END, SIZE - BACKUP_END, "/dev/oldmem");
                ByteBuffer low = ByteBuffer.allocate((int) BACKUP_END).order(ByteOrder.LITTLE_ENDIAN);
                readFully(ch, low, 0);
                for (int page = 0; page < BACKUP_END; page += 4096) {
                    boolean same = true;
                    for (int i = page; i < page + 4096 && same; i += 8) {
                        same = low.getLong(i) == word(i);
                    }
                    assertTrue(!same, "/dev/oldmem page 0x" + Integer.toHexString(page)
                            + " shows the crashed system, not the capture kernel now running there");
                }
            }
            JsonNode files = m.stats().get("files");
            for (String f : List.of("/proc/vmcore", "/dev/oldmem")) {
                long spliced = files.get(f).get("bytesByDescriptor").asLong();
                long read = files.get(f).get("bytesRead").asLong();
                if (splice) {
                    assertTrue(spliced > read / 2, f + ": most bytes handed over as the image's descriptor: "
                            + spliced + " of " + read);
                } else {
                    assertEquals(0, spliced, f + " with --no-splice");
                }
            }
        }
    }

    /** Bytes [offset, offset + length) of {@code ch} are the image at {@code address}. */
    private static void assertImage(FileChannel ch, long offset, long address, long length, String what)
            throws Exception {
        ByteBuffer b = ByteBuffer.allocate(CHUNK).order(ByteOrder.LITTLE_ENDIAN);
        for (long done = 0; done < length; done += b.limit()) {
            b.clear().limit((int) Math.min(CHUNK, length - done));
            readFully(ch, b, offset + done);
            long at = address + done;
            // Words are 8-aligned in the image; the segments here start 8-aligned too.
            for (int i = 0; i + 8 <= b.limit(); i += 8) {
                if (b.getLong(i) != word(at + i)) {
                    fail(String.format("%s: byte 0x%x (physical 0x%x) is not the image's", what, offset + done + i,
                            at + i));
                }
            }
        }
    }

    private static void readFully(FileChannel ch, ByteBuffer b, long offset) throws Exception {
        int start = b.position();
        while (b.hasRemaining()) {
            if (ch.read(b, offset + b.position() - start) < 0) {
                fail("EOF at " + (offset + b.position() - start));
            }
        }
        b.flip();
    }
}
