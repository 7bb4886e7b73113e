package org.vmcorefs.format;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ForeignDumpsTest {
    private static ByteBuffer head(String s) {
        return ByteBuffer.wrap(s.getBytes(StandardCharsets.ISO_8859_1));
    }

    @Test
    void recognizesDiskdumpsAndFlattenedDumps() {
        assertTrue(ForeignDumps.describe(head("DISKDUMP\0\0\0\0\0\0\0\0")).contains("diskdump"));
        assertTrue(ForeignDumps.describe(head("makedumpfile\0\0\0\0")).contains("makedumpfile -R"));
    }

    @Test
    void anythingElseIsLeftToTheRawImage() {
        assertNull(ForeignDumps.describe(head("KDUMP   \u0006\0\0\0\0\0\0\0")), "replayed, not refused");
        assertNull(ForeignDumps.describe(head("KDUMP")));
        assertNull(ForeignDumps.describe(head("makedumpfileX\0\0\0")));
        assertNull(ForeignDumps.describe(ByteBuffer.allocate(16)));
        assertNull(ForeignDumps.describe(ByteBuffer.allocate(0)));
    }
}
