package org.vmcorefs.format.input;

import org.vmcorefs.format.MachineSpec;
import java.time.Instant;
import java.util.List;
import org.vmcorefs.machine.Architecture;
import org.vmcorefs.machine.CrashedSystem;
import org.vmcorefs.machine.DumpException;
import org.vmcorefs.machine.MemoryRange;

/**
 * The last input format, which takes every file: a raw memory image, offset = physical address, of the
 * profile's architecture, with a synthetic system's CPUs and kernel.
 */
final class RawImage {
    static final InputFormat FORMAT = InputFormat.of("raw memory image", head -> true, RawImage::read);

    private RawImage() {
    }

    static CrashedSystem read(ImageFile image, InputContext context) throws DumpException {
        Architecture arch = context.architecture();
        Instant crashTime = context.crashTime() != null ? context.crashTime() : MachineSpec.DEFAULT_CRASH_TIME;
        CrashedSystem s = context.synthetic().of(arch, crashTime);
        return new CrashedSystem(arch, List.of(new MemoryRange(0, image.size())), image.memory(), s.cpus(),
                s.kernel().withVmcoreinfo(""),
                crashTime, "raw image " + image.path() + " (" + image.size() + " bytes)");
    }
}
