package org.vmcorefs.fs.save;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.vmcorefs.machine.MemoryRange;

/** release_region's line: (address, LENGTH) pairs, as the kernel prints them and as its documentation shows. */
class ReleaseRegionLineTest {
    @Test
    void parsesTheDocumentationsExampleAsAddressLengthPairs() {
        ReleaseRegionLine r = ReleaseRegionLine.parse("CPU:0x177fee000-0x10000: HPTE:0x177ffe020-0x1000: "
                + "DUMP:0x177fff020-0x10000000, 0x10000000-0x16F1D370A\n");
        assertEquals(new MemoryRange(0x177fee000L, 0x10000), r.cpu());
        assertEquals(new MemoryRange(0x177ffe020L, 0x1000), r.hpte());
        assertEquals(new MemoryRange(0x177fff020L, 0x10000000), r.savedLowMemory());
        assertEquals(new MemoryRange(0x10000000L, 0x16F1D370AL), r.reserved());
    }

    @Test
    void parsesTheKernelsFormatWithItsTrailingColon() {
        ReleaseRegionLine r = ReleaseRegionLine.parse("CPU:0x3f000000-0x20000: HPTE:0x3f020000-0x4000: "
                + "DUMP:0x3f024000-0x10000000, 0x10000000-0x2f000000:\n");
        assertEquals(new MemoryRange(0x10000000L, 0x2f000000L), r.reserved());
    }

    @Test
    void rejectsAnythingElse() {
        assertThrows(IllegalArgumentException.class, () -> ReleaseRegionLine.parse("DUMP:0x1-0x2\n"));
        assertThrows(IllegalArgumentException.class, () -> ReleaseRegionLine.parse(""));
    }

    @Test
    void commandIsStartAndLengthInHexAsTheKernelsSscanfReadsThem() {
        assertEquals("0x40000000 0x10000000\n", ReleaseRegionLine.command(new MemoryRange(0x40000000L, 0x10000000L)));
    }
}
