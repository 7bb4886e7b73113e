package org.vmcorefs.format.struct;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.vmcorefs.machine.Architecture;
import org.vmcorefs.machine.CpuState;
import org.vmcorefs.machine.Machine;

/** The merged notes of a /proc/vmcore: every CPU's notes in CPU order, then VMCOREINFO. */
public final class CoreNotes {
    private CoreNotes() {
    }

    /** The notes the kernel's vmcore would show for {@code machine}. */
    public static List<ElfNote> of(Machine machine) {
        List<ElfNote> notes = new ArrayList<>();
        for (CpuState cpu : machine.cpus()) {
            notes.add(new ElfNote(ElfNote.CORE, ElfNote.NT_PRSTATUS, ElfPrstatus.of(cpu, cpu.pid())));
        }
        notes.add(vmcoreinfo(machine));
        return notes;
    }

    /**
     * The notes of a POWER fadump kernel's /proc/vmcore: each CPU's NT_PRSTATUS with pr_pid 0, as
     * fadump_regs_to_elf_notes leaves it ("FIXME: How do i get PID?", arch/powerpc/kernel/fadump.c), whatever
     * task was current; then VMCOREINFO.
     */
    public static List<ElfNote> withoutPids(Machine machine) {
        List<ElfNote> notes = new ArrayList<>();
        for (CpuState cpu : machine.cpus()) {
            notes.add(new ElfNote(ElfNote.CORE, ElfNote.NT_PRSTATUS, ElfPrstatus.of(cpu, 0)));
        }
        notes.add(vmcoreinfo(machine));
        return notes;
    }

    /** The VMCOREINFO note: the crashed kernel's own text when known, a synthesized one otherwise. */
    public static ElfNote vmcoreinfo(Machine machine) {
        return new ElfNote(ElfNote.VMCOREINFO, ElfNote.NT_VMCOREINFO,
                vmcoreinfoText(machine).getBytes(StandardCharsets.US_ASCII));
    }

    public static String vmcoreinfoText(Machine machine) {
        String text = machine.kernel().vmcoreinfo();
        return text.isEmpty()
                ? Vmcoreinfo.synthesize(machine.architecture(), machine.kernel(), machine.system().crashTime())
                : text;
    }

    /** The notes laid end to end, with no terminating empty note, as the kernel merges them. */
    public static ByteBuffer encode(List<ElfNote> notes, Architecture arch) {
        int size = notes.stream().mapToInt(ElfNote::size).sum();
        ByteBuffer b = ByteBuffer.allocate(size);
        for (ElfNote n : notes) {
            n.writeTo(b, arch.byteOrder());
        }
        return b.flip();
    }
}
