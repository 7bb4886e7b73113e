package org.vmcorefs.format.struct;

import org.vmcorefs.format.DumpPaths;
import org.vmcorefs.format.PowerMachines;
import org.vmcorefs.format.env.CaptureEnvironment;
import org.vmcorefs.format.env.CaptureEnvironments;
import org.vmcorefs.format.view.VirtualFile;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.vmcorefs.machine.DumpException;
import org.vmcorefs.machine.Errno;
import org.vmcorefs.machine.Machine;

/** struct phyp_dump_header: golden big-endian bytes, round trip, and its device tree file. */
class PhypDumpHeaderTest {
    @Test
    void goldenBigEndianBytesOfTheHeaderAfterADump() throws DumpException {
        Machine m = PowerMachines.machine(CaptureEnvironments.PPC64_PHYP, 3);
        PhypDumpHeader h = PhypDumpHeader.of(m.firmwareDump());
        String want = "00000001" + "0003" + "c000" + "00000028" + "00000000" // version, sections, status, offsets
                + "0000000000000000" + "0000000000000000" + "00000000" + "00000000"
                // cpu_data: request flag, CPU, no error, from 0, 64 KiB copied to 0x2ffe0000
                + "00000001" + "0001" + "0000" + "0000000000000000" + "0000000000010000" + "0000000000010000"
                + "000000002ffe0000"
                // hpte_data: 64 KiB to 0x2fff0000
                + "00000001" + "0002" + "0000" + "0000000000000000" + "0000000000010000" + "0000000000010000"
                + "000000002fff0000"
                // kernel_data: the RMO, 0..256 MiB, to 0x30000000
                + "00000001" + "0011" + "0000" + "0000000000000000" + "0000000010000000" + "0000000010000000"
                + "0000000030000000";
        ByteBuffer b = h.encode();
        byte[] bytes = new byte[b.remaining()];
        b.get(bytes);
        assertEquals(PhypDumpHeader.SIZE, bytes.length);
        assertEquals(want, HexFormat.of().formatHex(bytes));
        assertEquals(h, PhypDumpHeader.readFrom(ByteBuffer.wrap(bytes)));

        VirtualFile file = CaptureEnvironment.of(m).file(DumpPaths.PHYP_DUMP_HEADER);
        assertEquals(0444, file.mode());
        assertEquals(PhypDumpHeader.SIZE, file.size());
        for (int length : new int[] {1, 2, 8, 128, 4096, 8192}) {
            for (int offset = 0; offset <= PhypDumpHeader.SIZE + 1; offset++) {
                ByteBuffer dst = ByteBuffer.allocate(length);
                int n = file.read(offset, dst);
                assertEquals(Math.max(0, Math.min(length, PhypDumpHeader.SIZE - offset)), n);
                for (int i = 0; i < n; i++) {
                    assertEquals(bytes[offset + i], dst.get(i));
                }
            }
        }
    }

    @Test
    void aHeaderWithOtherSectionsIsRefused() {
        byte[] bytes = new byte[PhypDumpHeader.SIZE];
        bytes[5] = 2;
        bytes[11] = 0x28;
        DumpException e = assertThrows(DumpException.class, () -> PhypDumpHeader.readFrom(ByteBuffer.wrap(bytes)));
        assertEquals(Errno.EINVAL, e.errno());
        assertThrows(DumpException.class, () -> PhypDumpHeader.readFrom(ByteBuffer.allocate(10)));
    }
}
