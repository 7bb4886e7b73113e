package org.vmcorefs.format.struct;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The fields of an ELF64 section header that a core file uses: with PN_XNUM, section 0's sh_info holds
 * the real program header count.
 *
 * <pre>
 * typedef struct {
 *   Elf64_Word sh_name;  Elf64_Word sh_type;  Elf64_Xword sh_flags;  Elf64_Addr sh_addr;   // 0x00..0x17
 *   Elf64_Off sh_offset; Elf64_Xword sh_size;                                           // 0x18, 0x20
 *   Elf64_Word sh_link;  // 0x28
 *   Elf64_Word sh_info;  // 0x2c
 *   Elf64_Xword sh_addralign; Elf64_Xword sh_entsize;                                    // 0x30, 0x38
 * } Elf64_Shdr;          // 0x40
 * </pre>
 */
public record Elf64Shdr(int info) {
    public static final int SIZE = 0x40;
    private static final int SH_INFO = 0x2c;

    public static Elf64Shdr readFrom(ByteBuffer buf, ByteOrder order) {
        ByteBuffer b = buf.slice(buf.position(), SIZE).order(order);
        buf.position(buf.position() + SIZE);
        return new Elf64Shdr(b.getInt(SH_INFO));
    }

    public void writeTo(ByteBuffer buf, ByteOrder order) {
        ByteBuffer b = buf.slice(buf.position(), SIZE).order(order);
        for (int i = 0; i < SIZE; i++) {
            b.put(i, (byte) 0);
        }
        b.putInt(SH_INFO, info);
        buf.position(buf.position() + SIZE);
    }
}
