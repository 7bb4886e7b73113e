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
 */
public record Elf64Phdr(int type, int flags, long offset, long vaddr, long paddr, long filesz, long memsz,
        long align) {
    public static final int SIZE = 0x38;
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
