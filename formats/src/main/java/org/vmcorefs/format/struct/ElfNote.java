package org.vmcorefs.format.struct;

import org.vmcorefs.format.FormatException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * One ELF note: a 12-byte header (namesz, descsz, type), then the NUL-terminated name and the descriptor,
 * each padded to 4 bytes.
 *
 * <pre>
 * typedef struct { Elf64_Word n_namesz; Elf64_Word n_descsz; Elf64_Word n_type; } Elf64_Nhdr;
 * </pre>
 */
public record ElfNote(String name, int type, byte[] desc) {
    public static final int HEADER_SIZE = 12;
    public static final int NT_PRSTATUS = 1;
    public static final int NT_PRFPREG = 2;
    public static final int NT_PRPSINFO = 3;
    public static final int NT_VMCOREINFO = 0;
    public static final String CORE = "CORE";
    public static final String LINUX = "LINUX";
    public static final String VMCOREINFO = "VMCOREINFO";

    public ElfNote {
        desc = desc.clone();
    }

    @Override
    public byte[] desc() {
        return desc.clone();
    }

    /** The bytes this note takes in a file. */
    public int size() {
        return HEADER_SIZE + pad4(name.length() + 1) + pad4(desc.length);
    }

    static int pad4(int n) {
        return (n + 3) & ~3;
    }

    /** pad4 for sizes read from a file: in long, so that a huge namesz or descsz cannot wrap around. */
    private static long pad4Unsigned(int n) {
        return (Integer.toUnsignedLong(n) + 3) & ~3L;
    }

    public void writeTo(ByteBuffer buf, ByteOrder order) {
        ByteBuffer b = buf.slice(buf.position(), size()).order(order);
        byte[] nameBytes = name.getBytes(StandardCharsets.US_ASCII);
        b.putInt(nameBytes.length + 1).putInt(desc.length).putInt(type);
        b.put(nameBytes);
        for (int i = nameBytes.length; i < pad4(nameBytes.length + 1); i++) {
            b.put((byte) 0);
        }
        b.put(desc);
        for (int i = desc.length; i < pad4(desc.length); i++) {
            b.put((byte) 0);
        }
        buf.position(buf.position() + size());
    }

    /** All notes of a note segment, up to its end or an empty terminating header. */
    public static List<ElfNote> readAll(ByteBuffer segment, ByteOrder order) throws FormatException {
        ByteBuffer b = segment.slice().order(order);
        List<ElfNote> notes = new ArrayList<>();
        while (b.remaining() >= HEADER_SIZE) {
            int namesz = b.getInt();
            int descsz = b.getInt();
            int type = b.getInt();
            if (namesz == 0 && descsz == 0) {
                break;
            }
            if (pad4Unsigned(namesz) + pad4Unsigned(descsz) > b.remaining()) {
                throw new FormatException("note at offset " + (b.position() - HEADER_SIZE) + " overruns its segment"
                        + " (namesz " + Integer.toUnsignedString(namesz) + ", descsz "
                        + Integer.toUnsignedString(descsz) + ")");
            }
            byte[] nameBytes = new byte[namesz];
            b.get(nameBytes);
            b.position(b.position() + pad4(namesz) - namesz);
            int len = 0;
            while (len < nameBytes.length && nameBytes[len] != 0) {
                len++;
            }
            byte[] d = new byte[descsz];
            b.get(d);
            b.position(Math.min(b.limit(), b.position() + pad4(descsz) - descsz));
            notes.add(new ElfNote(new String(nameBytes, 0, len, StandardCharsets.US_ASCII), type, d));
        }
        return notes;
    }
}
