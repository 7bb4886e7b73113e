package org.vmcorefs.format.struct;

import org.vmcorefs.format.FormatException;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Instant;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.vmcorefs.machine.Architecture;
import org.vmcorefs.machine.CpuState;
import org.vmcorefs.machine.DumpException;
import org.vmcorefs.machine.mechanism.S390SaveArea;

/** Golden bytes and round trips of the s390 on-disk structures; every multi-byte field is checked big-endian. */
class S390StructsTest {
    private static byte[] hex(String s) {
        return HexFormat.of().parseHex(s.replace(" ", ""));
    }

    private static byte[] slice(byte[] b, int from, int length) {
        return java.util.Arrays.copyOfRange(b, from, from + length);
    }

    static S390DumpHeader sample() {
        return new S390DumpHeader(5, 0, 4096, 0x0c000000L, 0, 0x14000000L, 0xc000, 0x7d91048bca000123L,
                0x000a1b2c85618000L, 2, 0, 2, 0x10000000L, 0, 3, new long[] {0x800000, 0x6000000});
    }

    @Test
    void dumpHeaderGoldenBytes() {
        byte[] b = sample().toBuffer().array();
        assertEquals(4096, b.length);
        assertArrayEquals(hex("a8190173618f23fd"), slice(b, 0x00, 8), "magic");
        assertArrayEquals(hex("00000005 00001000 00000000 00001000"), slice(b, 0x08, 16), "version, sizes, level");
        assertArrayEquals(hex("000000000c000000"), slice(b, 0x18, 8), "mem_size");
        assertArrayEquals(hex("0000000000000000 0000000014000000"), slice(b, 0x20, 16), "mem_start, mem_end");
        assertArrayEquals(hex("0000c000 00000000"), slice(b, 0x30, 8), "num_pages, pad");
        assertArrayEquals(hex("7d91048bca000123"), slice(b, 0x38, 8), "tod");
        assertArrayEquals(hex("000a1b2c85618000"), slice(b, 0x40, 8), "cpu id");
        assertArrayEquals(hex("00000002 00000000 00000002"), slice(b, 0x48, 12), "arch, volnr, build arch");
        assertArrayEquals(hex("0000000010000000"), slice(b, 0x54, 8), "rmem_size, unaligned");
        assertArrayEquals(hex("00 0002 0003"), slice(b, 0x5c, 5), "mvdump, cpu_cnt, real_cpu_cnt, unaligned");
        assertArrayEquals(hex("00800000 06000000 00000000"), slice(b, 0x800, 12), "lc_vec");
        for (int i = 0x61; i < 0x800; i++) {
            assertEquals(0, b[i], "padding at 0x" + Integer.toHexString(i));
        }
    }

    @Test
    void dumpHeaderRoundTrip() throws DumpException {
        S390DumpHeader h = sample();
        assertEquals(h, S390DumpHeader.readFrom(h.toBuffer()));
        ByteBuffer bad = h.toBuffer();
        bad.put(0, (byte) 0);
        assertThrows(DumpException.class, () -> S390DumpHeader.readFrom(bad));
    }

    @Test
    void todIsTheS390Clock() {
        // The TOD clock of the Unix epoch, and one second later (2^12 units per microsecond).
        assertEquals(0x7d91048bca000000L, S390DumpHeader.tod(Instant.EPOCH));
        assertEquals(0x7d91048bca000000L + (1_000_000L << 12), S390DumpHeader.tod(Instant.ofEpochSecond(1)));
        Instant t = Instant.parse("2026-01-01T00:00:00Z");
        assertEquals(t, S390DumpHeader.instant(S390DumpHeader.tod(t)));
    }

    @Test
    void endMarkerGoldenBytes() throws DumpException {
        byte[] b = new S390EndMarker(0x7d91048bca000123L).toBuffer().array();
        assertArrayEquals(hex("44554d505f454e44 7d91048bca000123"), b);
        assertEquals(0x7d91048bca000123L, S390EndMarker.readFrom(ByteBuffer.wrap(b)).tod());
    }

    @Test
    void prpsinfoGoldenBytes() {
        byte[] b = ElfPrpsinfo.of('R', "vmlinux", ByteOrder.BIG_ENDIAN);
        assertEquals(136, b.length);
        assertEquals('R', b[1]);
        assertArrayEquals(hex("766d6c696e757800"), slice(b, 40, 8));
    }

    static CpuState cpu() {
        Architecture a = Architecture.S390X;
        long[] r = new long[a.registerNames().size()];
        for (int i = 0; i < r.length; i++) {
            r[i] = 0x0101010101010101L * (i % 200 + 1);
        }
        r[a.registerIndex("psw_mask")] = 0x0704c00180000000L;
        r[a.registerIndex("psw_addr")] = 0x123456L;
        r[a.registerIndex("r0")] = 0x1122334455667788L;
        r[a.registerIndex("f0")] = 0x3ff0000000000000L;
        r[a.registerIndex("a0")] = 0xa0a0a0a0L;
        r[a.registerIndex("c0")] = 0xc0c0c0c0c0c0c0c0L;
        r[a.registerIndex("prefix")] = 0x6000000L;
        r[a.registerIndex("fpc")] = 0x00000003L;
        r[a.registerIndex("todpreg")] = 0x1234L;
        r[a.registerIndex("timer")] = 0x7777777777777777L;
        r[a.registerIndex("todcmp")] = 0xdcdcdcdcdcdcdcdcL;
        for (int i = 0; i < 16; i++) {
            r[a.registerIndex("a" + i)] &= 0xffffffffL;
        }
        r[a.registerIndex("orig_gpr2")] = 0;
        byte[] vx = new byte[512];
        for (int i = 0; i < vx.length; i++) {
            vx[i] = (byte) i;
        }
        return new CpuState(a, 0, r, vx);
    }

    @Test
    void saveAreaGoldenBytes() {
        byte[] b = S390SaveArea.of(cpu());
        assertEquals(0x200, b.length);
        assertArrayEquals(hex("3ff0000000000000"), slice(b, 0x000, 8), "f0 at 0x1200");
        assertArrayEquals(hex("1122334455667788"), slice(b, 0x080, 8), "r0 at 0x1280");
        assertArrayEquals(hex("0704c00180000000 0000000000123456"), slice(b, 0x100, 16), "psw at 0x1300");
        assertArrayEquals(hex("06000000 00000003"), slice(b, 0x118, 8), "prefix, fpc at 0x1318");
        assertArrayEquals(hex("00001234 7777777777777777 dcdcdcdcdcdcdcdc"), slice(b, 0x124, 20),
                "todpreg, timer, clock comparator at 0x1324");
        assertArrayEquals(hex("a0a0a0a0"), slice(b, 0x140, 4), "a0 at 0x1340");
        assertArrayEquals(hex("c0c0c0c0c0c0c0c0"), slice(b, 0x180, 8), "c0 at 0x1380");
    }

    @Test
    void saveAreaRoundTrip() {
        CpuState c = cpu();
        CpuState back = S390SaveArea.readFrom(ByteBuffer.wrap(S390SaveArea.of(c)), 0, new byte[0]);
        assertArrayEquals(c.registers(), back.registers());
    }

    @Test
    void cpuNotesGoldenBytesAndRoundTrip() throws FormatException {
        CpuState c = cpu();
        var notes = S390Notes.cpuNotes(c, 1);
        assertEquals(java.util.List.of(1, 2, 0x301, 0x302, 0x303, 0x304, 0x305, 0x30a, 0x309),
                notes.stream().map(ElfNote::type).toList());
        assertEquals(java.util.List.of("CORE", "CORE", "LINUX", "LINUX", "LINUX", "LINUX", "LINUX", "LINUX", "LINUX"),
                notes.stream().map(ElfNote::name).toList());
        assertEquals(java.util.List.of(336, 136, 8, 8, 4, 128, 4, 256, 128),
                notes.stream().map(n -> n.desc().length).toList());
        byte[] prstatus = notes.get(0).desc();
        assertArrayEquals(hex("00000001"), slice(prstatus, 0x20, 4), "pr_pid");
        assertArrayEquals(hex("0704c00180000000 0000000000123456 1122334455667788"), slice(prstatus, 0x70, 24),
                "psw and r0 in pr_reg");
        byte[] fp = notes.get(1).desc();
        assertArrayEquals(hex("00000003 00000000 3ff0000000000000"), slice(fp, 0, 16), "fpc, pad, f0");
        assertArrayEquals(hex("06000000"), notes.get(6).desc(), "prefix");
        assertArrayEquals(slice(c.vectorRegisters(), 256, 256), notes.get(7).desc(), "VRs 16-31");
        assertArrayEquals(hex("08090a0b0c0d0e0f"), slice(notes.get(8).desc(), 0, 8), "low half of VR0");
        // Notes back to registers: every field, with vector registers re-assembled from the FPRs and VXRS_LOW.
        ByteBuffer enc = CoreNotes.encode(notes, Architecture.S390X);
        CpuState back = S390Notes.cpus(ElfNote.readAll(enc, ByteOrder.BIG_ENDIAN)).get(0);
        assertArrayEquals(c.registers(), back.registers());
        byte[] expectVx = c.vectorRegisters();
        for (int i = 0; i < 16; i++) {
            ByteBuffer.wrap(expectVx, i * 16, 8).putLong(c.get("f" + i));
        }
        assertArrayEquals(expectVx, back.vectorRegisters());
    }
}
