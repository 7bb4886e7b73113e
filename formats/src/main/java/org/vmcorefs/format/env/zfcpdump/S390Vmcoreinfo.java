package org.vmcorefs.format.env.zfcpdump;

import org.vmcorefs.format.struct.ElfNote;
import org.vmcorefs.format.struct.Vmcoreinfo;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import org.vmcorefs.machine.memory.BytesMemory;
import org.vmcorefs.machine.CrashedSystem;
import org.vmcorefs.machine.memory.LayeredMemory;

/**
 * Where an s390x kernel keeps its VMCOREINFO: an ELF note in its data, whose address the absolute lowcore
 * holds at 0xe0c (lowcore.vmcore_info). The dump kernel and zgetdump read it from there; a synthetic
 * s390x system gets one, so that its dumps carry it as a real system's do.
 */
public final class S390Vmcoreinfo {
    /** Absolute lowcore: the address of the VMCOREINFO note (u64). */
    public static final long LC_VMCORE_INFO = 0xe0c;
    /** Where the synthetic kernel's note lies: in its data, 11 MiB into the image at 0x100000. */
    public static final long NOTE_ADDRESS = 0xc00000;

    private S390Vmcoreinfo() {
    }

    /** The note's bytes: "VMCOREINFO" note of type 0 holding {@code text}, big-endian. */
    public static byte[] note(String text) {
        ElfNote n = new ElfNote(ElfNote.VMCOREINFO, ElfNote.NT_VMCOREINFO, text.getBytes(StandardCharsets.US_ASCII));
        ByteBuffer b = ByteBuffer.allocate(n.size());
        n.writeTo(b, ByteOrder.BIG_ENDIAN);
        return b.array();
    }

    /** {@code system} with a synthesized VMCOREINFO in its kernel and in its memory, pointed to by the lowcore. */
    public static CrashedSystem plant(CrashedSystem system) {
        String text = Vmcoreinfo.synthesize(system.architecture(), system.kernel(), system.crashTime());
        byte[] note = note(text);
        byte[] pointer = ByteBuffer.allocate(8).order(ByteOrder.BIG_ENDIAN).putLong(NOTE_ADDRESS).array();
        LayeredMemory memory = LayeredMemory.over(system.memory())
                .put(NOTE_ADDRESS, note.length, new BytesMemory(note), 0)
                .put(LC_VMCORE_INFO, 8, new BytesMemory(pointer), 0).build();
        return system.withMemory(memory).withKernel(system.kernel().withVmcoreinfo(text));
    }
}
