package org.vmcorefs.format.input;

import org.vmcorefs.format.FormatException;
import org.vmcorefs.format.struct.CoreNotes;
import org.vmcorefs.format.struct.ElfNote;
import org.vmcorefs.format.struct.ElfPrstatus;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.Deflater;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vmcorefs.machine.Architecture;
import org.vmcorefs.machine.CpuState;
import org.vmcorefs.machine.CrashedSystem;
import org.vmcorefs.machine.DumpException;
import org.vmcorefs.machine.MemoryRange;

/** KdumpCompressedReader on small dumps written here the way makedumpfile lays them out. */
class KdumpCompressedReaderTest {
    private static final int BLOCK = 4096;
    private static final Architecture X86 = Architecture.X86_64;

    @TempDir
    Path tmp;

    private final List<FileChannel> open = new ArrayList<>();

    @AfterEach
    void close() throws Exception {
        for (FileChannel ch : open) {
            ch.close();
        }
    }

    /** Page {@code pfn}'s bytes in the crashed system: compressible text, different on every page. */
    private static byte[] page(int pfn) {
        byte[] b = new byte[BLOCK];
        byte[] line = String.format("page %d of the crashed system\n", pfn).getBytes(StandardCharsets.US_ASCII);
        for (int i = 0; i < BLOCK; i++) {
            b[i] = line[i % line.length];
        }
        return b;
    }

    /**
     * A version-6 dump of 16 pages of RAM (pfns 0-15) of which {@code dumped} are in the file, pfn 5 stored
     * and the others zlib-compressed, with {@code status} in the header.
     */
    private Path dump(int status, int... dumped) throws Exception {
        return dump(X86, status, dumped);
    }

    /** {@link #dump(int, int...)} with the NT_PRSTATUS of {@code arch}, all little-endian. */
    private Path dump(Architecture arch, int status, int... dumped) throws Exception {
        long[] registers = new long[arch.registerNames().size()];
        Arrays.setAll(registers, i -> 0x1000L * (i + 1));
        List<ElfNote> notes = List.of(
                new ElfNote(ElfNote.CORE, ElfNote.NT_PRSTATUS, ElfPrstatus.of(new CpuState(arch, 0,
                        registers, new byte[0]), 93)),
                new ElfNote(ElfNote.VMCOREINFO, ElfNote.NT_VMCOREINFO,
                        "OSRELEASE=6.1.0-test\nPAGESIZE=4096\nCRASHTIME=1795415009\n".getBytes(StandardCharsets.US_ASCII)));
        ByteBuffer noteBytes = CoreNotes.encode(notes, arch);
        int subBlocks = 1;
        int bitmapBlocks = 2;
        long noteAt = (long) BLOCK * (1 + subBlocks) - 512;
        long descAt = (long) BLOCK * (1 + subBlocks + bitmapBlocks);
        long dataAt = descAt + (long) dumped.length * KdumpCompressedReader.PAGE_DESC_SIZE;

        ByteBuffer file = ByteBuffer.allocate(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
        file.put(KdumpCompressedReader.SIGNATURE.getBytes(StandardCharsets.US_ASCII));
        file.putInt(KdumpCompressedReader.HEADER_VERSION, 6);
        file.putLong(KdumpCompressedReader.TIMESTAMP, 1795415000L);
        file.putInt(KdumpCompressedReader.STATUS, status);
        file.putInt(KdumpCompressedReader.BLOCK_SIZE, BLOCK);
        file.putInt(KdumpCompressedReader.SUB_HDR_SIZE, subBlocks);
        file.putInt(KdumpCompressedReader.BITMAP_BLOCKS, bitmapBlocks);
        file.putInt(KdumpCompressedReader.MAX_MAPNR, 16);
        file.putLong(BLOCK + KdumpCompressedReader.SUB_OFFSET_NOTE, noteAt);
        file.putLong(BLOCK + KdumpCompressedReader.SUB_SIZE_NOTE, noteBytes.remaining());
        file.putLong(BLOCK + KdumpCompressedReader.SUB_MAX_MAPNR_64, 16);
        file.put((int) noteAt, noteBytes, 0, noteBytes.remaining());
        long bitmap1 = (long) BLOCK * (1 + subBlocks);
        file.putShort((int) bitmap1, (short) 0xffff);
        long second = 0;
        for (int pfn : dumped) {
            second |= 1L << pfn;
        }
        file.putLong((int) (bitmap1 + BLOCK), second);
        long at = dataAt;
        int[] sorted = dumped.clone();
        Arrays.sort(sorted);
        for (int i = 0; i < sorted.length; i++) {
            byte[] data = page(sorted[i]);
            int flags = 0;
            if (sorted[i] != 5) {
                Deflater d = new Deflater();
                d.setInput(data);
                d.finish();
                byte[] out = new byte[BLOCK * 2];
                int n = d.deflate(out);
                d.end();
                data = Arrays.copyOf(out, n);
                flags = KdumpCompressedReader.DUMP_DH_COMPRESSED_ZLIB;
            }
            int desc = (int) descAt + i * KdumpCompressedReader.PAGE_DESC_SIZE;
            file.putLong(desc, at).putInt(desc + 8, data.length).putInt(desc + 12, flags);
            file.put((int) at, data);
            at += data.length;
        }
        Path p = tmp.resolve("dump" + System.nanoTime());
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ch.write(file.position(0).limit((int) at));
        }
        return p;
    }

    private CrashedSystem read(Path p) throws Exception {
        FileChannel ch = FileChannel.open(p, StandardOpenOption.READ);
        open.add(ch);
        return KdumpCompressedReader.read(ImageFile.of(p, ch));
    }

    private static byte[] bytes(CrashedSystem s, long address, int length) throws DumpException {
        ByteBuffer b = ByteBuffer.allocate(length);
        s.memory().read(address, b);
        return b.array();
    }

    @Test
    void pagesNotesAndRamComeBack() throws Exception {
        CrashedSystem s = read(dump(KdumpCompressedReader.DUMP_DH_COMPRESSED_ZLIB, 1, 2, 5, 15));
        assertEquals(List.of(new MemoryRange(0, 16 * BLOCK)), s.ram());
        assertEquals("6.1.0-test", s.kernel().osRelease());
        assertTrue(s.kernel().vmcoreinfo().contains("CRASHTIME=1795415009"));
        assertEquals(1795415009L, s.crashTime().getEpochSecond());
        assertEquals(1, s.cpus().size());
        assertEquals(93, s.cpus().get(0).pid());
        for (int pfn : new int[] {1, 2, 5, 15}) {
            assertArrayEquals(page(pfn), bytes(s, (long) pfn * BLOCK, BLOCK), "pfn " + pfn);
        }
        assertArrayEquals(new byte[BLOCK], bytes(s, 3L * BLOCK, BLOCK), "a filtered-out page reads as zeros");
        byte[] across = bytes(s, 2L * BLOCK - 100, 200);
        assertArrayEquals(Arrays.copyOfRange(page(1), BLOCK - 100, BLOCK), Arrays.copyOfRange(across, 0, 100));
        assertArrayEquals(Arrays.copyOfRange(page(2), 0, 100), Arrays.copyOfRange(across, 100, 200));
    }

    @Test
    void otherCompressionsAreRefusedByName() throws Exception {
        FormatException lzo = assertThrows(FormatException.class, () -> read(dump(0x2, 1)));
        assertTrue(lzo.getMessage().contains("LZO"), lzo.getMessage());
        FormatException zstd = assertThrows(FormatException.class, () -> read(dump(0x20, 1)));
        assertTrue(zstd.getMessage().contains("zstd"), zstd.getMessage());
    }

    @Test
    void aCorruptPageFailsItsReadOnly() throws Exception {
        Path p = dump(KdumpCompressedReader.DUMP_DH_COMPRESSED_ZLIB, 1, 2);
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            long desc = (long) BLOCK * 4;
            ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            ch.read(b, desc);
            ch.write(ByteBuffer.wrap(new byte[] {0x55, 0x55, 0x55, 0x55}), b.getLong(0));
        }
        CrashedSystem s = read(p);
        DumpException e = assertThrows(DumpException.class, () -> bytes(s, BLOCK, 16));
        assertTrue(e.getMessage().contains("pfn 0x1"), e.getMessage());
        assertArrayEquals(page(2), bytes(s, 2L * BLOCK, BLOCK));
    }

    /** {@code p} with {@code machine} as its header's utsname.machine. */
    private static Path withMachine(Path p, String machine) throws Exception {
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(machine.getBytes(StandardCharsets.US_ASCII)), KdumpCompressedReader.UTS_MACHINE);
        }
        return p;
    }

    @Test
    void theArchitectureIsTheOneUtsnameNames() throws Exception {
        CrashedSystem named = read(withMachine(dump(KdumpCompressedReader.DUMP_DH_COMPRESSED_ZLIB, 1, 2), "x86_64"));
        CrashedSystem unnamed = read(dump(KdumpCompressedReader.DUMP_DH_COMPRESSED_ZLIB, 1, 2));
        assertEquals(X86, named.architecture());
        assertEquals(X86, unnamed.architecture(), "an empty utsname.machine is read as x86_64");
        assertEquals(unnamed.ram(), named.ram());
        assertArrayEquals(unnamed.cpus().get(0).registers(), named.cpus().get(0).registers());
        assertArrayEquals(bytes(unnamed, BLOCK, 2 * BLOCK), bytes(named, BLOCK, 2 * BLOCK));
        FormatException e = assertThrows(FormatException.class,
                () -> read(withMachine(dump(KdumpCompressedReader.DUMP_DH_COMPRESSED_ZLIB, 1), "riscv64")));
        assertTrue(e.getMessage().contains("riscv64 machine"), e.getMessage());
    }

    /**
     * QEMU's "Unknown" machine (its dump of the arm64 guest): the architecture is the one whose elf_prstatus
     * has the size of the first NT_PRSTATUS, 392 bytes for arm64, 336 for x86_64; a size no architecture has
     * names none.
     */
    @Test
    void anUnknownMachineIsTheOneItsPrstatusSizeNames() throws Exception {
        Architecture arm64 = Architecture.ARM64;
        Path p = withMachine(dump(arm64, KdumpCompressedReader.DUMP_DH_COMPRESSED_ZLIB, 1, 2), "Unknown\0");
        CrashedSystem s = read(p);
        assertEquals(arm64, s.architecture());
        assertEquals(0x1000L * (arm64.registerIndex("pc") + 1), s.cpus().get(0).get("pc"));
        assertArrayEquals(page(2), bytes(s, 2L * BLOCK, BLOCK));
        assertEquals(arm64, InputFormats.architecture(ImageFile.of(p, open(p))), "what --image picks the profile by");
        assertEquals(X86, read(withMachine(dump(KdumpCompressedReader.DUMP_DH_COMPRESSED_ZLIB, 1), "Unknown\0"))
                .architecture());
        Path odd = withMachine(dump(KdumpCompressedReader.DUMP_DH_COMPRESSED_ZLIB, 1), "Unknown\0");
        try (FileChannel ch = FileChannel.open(odd, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            // The first note's n_descsz, 336, made 340: no architecture's elf_prstatus.
            long noteAt = (long) BLOCK * 2 - 512;
            ch.write(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(0, 340), noteAt + 4);
        }
        FormatException e = assertThrows(FormatException.class, () -> read(odd));
        assertTrue(e.getMessage().contains("Unknown machine"), e.getMessage());
    }

    private FileChannel open(Path p) throws Exception {
        FileChannel ch = FileChannel.open(p, StandardOpenOption.READ);
        open.add(ch);
        return ch;
    }

    @Test
    void recognizedBySignature() {
        assertTrue(KdumpCompressedReader.isKdumpCompressed(ByteBuffer.wrap("KDUMP   \0\0".getBytes(
                StandardCharsets.ISO_8859_1))));
        assertTrue(!KdumpCompressedReader.isKdumpCompressed(ByteBuffer.wrap("KDUMP".getBytes(
                StandardCharsets.ISO_8859_1))));
    }
}
