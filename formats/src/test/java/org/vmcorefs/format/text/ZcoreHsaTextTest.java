package org.vmcorefs.format.text;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.vmcorefs.machine.DumpException;
import org.vmcorefs.machine.Errno;

/** zcore/hsa's text: "%lx\n", "0\n" once released; exactly that is read back. */
class ZcoreHsaTextTest {
    @Test
    void theKernelsText() throws DumpException {
        assertEquals("2000000\n", ZcoreHsaText.render(32L << 20));
        assertEquals("0\n", ZcoreHsaText.render(0));
        assertEquals(0x2000000L, ZcoreHsaText.parse("2000000\n"));
        assertEquals(0L, ZcoreHsaText.parse("0\n"));
        assertEquals(0x1000L, ZcoreHsaText.parse("1000\n"));
        assertEquals("0\n", ZcoreHsaText.RELEASE);
    }

    @Test
    void anythingElseIsEinval() {
        for (String bad : new String[] {"", "\n", "2000000", "0x2000000\n", "2000000\n\n", " 2000000\n", "02000\n",
            "2000000 \n", "ABC\n", "-1\n", "10000000000000000\n", "g\n"}) {
            DumpException e = assertThrows(DumpException.class, () -> ZcoreHsaText.parse(bad), bad);
            assertEquals(Errno.EINVAL, e.errno(), bad);
        }
    }

    @Test
    void parseOfRenderIsTheSizeAndWhatParsesRendersAsItWas() throws DumpException {
        Random r = new Random(4711);
        for (int i = 0; i < TextGen.RUNS; i++) {
            long size = r.nextInt(4) == 0 ? r.nextLong() : TextGen.value(r, Long.MAX_VALUE);
            String text = ZcoreHsaText.render(size);
            assertEquals(size, ZcoreHsaText.parse(text), text);
            assertEquals(text, ZcoreHsaText.render(ZcoreHsaText.parse(text)));
            String mutated = TextGen.mutate(r, text);
            try {
                assertEquals(mutated, ZcoreHsaText.render(ZcoreHsaText.parse(mutated)), "accepted only as rendered");
            } catch (DumpException e) {
                assertEquals(Errno.EINVAL, e.errno());
            }
        }
    }
}
