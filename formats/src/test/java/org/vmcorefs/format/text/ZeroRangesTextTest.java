package org.vmcorefs.format.text;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.vmcorefs.machine.DumpException;
import org.vmcorefs.machine.Errno;
import org.vmcorefs.machine.MemoryRange;

/** .vmcorefs/zero-ranges: "OFFSET LENGTH\n" in hex per range, read back exactly so. */
class ZeroRangesTextTest {
    @Test
    void oneLinePerRange() throws DumpException {
        List<MemoryRange> ranges = List.of(new MemoryRange(0x1000, 0x200000), new MemoryRange(0x40000000L, 0));
        assertEquals("1000 200000\n40000000 0\n", ZeroRangesText.render(ranges));
        assertEquals(ranges, ZeroRangesText.parse("1000 200000\n40000000 0\n"));
        assertEquals("", ZeroRangesText.render(List.of()));
        assertEquals(List.of(), ZeroRangesText.parse(""));
    }

    @Test
    void anythingElseIsEinval() {
        for (String bad : new String[] {"\n", "1000 200000", "1000 200000\n\n", "1000\n", "1000 200000 3\n",
            "01000 200000\n", "0x1000 200000\n", "1000  200000\n", "1000\t200000\n", "ABC 1\n", " 1 2\n",
            "8000000000000000 0\n", "7fffffffffffffff 1\n", "10000000000000000 0\n"}) {
            DumpException e = assertThrows(DumpException.class, () -> ZeroRangesText.parse(bad), bad);
            assertEquals(Errno.EINVAL, e.errno(), bad);
        }
    }

    @Test
    void parseOfRenderIsTheRangesAndWhatParsesRendersAsItWas() throws DumpException {
        Random r = new Random(1234);
        for (int i = 0; i < TextGen.RUNS; i++) {
            List<MemoryRange> ranges = TextGen.ranges(r);
            String text = ZeroRangesText.render(ranges);
            assertEquals(ranges, ZeroRangesText.parse(text), text);
            assertEquals(text, ZeroRangesText.render(ZeroRangesText.parse(text)));
            String mutated = TextGen.mutate(r, text);
            try {
                assertEquals(mutated, ZeroRangesText.render(ZeroRangesText.parse(mutated)), "accepted only as rendered");
            } catch (DumpException e) {
                assertEquals(Errno.EINVAL, e.errno());
            }
        }
    }
}
