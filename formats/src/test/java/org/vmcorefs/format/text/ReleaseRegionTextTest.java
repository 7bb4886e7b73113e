package org.vmcorefs.format.text;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.vmcorefs.machine.DumpException;
import org.vmcorefs.machine.Errno;
import org.vmcorefs.machine.MemoryRange;

/** release_region's line: (address, LENGTH) pairs, as the kernel prints them and as its documentation shows. */
class ReleaseRegionTextTest {
    private static ReleaseRegionText random(Random r) {
        return new ReleaseRegionText(TextGen.range(r), TextGen.range(r), TextGen.range(r), TextGen.range(r));
    }

    @Test
    void parsesTheDocumentationsExampleAsAddressLengthPairs() throws DumpException {
        ReleaseRegionText r = ReleaseRegionText.parse("CPU:0x177fee000-0x10000: HPTE:0x177ffe020-0x1000: "
                + "DUMP:0x177fff020-0x10000000, 0x10000000-0x16F1D370A\n");
        assertEquals(new MemoryRange(0x177fee000L, 0x10000), r.cpu());
        assertEquals(new MemoryRange(0x177ffe020L, 0x1000), r.hpte());
        assertEquals(new MemoryRange(0x177fff020L, 0x10000000), r.savedLowMemory());
        assertEquals(new MemoryRange(0x10000000L, 0x16F1D370AL), r.reserved());
    }

    @Test
    void parsesTheKernelsFormatWithItsTrailingColon() throws DumpException {
        String line = "CPU:0x3f000000-0x20000: HPTE:0x3f020000-0x4000: DUMP:0x3f024000-0x10000000, 0x10000000-0x2f000000:\n";
        ReleaseRegionText r = ReleaseRegionText.parse(line);
        assertEquals(new MemoryRange(0x10000000L, 0x2f000000L), r.reserved());
        assertEquals(line, r.render());
        assertEquals("CPU:0x0-0x0: HPTE:0x0-0x0: DUMP:0x0-0x0, 0x0-0x0:\n", new ReleaseRegionText(
                new MemoryRange(0, 0), new MemoryRange(0, 0), new MemoryRange(0, 0), new MemoryRange(0, 0)).render());
    }

    @Test
    void rejectsAnythingElse() {
        String good = "CPU:0x1-0x2: HPTE:0x3-0x4: DUMP:0x5-0x6, 0x7-0x8:\n";
        for (String bad : new String[] {"DUMP:0x1-0x2\n", "", "\n", " " + good, good + "\n", good.replace(": ", ":"),
            good.replace("0x", ""), good.replace("CPU", "cpu"), good.replace(", ", ","), good.replace("-", " - "),
            good.replace("0x8", "0x10000000000000000"), good.replace("0x7-0x8", "0x7fffffffffffffff-0x1"),
            good.replace("0x1-", "0x8000000000000000-")}) {
            DumpException e = assertThrows(DumpException.class, () -> ReleaseRegionText.parse(bad), bad);
            assertEquals(Errno.EINVAL, e.errno(), bad);
        }
    }

    @Test
    void parseOfRenderIsTheLineAndRenderOfParseIsTheRenderedText() throws DumpException {
        Random r = new Random(2718);
        for (int i = 0; i < TextGen.RUNS; i++) {
            ReleaseRegionText line = random(r);
            String text = line.render();
            assertEquals(line, ReleaseRegionText.parse(text), text);
            assertEquals(text, ReleaseRegionText.parse(text).render());
            // The documentation's spelling reads as the same line.
            String documented = text.substring(0, text.length() - 2).toUpperCase().replace("0X", "0x") + "\n";
            assertEquals(line, ReleaseRegionText.parse(documented), documented);
            String mutated = TextGen.mutate(r, text);
            try {
                ReleaseRegionText m = ReleaseRegionText.parse(mutated);
                assertEquals(m, ReleaseRegionText.parse(m.render()), mutated);
            } catch (DumpException e) {
                assertEquals(Errno.EINVAL, e.errno());
            }
        }
    }
}
