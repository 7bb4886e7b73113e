package org.vmcorefs.format.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.vmcorefs.format.struct.ElfNote;
import org.vmcorefs.format.FormatException;
import org.vmcorefs.format.struct.Vmcoreinfo;

/**
 * Fuzzes the note parsers directly (an --image as a whole is fuzzed by {@link ImageFuzzTest}): a note segment
 * and its VMCOREINFO either parse or fail with a FormatException; any other exception is a finding. `make test`
 * replays the saved corpus (src/test/resources/.../ParserFuzzTestInputs); `make fuzz` fuzzes for a bounded time
 * and saves what crashes there.
 */
class ParserFuzzTest {
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
