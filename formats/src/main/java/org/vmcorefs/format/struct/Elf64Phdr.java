package org.vmcorefs.format.struct;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * An ELF64 program header.
 *
 * <pre>
 * typedef struct {
 *   Elf64_Word  p_type;    // 0x00
 *   Elf64_Word  p_flags;   // 0x04
 *   Elf64_Off   p_offset;  // 0x08
 *   Elf64_Addr  p_vaddr;   // 0x10
 *   Elf64_Addr  p_paddr;   // 0x18
 *   Elf64_Xword p_filesz;  // 0x20
 *   Elf64_Xword p_memsz;   // 0x28
 *   Elf64_Xword p_align;   // 0x30
 * } Elf64_Phdr;            // 0x38
 * </pre>
 *
 * An ELF32 program header ({@code Elf32_Phdr}, 0x20 bytes) has 4-byte fields in another order: p_type 0x00,
 * p_offset 0x04, p_vaddr 0x08, p_paddr 0x0c, p_filesz 0x10, p_memsz 0x14, p_flags 0x18, p_align 0x1c; it is
 * read into and written from the same record (values as unsigned 32-bit numbers).
 */
public record Elf64Phdr(int type, int flags, long offset, long vaddr, long paddr, long filesz, long memsz,
        long align) {
    public static final int SIZE = 0x38;
    /** The size of an ELF32 program header. */
    public static final int SIZE_32 = 0x20;
    public static final int PT_LOAD = 1;
    public static final int PT_NOTE = 4;
    public static final int PF_X = 1;
    public static final int PF_W = 2;
    public static final int PF_R = 4;
    public static final int PF_RWX = PF_R | PF_W | PF_X;
    private static final int P_TYPE = 0x00;
    private static final int P_FLAGS = 0x04;
    private static final int P_OFFSET = 0x08;
    private static final int P_VADDR = 0x10;
    private static final int P_PADDR = 0x18;
    private static final int P_FILESZ = 0x20;
    private static final int P_MEMSZ = 0x28;
    private static final int P_ALIGN = 0x30;

    /** The size of a program header of ELF class {@code elfClass} (64 or 32). */
    public static int size(int elfClass) {
        return elfClass == 32 ? SIZE_32 : SIZE;
    }

    /** Writes the header in the layout of ELF class {@code elfClass} (64 or 32). */
    public void writeTo(ByteBuffer buf, ByteOrder order, int elfClass) {
        if (elfClass != 32) {
            writeTo(buf, order);
            return;
        }
        ByteBuffer b = buf.slice(buf.position(), SIZE_32).order(order);
        b.putInt(0x00, type).putInt(0x04, (int) offset).putInt(0x08, (int) vaddr).putInt(0x0c, (int) paddr)
                .putInt(0x10, (int) filesz).putInt(0x14, (int) memsz).putInt(0x18, flags).putInt(0x1c, (int) align);
        buf.position(buf.position() + SIZE_32);
    }

    /** Reads a header in the layout of ELF class {@code elfClass} (64 or 32). */
    public static Elf64Phdr readFrom(ByteBuffer buf, ByteOrder order, int elfClass) {
        if (elfClass != 32) {
            return readFrom(buf, order);
        }
        ByteBuffer b = buf.slice(buf.position(), SIZE_32).order(order);
        buf.position(buf.position() + SIZE_32);
        return new Elf64Phdr(b.getInt(0x00), b.getInt(0x18), u32(b.getInt(0x04)), u32(b.getInt(0x08)),
                u32(b.getInt(0x0c)), u32(b.getInt(0x10)), u32(b.getInt(0x14)), u32(b.getInt(0x1c)));
    }

    private static long u32(int v) {
        return Integer.toUnsignedLong(v);
    }

    public void writeTo(ByteBuffer buf, ByteOrder order) {
        ByteBuffer b = buf.slice(buf.position(), SIZE).order(order);
        b.putInt(P_TYPE, type).putInt(P_FLAGS, flags).putLong(P_OFFSET, offset).putLong(P_VADDR, vaddr)
                .putLong(P_PADDR, paddr).putLong(P_FILESZ, filesz).putLong(P_MEMSZ, memsz).putLong(P_ALIGN, align);
        buf.position(buf.position() + SIZE);
    }

    public static Elf64Phdr readFrom(ByteBuffer buf, ByteOrder order) {
        ByteBuffer b = buf.slice(buf.position(), SIZE).order(order);
        buf.position(buf.position() + SIZE);
        return new Elf64Phdr(b.getInt(P_TYPE), b.getInt(P_FLAGS), b.getLong(P_OFFSET), b.getLong(P_VADDR),
                b.getLong(P_PADDR), b.getLong(P_FILESZ), b.getLong(P_MEMSZ), b.getLong(P_ALIGN));
    }
}
