package org.vmcorefs.format.input;

import org.vmcorefs.format.FormatException;
import org.vmcorefs.format.struct.ElfNote;
import org.vmcorefs.format.struct.ElfPrstatus;
import org.vmcorefs.format.struct.Vmcoreinfo;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.vmcorefs.machine.Architecture;
import org.vmcorefs.machine.CpuState;

/**
 * What a dump's notes say of the crashed system: a CPU per "CORE" NT_PRSTATUS, in note order, with its
 * pr_pid, and the VMCOREINFO text ("" without one). Shared by every reader of kernel-written notes.
 */
record DumpNotes(List<CpuState> cpus, String vmcoreinfo) {
    static DumpNotes decode(List<ElfNote> notes, Architecture arch) throws FormatException {
        String vmcoreinfo = "";
        List<CpuState> cpus = new ArrayList<>();
        long[] blank = new long[arch.registerNames().size()];
        for (ElfNote n : notes) {
            if (n.name().equals(ElfNote.VMCOREINFO)) {
                vmcoreinfo = new String(n.desc(), StandardCharsets.US_ASCII).replace("\0", "");
            } else if (n.name().equals(ElfNote.CORE) && n.type() == ElfNote.NT_PRSTATUS) {
                cpus.add(new CpuState(arch, cpus.size(), ElfPrstatus.registers(n.desc(), arch, blank),
                        new byte[0], ElfPrstatus.pid(n.desc(), arch)));
            }
        }
        cpus = ArchitectureHooks.of(arch).cpus().of(notes, cpus);
        return new DumpNotes(List.copyOf(cpus), vmcoreinfo);
    }

    /** The VMCOREINFO's key/value pairs. */
    Map<String, String> info() {
        return Vmcoreinfo.parse(vmcoreinfo);
    }
}
