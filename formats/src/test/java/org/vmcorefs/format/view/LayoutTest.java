package org.vmcorefs.format.view;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.vmcorefs.machine.DumpException;
import org.vmcorefs.machine.Errno;
import org.vmcorefs.machine.memory.SyntheticMemory;

/** The one read loop, over segments of every size of the matrix. */
class LayoutTest {
    @ParameterizedTest(name = "segments of {0} bytes")
    @ValueSource(ints = {1, 2, 8, 128, 4096, 8192})
    void anyReadIsASliceOfTheWholeFile(int size) throws DumpException {
        SyntheticMemory memory = new SyntheticMemory(8, 1.0);
        byte[] prebuilt = new byte[size];
        for (int i = 0; i < size; i++) {
            prebuilt[i] = (byte) (0x80 + i * 13);
        }
        Layout.Builder b = Layout.builder();
        java.io.ByteArrayOutputStream expected = new java.io.ByteArrayOutputStream();
        long[] addresses = {0x1000, 0x20001, 0x30fff, 0x40000 - size / 2};
        for (int k = 0; k < 4; k++) {
            b.bytes(ByteBuffer.wrap(prebuilt), "bytes " + k);
            expected.writeBytes(prebuilt);
            b.zeros(size);
            expected.writeBytes(new byte[size]);
            b.memory(memory, addresses[k], size, "memory " + k);
            for (int i = 0; i < size; i++) {
                expected.write(memory.byteAt(addresses[k] + i));
            }
        }
        b.padTo(4096);
        expected.writeBytes(new byte[(int) (Layout.roundUp(expected.size(), 4096) - expected.size())]);
        Layout layout = b.build();
        byte[] file = expected.toByteArray();
        assertEquals(file.length, layout.size());
        assertArrayEquals(file, Reads.render(layout, 1));
        assertArrayEquals(file, Reads.render(layout, 4096));
        Reads.assertAnyReadIsASlice(layout, file, size);
    }

    @Test
    void emptyLayoutReadsNothing() throws DumpException {
        Layout l = Layout.builder().zeros(0).build();
        assertEquals(0, l.size());
        assertEquals(0, l.read(0, ByteBuffer.allocate(10)));
    }

    @Test
    void aFailingSourceFailsTheReadAndLeavesTheLimitAlone() {
        Layout l = Layout.builder().zeros(100).add(100, (offset, dst) -> {
            throw new DumpException(Errno.EIO, "no");
        }, "failing").build();
        ByteBuffer dst = ByteBuffer.allocate(300);
        assertEquals(Errno.EIO, assertThrows(DumpException.class, () -> l.read(50, dst)).errno());
        assertEquals(300, dst.limit());
    }
}
