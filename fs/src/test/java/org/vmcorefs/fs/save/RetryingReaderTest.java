package org.vmcorefs.fs.save;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which errnos are retried, how the delay grows, and an early end of file. */
class RetryingReaderTest {
    @TempDir
    Path dir;

    @Test
    void onlyErrorsTheHardwareMayNotRepeatAreRetried() {
        for (int transientErrno : new int[] {5, 11, 4, 16}) { // EIO, EAGAIN, EINTR, EBUSY
            assertTrue(RetryingReader.isTransient(transientErrno), "errno " + transientErrno);
        }
        for (int permanent : new int[] {61, 14, 21, 22, 13, 19}) { // ENODATA, EFAULT, EISDIR, EINVAL, EACCES, ENODEV
            assertFalse(RetryingReader.isTransient(permanent), "errno " + permanent);
        }
    }

    @Test
    void theDelayDoublesUpToItsCap() {
        RetryingReader r = new RetryingReader(8, 10, "");
        assertEquals(10, r.delay(1));
        assertEquals(20, r.delay(2));
        assertEquals(640, r.delay(7));
        assertEquals(RetryingReader.MAX_DELAY_MILLIS, r.delay(9));
        assertEquals(RetryingReader.MAX_DELAY_MILLIS, r.delay(60));
    }

    @Test
    void readsInFullAndAnEarlyEndIsAClearError() throws Exception {
        Path f = dir.resolve("f");
        byte[] bytes = new byte[3 << 20];
        for (int i = 0; i < bytes.length; i++) {
            bytes[i] = (byte) (i * 7);
        }
        Files.write(f, bytes);
        RetryingReader r = new RetryingReader(3, 1, "the manifest is kept");
        try (SourceFile src = SourceFile.open(f)) {
            ByteBuffer b = ByteBuffer.allocateDirect(1 << 20);
            r.read(src, 1 << 20, b);
            assertEquals(0, b.remaining());
            assertEquals(bytes[(1 << 20) + 123], b.get(123));
            ByteBuffer tooMuch = ByteBuffer.allocateDirect(2 << 20);
            SaveException e = assertThrows(SaveException.class, () -> r.read(src, 2 << 20, tooMuch));
            assertEquals(SaveException.READ_FAILED, e.exitCode());
            assertTrue(e.getMessage().contains("ends at offset 3145728") && e.getMessage().contains("manifest is kept"),
                    e.getMessage());
        }
        assertEquals(0, r.transientErrors());
    }
}
