package org.vmcorefs.format.input;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.vmcorefs.format.FormatException;

/** {@link Dwarf} on DWARF sections built here, as gcc lays out a kernel's: DWARF 4 and 5 units. */
class DwarfTest {
    // Abbreviation codes of the test tables.
    private static final int CU = 1;
    private static final int STRUCT_STRP = 2;
    private static final int MEMBER_STRP_DATA1 = 3;
    private static final int MEMBER_STRING_DATA2 = 4;
    private static final int STRUCT_DECL = 5;
    private static final int VARIABLE = 6;
    private static final int MEMBER_IMPLICIT = 7;

    /** The .debug_abbrev: DW_TAG_compile_unit and the DIEs below, with the forms gcc gives them. */
    private static byte[] abbrevs() {
        Bytes b = new Bytes(ByteOrder.LITTLE_ENDIAN);
        // compile_unit, children: producer (strp), language (data1), name (line_strp), low_pc (addr)
        b.uleb(CU).uleb(0x11).u8(1).uleb(0x25).uleb(0x0e).uleb(0x13).uleb(0x0b).uleb(0x03).uleb(0x1f)
                .uleb(0x11).uleb(0x01).uleb(0).uleb(0);
        // structure_type, children: name (strp), byte_size (data2), decl_file (implicit_const 3)
        b.uleb(STRUCT_STRP).uleb(0x13).u8(1).uleb(0x03).uleb(0x0e).uleb(0x0b).uleb(0x05).uleb(0x3a).uleb(0x21)
                .sleb(3).uleb(0).uleb(0);
        // member: name (strp), type (ref4), data_member_location (data1)
        b.uleb(MEMBER_STRP_DATA1).uleb(0x0d).u8(0).uleb(0x03).uleb(0x0e).uleb(0x49).uleb(0x13).uleb(0x38)
                .uleb(0x0b).uleb(0).uleb(0);
        // member: name (string), type (ref4), data_member_location (data2)
        b.uleb(MEMBER_STRING_DATA2).uleb(0x0d).u8(0).uleb(0x03).uleb(0x08).uleb(0x49).uleb(0x13).uleb(0x38)
                .uleb(0x05).uleb(0).uleb(0);
        // structure_type declaration, no children: name (strp), declaration (flag_present)
        b.uleb(STRUCT_DECL).uleb(0x13).u8(0).uleb(0x03).uleb(0x0e).uleb(0x3c).uleb(0x19).uleb(0).uleb(0);
        // variable: name (string), location (exprloc), external (flag_present), sibling-ish ref_udata
        b.uleb(VARIABLE).uleb(0x34).u8(0).uleb(0x03).uleb(0x08).uleb(0x02).uleb(0x18).uleb(0x3f).uleb(0x19)
                .uleb(0x01).uleb(0x15).uleb(0).uleb(0);
        // member: name (strp), data_member_location (implicit_const 16)
        b.uleb(MEMBER_IMPLICIT).uleb(0x0d).u8(0).uleb(0x03).uleb(0x0e).uleb(0x38).uleb(0x21).sleb(16).uleb(0)
                .uleb(0);
        b.uleb(0);
        return b.bytes();
    }

    /** .debug_str with the names at known offsets. */
    private static final String STR = "GNU C\0task_struct\0pid\0paca_struct\0__current\0other\0";

    private static int str(String name) {
        return STR.indexOf(name + "\0");
    }

    /**
     * A unit of {@code version} (4 or 5) holding: a declaration of task_struct, an unrelated struct with a
     * member named pid at 99, a variable, then task_struct's definition (state at 0, pid at 0x4e8 via data2,
     * a nested DIE-less member) and paca_struct's (__current at 16, implicit_const).
     */
    private static byte[] unit(int version) {
        Bytes d = new Bytes(ByteOrder.LITTLE_ENDIAN);
        d.uleb(CU).u32(str("GNU C")).u8(0x1d).u32(0).u32(0x1000).u32(0); // low_pc: 8 bytes
        d.uleb(STRUCT_DECL).u32(str("task_struct"));
        d.uleb(STRUCT_STRP).u32(str("other")).u16(128);
        d.uleb(MEMBER_STRP_DATA1).u32(str("pid")).u32(0).u8(99);
        d.uleb(0);
        d.uleb(VARIABLE).cstring("init_task").uleb(9).bytes(new byte[] {3, 1, 2, 3, 4, 5, 6, 7, 8}).uleb(300);
        d.uleb(STRUCT_STRP).u32(str("task_struct")).u16(0x1000);
        d.uleb(MEMBER_STRING_DATA2).cstring("__state").u32(0).u16(24);
        d.uleb(MEMBER_STRING_DATA2).cstring("pid").u32(0).u16(0x4e8);
        d.uleb(0);
        d.uleb(STRUCT_STRP).u32(str("paca_struct")).u16(0x400);
        d.uleb(MEMBER_IMPLICIT).u32(str("__current"));
        d.uleb(0);
        d.uleb(0);
        byte[] dies = d.bytes();
        Bytes u = new Bytes(ByteOrder.LITTLE_ENDIAN);
        int header = version >= 5 ? 8 : 7;
        u.u32(header + dies.length).u16(version);
        if (version >= 5) {
            u.u8(1).u8(8).u32(0); // DW_UT_compile, address size, abbrev offset
        } else {
            u.u32(0).u8(8);
        }
        return u.bytes(dies).bytes();
    }

    private static Dwarf dwarf(byte[] info) {
        return new Dwarf(ByteBuffer.wrap(info), ByteBuffer.wrap(abbrevs()),
                ByteBuffer.wrap(STR.getBytes(StandardCharsets.US_ASCII)), null, ByteOrder.LITTLE_ENDIAN);
    }

    @Test
    void theFirstDefinitionGivesTheMembersNotADeclarationOrAnotherStruct() throws Exception {
        for (int version : new int[] {4, 5}) {
            Map<String, Long> found = dwarf(unit(version)).memberOffsets(Set.of("task_struct.pid",
                    "paca_struct.__current"));
            assertEquals(Map.of("task_struct.pid", 0x4e8L, "paca_struct.__current", 16L), found, "DWARF " + version);
        }
    }

    @Test
    void aMemberTheStructDoesNotHaveIsAbsentAndTheWalkEnds() throws Exception {
        byte[] two = new Bytes(ByteOrder.LITTLE_ENDIAN).bytes(unit(5)).bytes(unit(4)).bytes();
        Map<String, Long> found = dwarf(two).memberOffsets(Set.of("task_struct.pid", "task_struct.tgid",
                "rq.curr"));
        assertEquals(Map.of("task_struct.pid", 0x4e8L), found);
    }

    @Test
    void aTruncatedUnitOrAnUnknownFormIsAFormatError() {
        byte[] u = unit(5);
        byte[] cut = java.util.Arrays.copyOf(u, u.length - 20);
        assertThrows(FormatException.class, () -> dwarf(cut).memberOffsets(Set.of("paca_struct.__current")));
        byte[] bad = unit(5);
        bad[12] = 99; // the first DIE's abbreviation code (after the 12-byte header): not in the table
        FormatException e = assertThrows(FormatException.class,
                () -> dwarf(bad).memberOffsets(Set.of("task_struct.pid")));
        assertTrue(e.getMessage().contains("abbreviation 99"), e.getMessage());
    }

    /** A little byte writer for the sections. */
    private static final class Bytes {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();
        private final ByteOrder order;

        Bytes(ByteOrder order) {
            this.order = order;
        }

        Bytes u8(int v) {
            out.write(v);
            return this;
        }

        Bytes u16(int v) {
            return bytes(ByteBuffer.allocate(2).order(order).putShort((short) v).array());
        }

        Bytes u32(int v) {
            return bytes(ByteBuffer.allocate(4).order(order).putInt(v).array());
        }

        Bytes uleb(long v) {
            do {
                int b = (int) (v & 0x7f);
                v >>>= 7;
                out.write(v != 0 ? b | 0x80 : b);
            } while (v != 0);
            return this;
        }

        Bytes sleb(long v) {
            while (true) {
                int b = (int) (v & 0x7f);
                v >>= 7;
                if ((v == 0 && (b & 0x40) == 0) || (v == -1 && (b & 0x40) != 0)) {
                    out.write(b);
                    return this;
                }
                out.write(b | 0x80);
            }
        }

        Bytes cstring(String s) {
            return bytes((s + "\0").getBytes(StandardCharsets.US_ASCII));
        }

        Bytes bytes(byte[] b) {
            out.write(b, 0, b.length);
            return this;
        }

        byte[] bytes() {
            return out.toByteArray();
        }
    }
}
