package org.vmcorefs.machine;

/**
 * What is known of the crashed kernel: its release, where its text is mapped, and its VMCOREINFO text
 * (empty when the source had none, in which case the views synthesize one).
 *
 * @param osRelease {@code uname -r}
 * @param textVirtual virtual address of {@code _text}, or 0 when unknown
 * @param textPhysical physical address of {@code _text}
 * @param textSize bytes from {@code _text} to {@code _end}, or 0 when unknown
 * @param kaslrOffset the KASLR offset ({@code KERNELOFFSET})
 * @param vmcoreinfo the VMCOREINFO note text as the kernel wrote it, or ""
 * @param directMapBase virtual address of physical 0 in the kernel's linear map (x86_64 randomizes it with
 *     KASLR), or 0 when unknown: then the architecture's default applies
 */
public record KernelInfo(String osRelease, long textVirtual, long textPhysical, long textSize, long kaslrOffset,
        String vmcoreinfo, long directMapBase) {

    /** A kernel whose linear map is at the architecture's default place. */
    public KernelInfo(String osRelease, long textVirtual, long textPhysical, long textSize, long kaslrOffset,
            String vmcoreinfo) {
        this(osRelease, textVirtual, textPhysical, textSize, kaslrOffset, vmcoreinfo, 0);
    }

    public boolean textKnown() {
        return textVirtual != 0 && textSize > 0;
    }

    public KernelInfo withVmcoreinfo(String text) {
        return new KernelInfo(osRelease, textVirtual, textPhysical, textSize, kaslrOffset, text, directMapBase);
    }

    public KernelInfo withText(long virtual, long physical, long size) {
        return new KernelInfo(osRelease, virtual, physical, size, kaslrOffset, vmcoreinfo, directMapBase);
    }

    public KernelInfo withDirectMapBase(long base) {
        return new KernelInfo(osRelease, textVirtual, textPhysical, textSize, kaslrOffset, vmcoreinfo, base);
    }

    /** Where physical address 0 is in the linear map: the known base, else {@code arch}'s default. */
    public long directMapBase(Architecture arch) {
        return directMapBase != 0 ? directMapBase : arch.directMapBase();
    }
}
