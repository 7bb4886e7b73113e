package org.vmcorefs.format.input;

import org.vmcorefs.format.FormatException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.OptionalLong;

/**
 * A vmlinux's BPF Type Format section (.BTF, include/uapi/linux/btf.h), read only as far as needed for
 * struct member offsets: the kernel's own type information, present in the stripped and the debug vmlinux
 * alike (CONFIG_DEBUG_INFO_BTF). The section is read in place (a mapped buffer): the types are indexed by
 * id once (one int per type), and strings are compared where they lie.
 *
 * <pre>
 * struct btf_header { __u16 magic (0xeB9F); __u8 version; __u8 flags; __u32 hdr_len;
 *                     __u32 type_off; __u32 type_len; __u32 str_off; __u32 str_len; };
 * struct btf_type   { __u32 name_off; __u32 info (vlen 0-15, kind 24-28, kind_flag 31); __u32 size_or_type; };
 * struct btf_member { __u32 name_off; __u32 type; __u32 offset (bits; with kind_flag: bitfield size 24-31) };
 * </pre>
 */
final class Btf {
    static final int MAGIC = 0xeB9F;
    static final int HEADER_SIZE = 24;
    static final int TYPE_SIZE = 12;
    static final int KIND_INT = 1;
    static final int KIND_ARRAY = 3;
    static final int KIND_STRUCT = 4;
    static final int KIND_UNION = 5;
    static final int KIND_ENUM = 6;
    static final int KIND_TYPEDEF = 8;
    static final int KIND_VOLATILE = 9;
    static final int KIND_CONST = 10;
    static final int KIND_RESTRICT = 11;
    static final int KIND_FUNC_PROTO = 13;
    static final int KIND_VAR = 14;
    static final int KIND_DATASEC = 15;
    static final int KIND_DECL_TAG = 17;
    static final int KIND_TYPE_TAG = 18;
    static final int KIND_ENUM64 = 19;
    /** How deep anonymous structs and unions are followed (the kernel nests two or three). */
    private static final int MAX_DEPTH = 8;

    private final ByteBuffer section;
    private final int types;
    private final int strings;
    private final int stringsLength;
    /** Offset in {@link #section} of type id i + 1. */
    private final int[] typeAt;

    private Btf(ByteBuffer section, int types, int strings, int stringsLength, int[] typeAt) {
        this.section = section;
        this.types = types;
        this.strings = strings;
        this.stringsLength = stringsLength;
        this.typeAt = typeAt;
    }

    /** The BTF in {@code section} (its first byte is the header's), in whichever byte order its magic says. */
    static Btf read(ByteBuffer section) throws FormatException {
        ByteBuffer b = section.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        if (b.remaining() < HEADER_SIZE) {
            throw new FormatException(".BTF section too short: " + b.remaining() + " bytes");
        }
        if (Short.toUnsignedInt(b.getShort(0)) != MAGIC) {
            b.order(ByteOrder.BIG_ENDIAN);
            if (Short.toUnsignedInt(b.getShort(0)) != MAGIC) {
                throw new FormatException(String.format(".BTF section: bad magic 0x%04x", b.getShort(0)));
            }
        }
        long hdrLen = Integer.toUnsignedLong(b.getInt(4));
        long typeOff = hdrLen + Integer.toUnsignedLong(b.getInt(8));
        long typeLen = Integer.toUnsignedLong(b.getInt(12));
        long strOff = hdrLen + Integer.toUnsignedLong(b.getInt(16));
        long strLen = Integer.toUnsignedLong(b.getInt(20));
        if (typeOff + typeLen > b.limit() || strOff + strLen > b.limit()) {
            throw new FormatException(".BTF section: types or strings run past the section's end");
        }
        int[] at = new int[1024];
        int n = 0;
        long p = typeOff;
        long end = typeOff + typeLen;
        while (p < end) {
            if (p + TYPE_SIZE > end) {
                throw new FormatException(".BTF section: truncated type at " + p);
            }
            int info = b.getInt((int) p + 4);
            int vlen = info & 0xffff;
            long next = p + TYPE_SIZE + extra(kind(info), vlen);
            if (next > end) {
                throw new FormatException(".BTF section: type " + (n + 1) + " runs past the type section");
            }
            if (n == at.length) {
                at = java.util.Arrays.copyOf(at, n * 2);
            }
            at[n++] = (int) p;
            p = next;
        }
        return new Btf(b, (int) typeOff, (int) strOff, (int) strLen, java.util.Arrays.copyOf(at, n));
    }

    private static int kind(int info) {
        return (info >>> 24) & 0x1f;
    }

    /** The bytes that follow a btf_type of {@code kind} with {@code vlen} entries. */
    private static long extra(int kind, int vlen) throws FormatException {
        return switch (kind) {
            case KIND_INT, KIND_VAR, KIND_DECL_TAG -> 4;
            case KIND_ARRAY -> 12;
            case KIND_STRUCT, KIND_UNION, KIND_DATASEC, KIND_ENUM64 -> 12L * vlen;
            case KIND_ENUM, KIND_FUNC_PROTO -> 8L * vlen;
            case 2, 7, KIND_TYPEDEF, KIND_VOLATILE, KIND_CONST, KIND_RESTRICT, 12, 16, KIND_TYPE_TAG -> 0;
            default -> throw new FormatException(".BTF section: unknown type kind " + kind);
        };
    }

    /** How many types there are. */
    int typeCount() {
        return typeAt.length;
    }

    /**
     * The byte offset of {@code member} in {@code struct name} (a struct or union), looking into its anonymous
     * structs and unions as C does; empty if there is no such type or member, or the member is a bit field
     * not on a byte boundary.
     */
    OptionalLong memberOffset(String name, String member) {
        byte[] want = name.getBytes(StandardCharsets.US_ASCII);
        for (int at : typeAt) {
            int k = kind(section.getInt(at + 4));
            if ((k == KIND_STRUCT || k == KIND_UNION) && (section.getInt(at + 4) & 0xffff) > 0
                    && nameIs(section.getInt(at), want)) {
                long bits = memberBits(at, member.getBytes(StandardCharsets.US_ASCII), 0);
                if (bits >= 0) {
                    return bits % 8 == 0 ? OptionalLong.of(bits / 8) : OptionalLong.empty();
                }
            }
        }
        return OptionalLong.empty();
    }

    /** The bit offset of {@code member} in the struct or union at {@code at}, or -1. */
    private long memberBits(int at, byte[] member, int depth) {
        int info = section.getInt(at + 4);
        boolean bitfields = info < 0;
        int vlen = info & 0xffff;
        for (int i = 0; i < vlen; i++) {
            int m = at + TYPE_SIZE + i * 12;
            int nameOff = section.getInt(m);
            long offset = Integer.toUnsignedLong(section.getInt(m + 8));
            if (bitfields) {
                offset &= 0xffffff;
            }
            if (nameOff != 0) {
                if (nameIs(nameOff, member)) {
                    return offset;
                }
                continue;
            }
            int inner = resolve(section.getInt(m + 4));
            if (inner >= 0 && depth < MAX_DEPTH) {
                int k = kind(section.getInt(inner + 4));
                if (k == KIND_STRUCT || k == KIND_UNION) {
                    long found = memberBits(inner, member, depth + 1);
                    if (found >= 0) {
                        return offset + found;
                    }
                }
            }
        }
        return -1;
    }

    /** The offset of type {@code id} with its typedefs and qualifiers taken off, or -1. */
    private int resolve(int id) {
        for (int hops = 0; hops < 16; hops++) {
            if (id <= 0 || id > typeAt.length) {
                return -1;
            }
            int at = typeAt[id - 1];
            int k = kind(section.getInt(at + 4));
            if (k != KIND_TYPEDEF && k != KIND_VOLATILE && k != KIND_CONST && k != KIND_RESTRICT
                    && k != KIND_TYPE_TAG) {
                return at;
            }
            id = section.getInt(at + 8);
        }
        return -1;
    }

    /** Whether the string at {@code nameOff} is {@code want}. */
    private boolean nameIs(int nameOff, byte[] want) {
        if (nameOff < 0 || (long) nameOff + want.length >= stringsLength) {
            return false;
        }
        int p = strings + nameOff;
        for (int i = 0; i < want.length; i++) {
            if (section.get(p + i) != want[i]) {
                return false;
            }
        }
        return section.get(p + want.length) == 0;
    }

    @Override
    public String toString() {
        return "BTF with " + typeAt.length + " types (type section at " + types + ")";
    }
}
