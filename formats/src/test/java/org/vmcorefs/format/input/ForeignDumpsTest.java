package org.vmcorefs.format.input;

import org.vmcorefs.format.FormatException;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ForeignDumpsTest {
    @TempDir
    Path tmp;

    private static ByteBuffer head(String s) {
        return ByteBuffer.wrap(s.getBytes(StandardCharsets.ISO_8859_1));
    }

    /** The refusal of a file starting with {@code start}. */
    private String refusal(InputFormat format, String start) throws Exception {
        Path p = tmp.resolve("dump");
        Files.write(p, start.getBytes(StandardCharsets.ISO_8859_1));
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
            ImageFile image = ImageFile.of(p, ch);
            FormatException e = assertThrows(FormatException.class, () -> format.read(image, null));
            assertTrue(e.getMessage().startsWith(p + " is "), e.getMessage());
            return e.getMessage();
        }
    }

    @Test
    void recognizesDiskdumpsAndFlattenedDumps() throws Exception {
        assertTrue(ForeignDumps.DISKDUMP.probe(head("DISKDUMP\0\0\0\0\0\0\0\0")));
        assertTrue(ForeignDumps.FLATTENED.probe(head("makedumpfile\0\0\0\0")));
        assertTrue(refusal(ForeignDumps.DISKDUMP, "DISKDUMP\0\0\0\0\0\0\0\0").contains("diskdump"));
        assertTrue(refusal(ForeignDumps.FLATTENED, "makedumpfile\0\0\0\0").contains("makedumpfile -R"));
        assertEquals(ForeignDumps.DISKDUMP, InputFormats.probe(head("DISKDUMP\0\0\0\0\0\0\0\0")));
        assertEquals(ForeignDumps.FLATTENED, InputFormats.probe(head("makedumpfile\0\0\0\0")));
    }

    @Test
    void anythingElseIsLeftToTheRawImage() {
        for (InputFormat f : new InputFormat[] {ForeignDumps.DISKDUMP, ForeignDumps.FLATTENED}) {
            assertFalse(f.probe(head("KDUMP   \u0006\0\0\0\0\0\0\0")), "replayed, not refused");
            assertFalse(f.probe(head("KDUMP")));
            assertFalse(f.probe(head("makedumpfileX\0\0\0")));
            assertFalse(f.probe(ByteBuffer.allocate(16)));
            assertFalse(f.probe(ByteBuffer.allocate(0)));
        }
        assertEquals(RawImage.FORMAT, InputFormats.probe(head("makedumpfileX\0\0\0")));
        assertEquals(RawImage.FORMAT, InputFormats.probe(ByteBuffer.allocate(16)));
    }
}
