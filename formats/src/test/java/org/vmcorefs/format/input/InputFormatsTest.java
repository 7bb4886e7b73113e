package org.vmcorefs.format.input;

import org.vmcorefs.format.FormatException;
import org.vmcorefs.format.MachineFactory;
import org.vmcorefs.format.MachineSpec;
import org.vmcorefs.format.env.CaptureEnvironments;
import org.vmcorefs.format.struct.S390DumpHeader;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vmcorefs.machine.Architecture;
import org.vmcorefs.machine.CrashedSystem;
import org.vmcorefs.machine.MemoryRange;
import org.vmcorefs.machine.memory.SyntheticMemory;
import org.vmcorefs.machine.synthetic.SyntheticSystem;

/** The probe loop: the order of the input formats, and each probe on its own first bytes and on the others'. */
class InputFormatsTest {
    @TempDir
    Path tmp;

    private static ByteBuffer ascii(String s) {
        return ByteBuffer.wrap(s.getBytes(StandardCharsets.ISO_8859_1));
    }

    /** The first bytes of a file of each format, in list order; the raw image's is nobody's signature. */
    private static Map<InputFormat, ByteBuffer> heads() {
        Map<InputFormat, ByteBuffer> heads = new LinkedHashMap<>();
        heads.put(KdumpCompressedReader.FORMAT, ascii("KDUMP   \u0006\0\0\0\0\0\0\0"));
        heads.put(ForeignDumps.DISKDUMP, ascii("DISKDUMP\0\0\0\0\0\0\0\0"));
        heads.put(ForeignDumps.FLATTENED, ascii("makedumpfile\0\0\0\0"));
        heads.put(ElfCoreReader.FORMAT, ByteBuffer.wrap(new byte[] {0x7f, 'E', 'L', 'F', 2, 1, 1, 0, 0, 0, 0, 0, 0,
            0, 0, 0}));
        heads.put(S390DumpReader.FORMAT, ByteBuffer.allocate(16).order(ByteOrder.BIG_ENDIAN)
                .putLong(0, S390DumpHeader.MAGIC).putInt(8, S390DumpHeader.VERSION));
        heads.put(RawImage.FORMAT, ascii("\0\0\0\0hello, world"));
        return heads;
    }

    @Test
    void theListIsInProbeOrder() {
        List<InputFormat> all = InputFormats.ALL;
        assertEquals(List.copyOf(heads().keySet()), all);
        assertTrue(all.indexOf(KdumpCompressedReader.FORMAT) < all.indexOf(ElfCoreReader.FORMAT));
        assertTrue(all.indexOf(ElfCoreReader.FORMAT) < all.indexOf(S390DumpReader.FORMAT));
        assertTrue(all.indexOf(ForeignDumps.DISKDUMP) < all.indexOf(RawImage.FORMAT));
        assertTrue(all.indexOf(ForeignDumps.FLATTENED) < all.indexOf(RawImage.FORMAT));
        assertSame(RawImage.FORMAT, all.get(all.size() - 1), "the raw image takes anything, so it comes last");
        assertEquals(List.of("kdump-compressed", "diskdump", "flattened makedumpfile stream", "ELF core", "s390 dump",
                "raw memory image"), all.stream().map(InputFormat::name).toList());
    }

    @Test
    void eachProbeAcceptsItsOwnHeadOnlyAndTheLoopPicksItsFormat() {
        Map<InputFormat, ByteBuffer> heads = heads();
        for (Map.Entry<InputFormat, ByteBuffer> head : heads.entrySet()) {
            for (InputFormat f : InputFormats.ALL) {
                boolean expected = f == head.getKey() || f == RawImage.FORMAT;
                assertEquals(expected, f.probe(head.getValue().duplicate()), f + " on the head of " + head.getKey());
            }
            assertSame(head.getKey(), InputFormats.probe(head.getValue()));
            assertEquals(0, head.getValue().position(), "probing leaves the head as it was");
        }
    }

    @Test
    void shortHeadsAreNobodysButTheRawImages() {
        for (String s : new String[] {"", "K", "KDUMP", "\u007fEL", "DISK", "makedumpfile"}) {
            assertSame(RawImage.FORMAT, InputFormats.probe(ascii(s)), "'" + s + "'");
        }
    }

    private ImageFile image(byte[] bytes) throws Exception {
        Path p = tmp.resolve("image" + System.nanoTime());
        Files.write(p, bytes);
        return ImageFile.of(p, FileChannel.open(p, StandardOpenOption.READ));
    }

    private static CrashedSystem synthetic(Architecture arch, Instant crashTime) {
        return SyntheticSystem.x86_64(64L << 20, 2, new SyntheticMemory(5, 1.0), 0, crashTime);
    }

    @Test
    void aRawImageTakesTheProfilesArchitectureAndSyntheticCpus() throws Exception {
        ImageFile image = image(new byte[3 * 4096]);
        CrashedSystem s = InputFormats.read(image, new InputContext(Architecture.X86_64, null,
                InputFormatsTest::synthetic));
        assertEquals(Architecture.X86_64, s.architecture());
        assertEquals(List.of(new MemoryRange(0, 3 * 4096)), s.ram());
        assertEquals(2, s.cpus().size());
        assertEquals(MachineSpec.DEFAULT_CRASH_TIME, s.crashTime());
        assertEquals("raw image " + image.path() + " (12288 bytes)", s.origin());
        Instant given = Instant.ofEpochSecond(1234567890L);
        assertEquals(given, InputFormats.read(image, new InputContext(Architecture.X86_64, given,
                InputFormatsTest::synthetic)).crashTime());
    }

    @Test
    void anEmptyImageIsRefused() throws Exception {
        ImageFile image = image(new byte[0]);
        FormatException e = assertThrows(FormatException.class, () -> InputFormats.read(image,
                new InputContext(Architecture.X86_64, null, InputFormatsTest::synthetic)));
        assertEquals(image.path() + ": image is empty", e.getMessage());
    }

    @Test
    void readsPastTheEndAreTruncations() throws Exception {
        ImageFile image = image(new byte[100]);
        assertEquals(100, image.readAt(0, 100).remaining());
        FormatException e = assertThrows(FormatException.class, () -> image.readAt(50, 51));
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
        assertThrows(FormatException.class, () -> image.readAt(-1, 1));
        assertEquals(16, image.head(16).remaining());
        assertEquals(100, image.head(4096).remaining());
    }

    /** A refused image gives its descriptor back at once, not when the collector gets round to it. */
    @Test
    void refusedImagesLeaveNoDescriptorOpen(@TempDir Path dir) throws Exception {
        Path raw = dir.resolve("raw.img");
        Files.write(raw, new byte[1 << 20]);
        Path diskdump = dir.resolve("diskdump");
        Files.write(diskdump, "DISKDUMP and then some".getBytes(StandardCharsets.ISO_8859_1));
        MachineSpec wrongProfile = MachineSpec.synthetic(CaptureEnvironments.S390X_ZFCPDUMP, 64L << 20, 1, 1)
                .withImage(raw).withOption("--hsa-size", "64M");
        MachineSpec foreign = MachineSpec.synthetic(CaptureEnvironments.X86_64_KDUMP, 64L << 20, 1, 1)
                .withImage(diskdump);
        long before = openDescriptors();
        for (int i = 0; i < 50; i++) {
            assertThrows(org.vmcorefs.machine.DumpException.class, () -> MachineFactory.create(wrongProfile));
            assertThrows(FormatException.class, () -> MachineFactory.create(foreign));
        }
        assertTrue(openDescriptors() <= before + 2, "descriptors " + before + " -> " + openDescriptors());
    }

    private static long openDescriptors() throws java.io.IOException {
        try (var s = Files.list(Path.of("/proc/self/fd"))) {
            return s.count();
        }
    }
}
