package org.vmcorefs.format.text;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.vmcorefs.machine.DumpException;
import org.vmcorefs.machine.Errno;
import org.vmcorefs.machine.MemoryRange;

/** zcore/memmap's text: "%016llx %016llx " per chunk, read back exactly so. */
class ZcoreMemmapTextTest {
    @Test
    void theKernelsRecords() throws DumpException {
        List<MemoryRange> chunks = List.of(new MemoryRange(0, 0x3000000), new MemoryRange(0x4000000, 0x1000000));
        String text = "0000000000000000 0000000003000000 0000000004000000 0000000001000000 ";
        assertEquals(text, ZcoreMemmapText.render(chunks));
        assertEquals(chunks, ZcoreMemmapText.parse(text));
        assertEquals(List.of(), ZcoreMemmapText.parse(""));
        assertEquals(2 * ZcoreMemmapText.RECORD, text.length());
    }

    @Test
    void anythingElseIsEinval() {
        String one = "0000000000000000 0000000003000000 ";
        for (String bad : new String[] {"\n", one.strip(), one + "\n", " " + one.substring(1), one.toUpperCase()
                .replace('0', 'A'), "0 3000000 ", one.replace(' ', '\t'), "000000000000000x 0000000003000000 ",
            "8000000000000000 0000000000000001 ", "7fffffffffffffff 0000000000000001 "}) {
            DumpException e = assertThrows(DumpException.class, () -> ZcoreMemmapText.parse(bad), bad);
            assertEquals(Errno.EINVAL, e.errno(), bad);
        }
    }

    @Test
    void parseOfRenderIsTheChunksAndWhatParsesRendersAsItWas() throws DumpException {
        Random r = new Random(815);
        for (int i = 0; i < TextGen.RUNS; i++) {
            List<MemoryRange> chunks = TextGen.ranges(r);
            String text = ZcoreMemmapText.render(chunks);
            assertEquals(chunks, ZcoreMemmapText.parse(text), text);
            assertEquals(text, ZcoreMemmapText.render(ZcoreMemmapText.parse(text)));
            String mutated = TextGen.mutate(r, text);
            try {
                assertEquals(mutated, ZcoreMemmapText.render(ZcoreMemmapText.parse(mutated)),
                        "accepted only as rendered");
            } catch (DumpException e) {
                assertEquals(Errno.EINVAL, e.errno());
            }
        }
    }
}
