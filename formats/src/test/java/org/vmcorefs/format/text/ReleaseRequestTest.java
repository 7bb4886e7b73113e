package org.vmcorefs.format.text;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.vmcorefs.machine.DumpException;
import org.vmcorefs.machine.Errno;
import org.vmcorefs.machine.MemoryRange;

/** Parsing what is written to release_region as sscanf("%lx %lx") does: EINVAL below two numbers. */
class ReleaseRequestTest {
    @Test
    void twoHexNumbersWithOrWithout0x() throws DumpException {
        assertEquals(new ReleaseRequest(0x10000000L, 0x10000), ReleaseRequest.parse("0x10000000 0x10000\n"));
        assertEquals(new ReleaseRequest(0x10000000L, 0x10000), ReleaseRequest.parse("10000000 10000"));
        assertEquals(new ReleaseRequest(0x10, 0xff), ReleaseRequest.parse("  0X10\t0XfF  \n"));
        assertEquals(new ReleaseRequest(1, 1), ReleaseRequest.parse("00000000000000000001 1"));
    }

    @Test
    void whatSaveRendersParsesBackAsTheSameCleanRequest() throws DumpException {
        assertEquals("0x40000000 0x10000000\n", ReleaseRequest.of(new MemoryRange(0x40000000L, 0x10000000L)).render());
        java.util.Random r = new java.util.Random(99);
        for (int i = 0; i < 1000; i++) {
            long start = r.nextInt(3) == 0 ? r.nextInt(1 << 20) : r.nextLong() >>> 1;
            long length = r.nextInt(3) == 0 ? 0 : (r.nextLong() >>> 1) % (Long.MAX_VALUE - start + 1);
            ReleaseRequest request = ReleaseRequest.of(new MemoryRange(start, length));
            assertEquals(request, ReleaseRequest.parse(request.render()));
            assertTrue(ReleaseRequest.parse(request.render()).oddities().isEmpty());
            assertEquals(request.render(), ReleaseRequest.parse(request.render()).render());
        }
    }

    @Test
    void fewerThanTwoNumbersIsEinval() {
        for (String bad : new String[] {"", "\n", "hello\n", "0x1000\n", "-1 2", "1,2", "g 1", "0x 1", "1-2"}) {
            DumpException e = assertThrows(DumpException.class, () -> ReleaseRequest.parse(bad), bad);
            assertEquals(Errno.EINVAL, e.errno(), bad);
        }
    }

    @Test
    void whatTheKernelReadsAnywayIsNotedNotRefused() throws DumpException {
        ReleaseRequest trailing = ReleaseRequest.parse("0x10000000 0x10000 garbage");
        assertEquals(0x10000000L, trailing.start());
        assertEquals(0x10000, trailing.length());
        assertEquals(1, trailing.oddities().size());
        assertTrue(trailing.oddities().get(0).contains("text after the two numbers"), trailing.oddities().get(0));
        assertEquals(1, ReleaseRequest.parse("1 2 3\n").oddities().size());
        assertEquals(1, ReleaseRequest.parse("1 2x").oddities().size());
        ReleaseRequest wide = ReleaseRequest.parse("0x1ffffffffffffffff 0x10000");
        assertEquals(-1L, wide.start(), "simple_strtoull keeps the low 64 bits");
        assertTrue(wide.oddities().get(0).contains("wider than 64 bits"), wide.oddities().toString());
        assertEquals(0, ReleaseRequest.parse("1 10000000000000000").length());
        assertTrue(ReleaseRequest.parse("0x10000000 0x10000\n").oddities().isEmpty(), "a clean request");
    }
}
