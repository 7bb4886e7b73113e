package org.vmcorefs.format.input;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import org.vmcorefs.format.FormatException;

/**
 * The struct member offsets a debug vmlinux's DWARF (.debug_info, versions 2 to 5, 32-bit format) gives, for
 * a kernel built without BTF (Debian's i386, ppc64el and s390x kernels): the first complete definition of each
 * wanted struct, its direct members' DW_AT_data_member_location. Only the DIE tree is walked, compilation unit
 * by compilation unit, until every wanted member is found: the kernel's core structs are defined in its first
 * units, so the walk stops long before the end of the section. Names are DW_FORM_string, strp (.debug_str) or
 * line_strp (.debug_line_str); a name through str_offsets (strx, split DWARF) is not read.
 */
final class Dwarf {
    static final int TAG_STRUCTURE_TYPE = 0x13;
    static final int TAG_MEMBER = 0x0d;
    static final int AT_NAME = 0x03;
    static final int AT_DATA_MEMBER_LOCATION = 0x38;
    static final int AT_DECLARATION = 0x3c;
    static final int FORM_IMPLICIT_CONST = 0x21;
    static final int FORM_INDIRECT = 0x16;

    private final ByteBuffer info;
    private final ByteBuffer abbrev;
    private final ByteBuffer str;
    private final ByteBuffer lineStr;

    /** Sections as mapped from the vmlinux; {@code str} and {@code lineStr} may be null. */
    Dwarf(ByteBuffer info, ByteBuffer abbrev, ByteBuffer str, ByteBuffer lineStr, ByteOrder order) {
        this.info = info.duplicate().order(order);
        this.abbrev = abbrev.duplicate().order(order);
        this.str = str == null ? null : str.duplicate();
        this.lineStr = lineStr == null ? null : lineStr.duplicate();
    }

    /** One abbreviation: its tag, whether its DIEs have children, its attributes' names, forms and constants. */
    private record Abbrev(int tag, boolean children, int[] names, int[] forms, long[] consts) {
    }

    /**
     * The byte offsets of {@code wanted} ("struct.member") that the DWARF has: each struct's first definition
     * that is not a declaration.
     */
    Map<String, Long> memberOffsets(Set<String> wanted) throws FormatException {
        Map<String, Long> found = new HashMap<>();
        Set<String> structs = new java.util.HashSet<>();
        wanted.forEach(w -> structs.add(w.substring(0, w.indexOf('.'))));
        Set<String> done = new java.util.HashSet<>();
        int unit = 0;
        try {
            while (unit + 11 <= info.limit() && done.size() < structs.size()) {
                long length = Integer.toUnsignedLong(info.getInt(unit));
                if (length >= 0xfffffff0L) {
                    throw new FormatException(".debug_info: 64-bit DWARF units are not read");
                }
                int end = (int) (unit + 4 + length);
                int version = Short.toUnsignedInt(info.getShort(unit + 4));
                int at = unit + 6;
                long abbrevOffset;
                int addrSize;
                if (version >= 5) {
                    int unitType = info.get(at) & 0xff;
                    addrSize = info.get(at + 1) & 0xff;
                    abbrevOffset = Integer.toUnsignedLong(info.getInt(at + 2));
                    at += 6;
                    if (unitType == 2 || unitType == 6) { // DW_UT_type, DW_UT_split_type: signature, type offset
                        at += 12;
                    } else if (unitType == 4 || unitType == 5) { // DW_UT_skeleton, DW_UT_split_compile: dwo id
                        at += 8;
                    }
                } else if (version >= 2) {
                    abbrevOffset = Integer.toUnsignedLong(info.getInt(at));
                    addrSize = info.get(at + 4) & 0xff;
                    at += 5;
                } else {
                    throw new FormatException(".debug_info: DWARF version " + version + " at 0x"
                            + Integer.toHexString(unit));
                }
                walk(at, end, version, addrSize, abbrevs(abbrevOffset), structs, wanted, done, found);
                unit = end;
            }
        } catch (IndexOutOfBoundsException e) {
            throw new FormatException(".debug_info: a unit runs past the end of the section (at 0x"
                    + Integer.toHexString(unit) + ")", e);
        }
        return found;
    }

    /** Walks the DIEs of one unit in [at, end). */
    private void walk(int start, int end, int version, int addrSize, Map<Long, Abbrev> abbrevs, Set<String> structs,
            Set<String> wanted, Set<String> done, Map<String, Long> found) throws FormatException {
        int[] pos = {start};
        int depth = 0;
        // The struct being read: its name and the depth of its members; null when none.
        String struct = null;
        int structDepth = -1;
        while (pos[0] < end) {
            long code = uleb(pos);
            if (code == 0) {
                depth--;
                if (struct != null && depth < structDepth) {
                    done.add(struct);
                    struct = null;
                    if (done.size() == structs.size()) {
                        return;
                    }
                }
                continue;
            }
            Abbrev a = abbrevs.get(code);
            if (a == null) {
                throw new FormatException(".debug_info: abbreviation " + code + " not in the unit's table");
            }
            String name = null;
            long location = -1;
            boolean declaration = false;
            boolean wantName = a.tag == TAG_STRUCTURE_TYPE || (a.tag == TAG_MEMBER && struct != null
                    && depth == structDepth);
            for (int i = 0; i < a.names.length; i++) {
                int form = a.forms[i];
                if (form == FORM_INDIRECT) {
                    form = (int) uleb(pos);
                }
                int attr = a.names[i];
                if (attr == AT_NAME && wantName) {
                    name = string(form, pos);
                } else if (attr == AT_DATA_MEMBER_LOCATION && wantName) {
                    location = constant(form, pos, a.consts[i]);
                } else if (attr == AT_DECLARATION) {
                    declaration = form == 0x19 || constant(form, pos, a.consts[i]) != 0;
                } else {
                    skip(form, pos, version, addrSize);
                }
            }
            if (a.tag == TAG_STRUCTURE_TYPE && struct == null && name != null && !declaration && a.children
                    && structs.contains(name) && !done.contains(name)) {
                struct = name;
                structDepth = depth + 1;
            } else if (a.tag == TAG_MEMBER && struct != null && depth == structDepth && name != null
                    && location >= 0 && wanted.contains(struct + "." + name)) {
                found.putIfAbsent(struct + "." + name, location);
            }
            if (a.children) {
                depth++;
            }
        }
    }

    private Map<Long, Abbrev> abbrevs(long offset) throws FormatException {
        Map<Long, Abbrev> table = new HashMap<>();
        int[] pos = {(int) offset};
        while (true) {
            long code = ulebOf(abbrev, pos);
            if (code == 0) {
                return table;
            }
            int tag = (int) ulebOf(abbrev, pos);
            boolean children = abbrev.get(pos[0]++) != 0;
            java.util.List<long[]> attrs = new java.util.ArrayList<>();
            while (true) {
                long name = ulebOf(abbrev, pos);
                long form = ulebOf(abbrev, pos);
                long value = form == FORM_IMPLICIT_CONST ? slebOf(abbrev, pos) : 0;
                if (name == 0 && form == 0) {
                    break;
                }
                attrs.add(new long[] {name, form, value});
            }
            int[] names = new int[attrs.size()];
            int[] forms = new int[attrs.size()];
            long[] consts = new long[attrs.size()];
            for (int i = 0; i < names.length; i++) {
                names[i] = (int) attrs.get(i)[0];
                forms[i] = (int) attrs.get(i)[1];
                consts[i] = attrs.get(i)[2];
            }
            table.put(code, new Abbrev(tag, children, names, forms, consts));
        }
    }

    /** An unsigned LEB128 of .debug_info at {@code pos}, which it advances. */
    private long uleb(int[] pos) {
        return ulebOf(info, pos);
    }

    private static long ulebOf(ByteBuffer b, int[] pos) {
        long v = 0;
        int shift = 0;
        while (true) {
            int x = b.get(pos[0]++) & 0xff;
            if (shift < 64) {
                v |= (long) (x & 0x7f) << shift;
            }
            shift += 7;
            if ((x & 0x80) == 0) {
                return v;
            }
        }
    }

    private static long slebOf(ByteBuffer b, int[] pos) {
        long v = 0;
        int shift = 0;
        int x;
        do {
            x = b.get(pos[0]++) & 0xff;
            if (shift < 64) {
                v |= (long) (x & 0x7f) << shift;
            }
            shift += 7;
        } while ((x & 0x80) != 0);
        if (shift < 64 && (x & 0x40) != 0) {
            v |= -1L << shift;
        }
        return v;
    }

    /** A constant attribute's value (data1/2/4/8, udata, sdata, implicit_const), or -1 for another form. */
    private long constant(int form, int[] pos, long implicit) throws FormatException {
        switch (form) {
            case 0x0b:
                return info.get(pos[0]++) & 0xff;
            case 0x05: {
                long v = Short.toUnsignedInt(info.getShort(pos[0]));
                pos[0] += 2;
                return v;
            }
            case 0x06: {
                long v = Integer.toUnsignedLong(info.getInt(pos[0]));
                pos[0] += 4;
                return v;
            }
            case 0x07: {
                long v = info.getLong(pos[0]);
                pos[0] += 8;
                return v;
            }
            case 0x0f:
                return ulebOf(info, pos);
            case 0x0d:
                return slebOf(info, pos);
            case FORM_IMPLICIT_CONST:
                return implicit;
            case 0x0c:
                return info.get(pos[0]++) & 0xff;
            default:
                skip(form, pos, 5, 8);
                return -1;
        }
    }

    /** A name attribute's string, or null when its form is not read here (then it is skipped). */
    private String string(int form, int[] pos) throws FormatException {
        if (form == 0x08) {
            int start = pos[0];
            while (info.get(pos[0]) != 0) {
                pos[0]++;
            }
            byte[] s = new byte[pos[0] - start];
            info.get(start, s);
            pos[0]++;
            return new String(s, StandardCharsets.US_ASCII);
        }
        if ((form == 0x0e && str != null) || (form == 0x1f && lineStr != null)) {
            ByteBuffer b = form == 0x0e ? str : lineStr;
            int at = info.getInt(pos[0]);
            pos[0] += 4;
            int e = at;
            while (e < b.limit() && b.get(e) != 0) {
                e++;
            }
            byte[] s = new byte[e - at];
            b.get(at, s);
            return new String(s, StandardCharsets.US_ASCII);
        }
        skip(form, pos, 5, 8);
        return null;
    }

    /** Skips one attribute value of {@code form}. */
    private void skip(int form, int[] pos, int version, int addrSize) throws FormatException {
        switch (form) {
            case 0x01 -> pos[0] += addrSize; // addr
            case 0x0b, 0x0c, 0x11, 0x25, 0x29 -> pos[0] += 1; // data1, flag, ref1, strx1, addrx1
            case 0x05, 0x12, 0x26, 0x2a -> pos[0] += 2; // data2, ref2, strx2, addrx2
            case 0x27, 0x2b -> pos[0] += 3; // strx3, addrx3
            case 0x06, 0x0e, 0x13, 0x17, 0x1c, 0x1d, 0x1f, 0x28, 0x2c, 0x1f20, 0x1f21 -> pos[0] += 4;
            case 0x10 -> pos[0] += version <= 2 ? addrSize : 4; // ref_addr
            case 0x07, 0x14, 0x20, 0x24 -> pos[0] += 8; // data8, ref8, ref_sig8, ref_sup8
            case 0x1e -> pos[0] += 16; // data16
            case 0x0d -> slebOf(info, pos);
            case 0x0f, 0x15, 0x1a, 0x1b, 0x22, 0x23, 0x1f01, 0x1f02 -> ulebOf(info, pos);
            case 0x08 -> {
                while (info.get(pos[0]) != 0) {
                    pos[0]++;
                }
                pos[0]++;
            }
            case 0x09, 0x18 -> {
                long n = ulebOf(info, pos);
                pos[0] += (int) n;
            }
            case 0x0a -> pos[0] += 1 + (info.get(pos[0]) & 0xff);
            case 0x03 -> pos[0] += 2 + Short.toUnsignedInt(info.getShort(pos[0]));
            case 0x04 -> pos[0] += 4 + info.getInt(pos[0]);
            case 0x19, FORM_IMPLICIT_CONST -> {
            }
            case FORM_INDIRECT -> skip((int) ulebOf(info, pos), pos, version, addrSize);
            default -> throw new FormatException(".debug_info: attribute form 0x" + Integer.toHexString(form)
                    + " is not known");
        }
    }
}
