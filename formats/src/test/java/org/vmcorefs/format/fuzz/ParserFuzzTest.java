package org.vmcorefs.format.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.vmcorefs.format.CaptureEnvironment;
import org.vmcorefs.format.ElfCoreReader;
import org.vmcorefs.format.ElfNote;
import org.vmcorefs.format.FormatException;
import org.vmcorefs.format.ImageFile;
import org.vmcorefs.format.MachineFactory;
import org.vmcorefs.format.MachineSpec;
import org.vmcorefs.format.VirtualFile;
import org.vmcorefs.format.Vmcoreinfo;
import org.vmcorefs.machine.DumpException;
import org.vmcorefs.format.CaptureEnvironments;

/**
 * Fuzzes the parsers of untrusted input: a dump given as --image (headers, notes, segments) must either
 * become a machine whose files read without surprises, or fail with a DumpException; any other exception
 * is a finding. `make test` replays the saved corpus (src/test/resources/.../ParserFuzzTestInputs);
 * `make fuzz` fuzzes for a bounded time and saves what crashes there.
 */
class ParserFuzzTest {
    private static Path image;

    @BeforeAll
    static void createImageFile() throws IOException {
        image = Files.createTempFile("fuzz-image", ".elf");
    }

    @AfterAll
    static void deleteImageFile() throws IOException {
        Files.deleteIfExists(image);
    }

    /** An --image file: read as an ELF core and, if accepted, mounted as a machine whose files are read. */
    @FuzzTest(maxDuration = "60s")
    void imageFile(byte[] data) throws IOException {
        Files.write(image, data);
        try (FileChannel ch = FileChannel.open(image, StandardOpenOption.READ)) {
            ElfCoreReader.read(ImageFile.of(image, ch));
        } catch (DumpException expected) {
            return;
        }
        try {
            MachineSpec spec = MachineSpec.synthetic(CaptureEnvironments.X86_64_KDUMP, 64L << 20, 1, 1).withImage(image);
            for (VirtualFile f : CaptureEnvironment.of(MachineFactory.create(spec)).files().values()) {
                readEdges(f);
            }
        } catch (DumpException expected) {
            // Refused with a clear message (e.g. an image for another architecture): fine.
        }
    }

    private static void readEdges(VirtualFile f) {
        ByteBuffer dst = ByteBuffer.allocateDirect(8192);
        long size = f.size();
        for (long offset : new long[] {0, 4096, size / 2, Math.max(0, size - 100), size, size + 1}) {
            dst.clear();
            try {
                f.read(offset, dst);
            } catch (DumpException expected) {
                // A segment whose file bytes are gone reads as EIO: fine.
            }
        }
    }

    /** A note segment, as found in a dump's PT_NOTE, in both byte orders. */
    @FuzzTest(maxDuration = "30s")
    void notes(byte[] data) {
        for (ByteOrder order : new ByteOrder[] {ByteOrder.LITTLE_ENDIAN, ByteOrder.BIG_ENDIAN}) {
            try {
                for (ElfNote n : ElfNote.readAll(ByteBuffer.wrap(data), order)) {
                    if (n.name().equals(ElfNote.VMCOREINFO)) {
                        Vmcoreinfo.parse(new String(n.desc(), java.nio.charset.StandardCharsets.US_ASCII));
                    }
                }
            } catch (FormatException expected) {
                // Malformed notes are refused with a message.
            }
        }
    }
}
