package org.vmcorefs.it;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A minimal little-endian ELF64 reader written for the tests, independent of vmcorefs's own parsers: the
 * header, the program headers and the notes of a file read with plain positional reads.
 */
final class Elf {
    static final int PT_LOAD = 1;
    static final int PT_NOTE = 4;

    record Phdr(int type, int flags, long offset, long vaddr, long paddr, long filesz, long memsz, long align) {
        /** The page-widened bytes a vmcore holds for this PT_LOAD: [offset - paddr % 4096, roundup(end)). */
        long chunkStart() {
            return offset - Math.floorMod(paddr, 4096L);
        }

        long chunkEnd() {
            return (offset + filesz + 4095) / 4096 * 4096;
        }
    }

    record Note(String name, int type, byte[] desc) {
    }

    final int type;
    final int machine;
    final long phoff;
    final List<Phdr> phdrs;

    private Elf(int type, int machine, long phoff, List<Phdr> phdrs) {
        this.type = type;
        this.machine = machine;
        this.phoff = phoff;
        this.phdrs = phdrs;
    }

    static ByteBuffer read(Path file, long offset, int length) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "r")) {
            byte[] b = new byte[length];
            f.seek(offset);
            f.readFully(b);
            return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        }
    }

    static Elf read(Path file) throws IOException {
        ByteBuffer h = read(file, 0, 64);
        if (h.getInt(0) != 0x464c457f || h.get(4) != 2 || h.get(5) != 1) {
            throw new AssertionError(file + " is not a little-endian ELF64 file");
        }
        int phnum = Short.toUnsignedInt(h.getShort(0x38));
        long phoff = h.getLong(0x20);
        ByteBuffer p = read(file, phoff, 56 * phnum);
        List<Phdr> phdrs = new ArrayList<>();
        for (int i = 0; i < phnum; i++) {
            int o = 56 * i;
            phdrs.add(new Phdr(p.getInt(o), p.getInt(o + 4), p.getLong(o + 8), p.getLong(o + 16), p.getLong(o + 24),
                    p.getLong(o + 32), p.getLong(o + 40), p.getLong(o + 48)));
        }
        return new Elf(Short.toUnsignedInt(h.getShort(0x10)), Short.toUnsignedInt(h.getShort(0x12)), phoff,
                List.copyOf(phdrs));
    }

    List<Phdr> loads() {
        return phdrs.stream().filter(p -> p.type() == PT_LOAD).toList();
    }

    static List<Note> notes(Path file, Phdr note) throws IOException {
        ByteBuffer b = read(file, note.offset(), (int) note.filesz());
        List<Note> notes = new ArrayList<>();
        while (b.remaining() >= 12) {
            int namesz = b.getInt();
            int descsz = b.getInt();
            int type = b.getInt();
            byte[] name = new byte[namesz];
            b.get(name);
            b.position(b.position() + (-namesz & 3));
            byte[] desc = new byte[descsz];
            b.get(desc);
            b.position(Math.min(b.limit(), b.position() + (-descsz & 3)));
            notes.add(new Note(new String(name, 0, Math.max(0, namesz - 1), StandardCharsets.US_ASCII), type, desc));
        }
        return notes;
    }
}
