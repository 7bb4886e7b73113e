package org.vmcorefs.format.struct;

import org.vmcorefs.format.FormatException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The ELF64 file header.
 *
 * <pre>
 * typedef struct {
 *   unsigned char e_ident[16];  // 0x00: 7f 'E' 'L' 'F', class, data, version, OS ABI, ...
 *   Elf64_Half e_type;          // 0x10
 *   Elf64_Half e_machine;       // 0x12
 *   Elf64_Word e_version;       // 0x14
 *   Elf64_Addr e_entry;         // 0x18
 *   Elf64_Off  e_phoff;         // 0x20
 *   Elf64_Off  e_shoff;         // 0x28
 *   Elf64_Word e_flags;         // 0x30
 *   Elf64_Half e_ehsize;        // 0x34
 *   Elf64_Half e_phentsize;     // 0x36
 *   Elf64_Half e_phnum;         // 0x38
 *   Elf64_Half e_shentsize;     // 0x3a
 *   Elf64_Half e_shnum;         // 0x3c
 *   Elf64_Half e_shstrndx;      // 0x3e
 * } Elf64_Ehdr;                 // 0x40
 * </pre>
 *
 * An ELF32 header ({@code Elf32_Ehdr}, 0x34 bytes: e_entry, e_phoff and e_shoff are 4 bytes, so e_phoff is at
 * 0x1c, e_shoff 0x20, e_flags 0x24, e_ehsize 0x28, e_phentsize 0x2a, e_phnum 0x2c, e_shentsize 0x2e, e_shnum
 * 0x30, e_shstrndx 0x32) is read into and written from the same record, {@code elfClass} 32: every ELF32
 * value fits its ELF64 field.
 */
public record Elf64Ehdr(ByteOrder order, int type, int machine, long entry, long phoff, long shoff, int flags,
        int phnum, int shnum, int shstrndx, int elfClass) {
    public static final int SIZE = 0x40;
    /** The size of an ELF32 header. */
    public static final int SIZE_32 = 0x34;
    public static final int ET_EXEC = 2;
    public static final int ET_CORE = 4;
    /** e_phnum value meaning "the count is in section header 0's sh_info". */
    public static final int PN_XNUM = 0xffff;
    static final int EI_CLASS = 4;
    static final int EI_DATA = 5;
    static final int EI_VERSION = 6;
    static final int ELFCLASS64 = 2;
    static final int ELFCLASS32 = 1;
    static final int ELFDATA2LSB = 1;
    static final int ELFDATA2MSB = 2;
    static final int EV_CURRENT = 1;
    private static final int E_TYPE = 0x10;
    private static final int E_MACHINE = 0x12;
    private static final int E_VERSION = 0x14;
    private static final int E_ENTRY = 0x18;
    private static final int E_PHOFF = 0x20;
    private static final int E_SHOFF = 0x28;
    private static final int E_FLAGS = 0x30;
    private static final int E_EHSIZE = 0x34;
    private static final int E_PHENTSIZE = 0x36;
    private static final int E_PHNUM = 0x38;
    private static final int E_SHENTSIZE = 0x3a;
    private static final int E_SHNUM = 0x3c;
    private static final int E_SHSTRNDX = 0x3e;
    private static final int E32_ENTRY = 0x18;
    private static final int E32_PHOFF = 0x1c;
    private static final int E32_SHOFF = 0x20;
    private static final int E32_FLAGS = 0x24;
    private static final int E32_EHSIZE = 0x28;
    private static final int E32_PHENTSIZE = 0x2a;
    private static final int E32_PHNUM = 0x2c;
    private static final int E32_SHENTSIZE = 0x2e;
    private static final int E32_SHNUM = 0x30;
    private static final int E32_SHSTRNDX = 0x32;

    /** An ELF64 header. */
    public Elf64Ehdr(ByteOrder order, int type, int machine, long entry, long phoff, long shoff, int flags,
            int phnum, int shnum, int shstrndx) {
        this(order, type, machine, entry, phoff, shoff, flags, phnum, shnum, shstrndx, 64);
    }

    /** The size of the file header of ELF class {@code elfClass} (64 or 32). */
    public static int size(int elfClass) {
        return elfClass == 32 ? SIZE_32 : SIZE;
    }

    /** The size of this header. */
    public int size() {
        return size(elfClass);
    }

    /** A core file header with program headers right after it and no sections. */
    public static Elf64Ehdr core(ByteOrder order, int machine, int phnum) {
        return new Elf64Ehdr(order, ET_CORE, machine, 0, SIZE, 0, 0, phnum, 0, 0);
    }

    /** Writes the header at {@code buf}'s position, in this header's byte order, and advances it. */
    public void writeTo(ByteBuffer buf) {
        if (elfClass == 32) {
            writeTo32(buf);
            return;
        }
        ByteBuffer b = buf.slice(buf.position(), SIZE).order(order);
        b.put(0, (byte) 0x7f).put(1, (byte) 'E').put(2, (byte) 'L').put(3, (byte) 'F');
        b.put(EI_CLASS, (byte) ELFCLASS64);
        b.put(EI_DATA, (byte) (order == ByteOrder.LITTLE_ENDIAN ? ELFDATA2LSB : ELFDATA2MSB));
        b.put(EI_VERSION, (byte) EV_CURRENT);
        b.putShort(E_TYPE, (short) type);
        b.putShort(E_MACHINE, (short) machine);
        b.putInt(E_VERSION, EV_CURRENT);
        b.putLong(E_ENTRY, entry);
        b.putLong(E_PHOFF, phoff);
        b.putLong(E_SHOFF, shoff);
        b.putInt(E_FLAGS, flags);
        b.putShort(E_EHSIZE, (short) SIZE);
        b.putShort(E_PHENTSIZE, (short) Elf64Phdr.SIZE);
        b.putShort(E_PHNUM, (short) phnum);
        b.putShort(E_SHENTSIZE, (short) (shnum == 0 ? 0 : Elf64Shdr.SIZE));
        b.putShort(E_SHNUM, (short) shnum);
        b.putShort(E_SHSTRNDX, (short) shstrndx);
        buf.position(buf.position() + SIZE);
    }

    private void writeTo32(ByteBuffer buf) {
        ByteBuffer b = buf.slice(buf.position(), SIZE_32).order(order);
        b.put(0, (byte) 0x7f).put(1, (byte) 'E').put(2, (byte) 'L').put(3, (byte) 'F');
        b.put(EI_CLASS, (byte) ELFCLASS32);
        b.put(EI_DATA, (byte) (order == ByteOrder.LITTLE_ENDIAN ? ELFDATA2LSB : ELFDATA2MSB));
        b.put(EI_VERSION, (byte) EV_CURRENT);
        b.putShort(E_TYPE, (short) type);
        b.putShort(E_MACHINE, (short) machine);
        b.putInt(E_VERSION, EV_CURRENT);
        b.putInt(E32_ENTRY, (int) entry);
        b.putInt(E32_PHOFF, (int) phoff);
        b.putInt(E32_SHOFF, (int) shoff);
        b.putInt(E32_FLAGS, flags);
        b.putShort(E32_EHSIZE, (short) SIZE_32);
        b.putShort(E32_PHENTSIZE, (short) Elf64Phdr.SIZE_32);
        b.putShort(E32_PHNUM, (short) phnum);
        b.putShort(E32_SHENTSIZE, (short) 0);
        b.putShort(E32_SHNUM, (short) shnum);
        b.putShort(E32_SHSTRNDX, (short) shstrndx);
        buf.position(buf.position() + SIZE_32);
    }

    /**
     * The ELF class (64 or 32) of a file starting with {@code head}: its EI_CLASS byte; FormatException for
     * anything else, or no ELF magic.
     */
    public static int elfClassOf(ByteBuffer head) throws FormatException {
        ByteBuffer b = head.duplicate();
        if (b.remaining() < EI_CLASS + 1 || b.get(b.position()) != 0x7f || b.get(b.position() + 1) != 'E'
                || b.get(b.position() + 2) != 'L' || b.get(b.position() + 3) != 'F') {
            throw new FormatException("not an ELF file (bad magic)");
        }
        return switch (b.get(b.position() + EI_CLASS)) {
            case ELFCLASS64 -> 64;
            case ELFCLASS32 -> 32;
            default -> throw new FormatException("bad ELF class " + b.get(b.position() + EI_CLASS));
        };
    }

    /**
     * Reads an ELF64 or ELF32 header at {@code buf}'s position (which must hold {@link #SIZE} bytes for the
     * former, {@link #SIZE_32} for the latter); anything else fails with a clear message.
     */
    public static Elf64Ehdr readAnyFrom(ByteBuffer buf) throws FormatException {
        if (buf.remaining() > EI_CLASS && buf.get(buf.position() + EI_CLASS) == ELFCLASS32) {
            return readFrom32(buf);
        }
        return readFrom(buf);
    }

    private static Elf64Ehdr readFrom32(ByteBuffer buf) throws FormatException {
        if (buf.remaining() < SIZE_32) {
            throw new FormatException("too short for an ELF32 header: " + buf.remaining() + " bytes");
        }
        ByteBuffer b = buf.slice(buf.position(), SIZE_32);
        if (b.get(0) != 0x7f || b.get(1) != 'E' || b.get(2) != 'L' || b.get(3) != 'F') {
            throw new FormatException("not an ELF file (bad magic)");
        }
        ByteOrder order = byteOrder(b.get(EI_DATA));
        b.order(order);
        if (Short.toUnsignedInt(b.getShort(E32_PHENTSIZE)) != Elf64Phdr.SIZE_32
                && Short.toUnsignedInt(b.getShort(E32_PHNUM)) != 0) {
            throw new FormatException("bad e_phentsize " + b.getShort(E32_PHENTSIZE) + " for ELF32");
        }
        buf.position(buf.position() + SIZE_32);
        return new Elf64Ehdr(order, Short.toUnsignedInt(b.getShort(E_TYPE)),
                Short.toUnsignedInt(b.getShort(E_MACHINE)), Integer.toUnsignedLong(b.getInt(E32_ENTRY)),
                Integer.toUnsignedLong(b.getInt(E32_PHOFF)), Integer.toUnsignedLong(b.getInt(E32_SHOFF)),
                b.getInt(E32_FLAGS), Short.toUnsignedInt(b.getShort(E32_PHNUM)),
                Short.toUnsignedInt(b.getShort(E32_SHNUM)), Short.toUnsignedInt(b.getShort(E32_SHSTRNDX)), 32);
    }

    private static ByteOrder byteOrder(byte data) throws FormatException {
        return switch (data) {
            case ELFDATA2LSB -> ByteOrder.LITTLE_ENDIAN;
            case ELFDATA2MSB -> ByteOrder.BIG_ENDIAN;
            default -> throw new FormatException("bad ELF data encoding " + data);
        };
    }

    /** Reads a header at {@code buf}'s position; anything but a 64-bit ELF fails with a clear message. */
    public static Elf64Ehdr readFrom(ByteBuffer buf) throws FormatException {
        if (buf.remaining() < SIZE) {
            throw new FormatException("too short for an ELF64 header: " + buf.remaining() + " bytes");
        }
        ByteBuffer b = buf.slice(buf.position(), SIZE);
        if (b.get(0) != 0x7f || b.get(1) != 'E' || b.get(2) != 'L' || b.get(3) != 'F') {
            throw new FormatException("not an ELF file (bad magic)");
        }
        if (b.get(EI_CLASS) != ELFCLASS64) {
            throw new FormatException("not a 64-bit ELF file (class " + b.get(EI_CLASS) + ")");
        }
        ByteOrder order = switch (b.get(EI_DATA)) {
            case ELFDATA2LSB -> ByteOrder.LITTLE_ENDIAN;
            case ELFDATA2MSB -> ByteOrder.BIG_ENDIAN;
            default -> throw new FormatException("bad ELF data encoding " + b.get(EI_DATA));
        };
        b.order(order);
        if (Short.toUnsignedInt(b.getShort(E_PHENTSIZE)) != Elf64Phdr.SIZE
                && Short.toUnsignedInt(b.getShort(E_PHNUM)) != 0) {
            throw new FormatException("bad e_phentsize " + b.getShort(E_PHENTSIZE));
        }
        buf.position(buf.position() + SIZE);
        return new Elf64Ehdr(order, Short.toUnsignedInt(b.getShort(E_TYPE)),
                Short.toUnsignedInt(b.getShort(E_MACHINE)), b.getLong(E_ENTRY), b.getLong(E_PHOFF),
                b.getLong(E_SHOFF), b.getInt(E_FLAGS), Short.toUnsignedInt(b.getShort(E_PHNUM)),
                Short.toUnsignedInt(b.getShort(E_SHNUM)), Short.toUnsignedInt(b.getShort(E_SHSTRNDX)));
    }
}
