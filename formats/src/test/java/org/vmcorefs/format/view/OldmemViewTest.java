package org.vmcorefs.format.view;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.vmcorefs.machine.DumpException;
import org.vmcorefs.machine.Machine;
import org.vmcorefs.machine.memory.SyntheticMemory;

/** /dev/oldmem: physical memory as it is now, offset = physical address, up to the end of RAM. */
class OldmemViewTest {
    /** Memory now, from the spec: the capture kernel's low 640 KiB and region, with the backup at its start. */
    static byte expectedNow(long address) {
        long ck = VmcoreViewTest.CRASHKERNEL.start();
        if (address < 0xa0000) {
            return VmcoreViewTest.CAPTURE.byteAt(address);
        }
        if (address >= ck && address < ck + 0xa0000) {
            return VmcoreViewTest.CRASH_TIME.byteAt(address - ck);
        }
        if (VmcoreViewTest.CRASHKERNEL.contains(address)) {
            return VmcoreViewTest.CAPTURE.byteAt(address);
        }
        return VmcoreViewTest.CRASH_TIME.byteAt(address);
    }

    static byte[] expectedOldmem() {
        byte[] out = new byte[0x800000];
        for (int a = 0; a < out.length; a++) {
            out[a] = expectedNow(a);
        }
        return out;
    }

    @Test
    void anyReadIsASliceOfPhysicalMemoryNow() throws DumpException {
        Machine m = VmcoreViewTest.smallMachine();
        Layout layout = OldmemView.layout(m);
        byte[] expected = expectedOldmem();
        assertEquals(0x800000, layout.size(), "up to the end of RAM, the hole below 1 MiB included");
        assertArrayEquals(expected, Reads.render(layout, 128 * 1024));
        Reads.assertAnyReadIsASlice(layout, expected, 9);
        assertEquals(0, m.savedArea().counters().requests(), "oldmem never reads the saved backup");
    }

    @ParameterizedTest(name = "reads of {0} bytes across the 640 KiB, 1 MiB and crashkernel edges")
    @ValueSource(ints = {1, 2, 8, 128, 4096, 8192})
    void readsAcrossTheEdgesOfWhatTheCaptureKernelOverwrote(int length) throws DumpException {
        Layout layout = OldmemView.layout(VmcoreViewTest.smallMachine());
        long ck = VmcoreViewTest.CRASHKERNEL.start();
        for (long edge : new long[] {0xa0000, 0x100000, ck, ck + 0xa0000, VmcoreViewTest.CRASHKERNEL.end()}) {
            for (long offset = edge - length; offset <= edge; offset += Math.max(1, length / 4)) {
                ByteBuffer b = ByteBuffer.allocate(length);
                assertEquals(length, layout.read(offset, b));
                for (int i = 0; i < length; i++) {
                    assertEquals(expectedNow(offset + i), b.get(i), "oldmem byte at 0x" + Long.toHexString(offset + i));
                }
            }
        }
    }

    @Test
    void lowMemoryShowsTheCaptureKernelAndTheBackupLiesAtTheCrashkernelStart() throws DumpException {
        Machine m = VmcoreViewTest.smallMachine();
        Layout oldmem = OldmemView.layout(m);
        SyntheticMemory crash = VmcoreViewTest.CRASH_TIME;
        ByteBuffer low = ByteBuffer.allocate(0xa0000);
        oldmem.read(0, low);
        ByteBuffer backup = ByteBuffer.allocate(0xa0000);
        oldmem.read(VmcoreViewTest.CRASHKERNEL.start(), backup);
        int differ = 0;
        for (int a = 0; a < 0xa0000; a++) {
            assertEquals(crash.byteAt(a), backup.get(a), "backup copy at crashkernel + 0x" + Integer.toHexString(a));
            assertEquals(VmcoreViewTest.CAPTURE.byteAt(a), low.get(a));
            if (low.get(a) != crash.byteAt(a)) {
                differ++;
            }
        }
        assertEquals(true, differ > 0xa0000 / 2, "the capture kernel's bytes are not the crash-time ones");
    }
}
