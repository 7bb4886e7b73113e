package org.vmcorefs.format;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.vmcorefs.machine.DumpException;
import org.vmcorefs.machine.Errno;
import org.vmcorefs.machine.MemoryRange;

/** Parsing what is written to release_region: two hex numbers, EINVAL or ERANGE for anything else. */
class ReleaseRequestTest {
    @Test
    void twoHexNumbersWithOrWithout0x() throws DumpException {
        assertEquals(new ReleaseRequest(0x10000000L, 0x10000), ReleaseRequest.parse("0x10000000 0x10000\n"));
        assertEquals(new ReleaseRequest(0x10000000L, 0x10000), ReleaseRequest.parse("10000000 10000"));
        assertEquals(new ReleaseRequest(0x10, 0xff), ReleaseRequest.parse("  0X10\t0XfF  \n"));
        assertEquals(new ReleaseRequest(1, 1), ReleaseRequest.parse("00000000000000000001 1"));
        assertEquals(new MemoryRange(0x40000000L, 0x10000000L), ReleaseRequest.parse("40000000 10000000").range());
    }

    @Test
    void fewerThanTwoNumbersOrGarbageIsEinval() {
        for (String bad : new String[] {"", "\n", "hello\n", "0x1000\n", "1 2 3\n", "0x1 0xg", "-1 2", "0x 1",
                "1,2", "1 2x", "0x10000000 0x10000 garbage"}) {
            DumpException e = assertThrows(DumpException.class, () -> ReleaseRequest.parse(bad), bad);
            assertEquals(Errno.EINVAL, e.errno(), bad);
        }
    }

    @Test
    void beyondSixtyFourBitsIsErange() {
        for (String bad : new String[] {"0x1ffffffffffffffff 0x10000", "1 10000000000000000",
                "ffffffffffffffff 1", "0xffffffffffff0000 0x20000"}) {
            DumpException e = assertThrows(DumpException.class, () -> ReleaseRequest.parse(bad), bad);
            assertEquals(Errno.ERANGE, e.errno(), bad);
        }
    }

    @Test
    void addressesFromTwoToTheSixtyThreeOnAreBeyondMemory() throws DumpException {
        ReleaseRequest r = ReleaseRequest.parse("8000000000000000 10000");
        assertEquals(Errno.EINVAL, assertThrows(DumpException.class, r::range).errno());
        ReleaseRequest s = ReleaseRequest.parse("7fffffffffff0000 20000");
        assertEquals(Errno.EINVAL, assertThrows(DumpException.class, s::range).errno());
    }
}
