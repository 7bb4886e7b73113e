package org.vmcorefs.format.input;

import java.nio.ByteBuffer;
import java.util.OptionalLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vmcorefs.format.FormatException;
import org.vmcorefs.format.struct.Vmcoreinfo;
import org.vmcorefs.machine.Architecture;
import org.vmcorefs.machine.CrashedSystem;
import org.vmcorefs.machine.DumpException;
import org.vmcorefs.machine.KernelInfo;

/**
 * QEMU's dumps of a POWER guest carry no VMCOREINFO note (pseries has no fw_cfg to hand it over), but the
 * kernel's own note is in the guest's memory: {@code vmcoreinfo_note} (kernel/crash_core.c) is a pointer, in
 * the linear map, to the ELF note that crash_save_vmcoreinfo_init filled at boot. With the dumped kernel's
 * vmlinux ({@code --vmlinux}) its symbol gives where the pointer is, so the replay serves the kernel's
 * VMCOREINFO as a kdump or fadump kernel would find it, and drgn, crash and makedumpfile know the kernel.
 * A dump that has a VMCOREINFO note already, or another architecture's, is left as it is.
 */
final class PowerQemuDump {
    private static final Logger LOG = LoggerFactory.getLogger(PowerQemuDump.class);

    private PowerQemuDump() {
    }

    /** {@code system} with the kernel's VMCOREINFO from its memory, where it is a POWER dump without one. */
    static CrashedSystem complete(CrashedSystem system, KernelSymbols symbols) throws DumpException {
        Architecture arch = system.architecture();
        if ((arch != Architecture.PPC64 && arch != Architecture.PPC64LE) || !system.kernel().vmcoreinfo().isEmpty()) {
            return system;
        }
        OptionalLong pointer = symbols == null ? OptionalLong.empty() : symbols.symbol("vmcoreinfo_note");
        if (pointer.isEmpty()) {
            LOG.warn("{}: no VMCOREINFO note; the kernel's is in memory at vmcoreinfo_note, which only the dumped "
                    + "kernel's vmlinux can locate (--vmlinux): the views will synthesize one", system.origin());
            return system;
        }
        long pageOffset = arch.directMapBase();
        long where = pointer.getAsLong() - pageOffset;
        if (where < 0 || where + 8 > system.endOfRam()) {
            return system;
        }
        ByteBuffer p = ByteBuffer.allocate(8).order(arch.byteOrder());
        system.memory().read(where, p);
        String text = S390DumpReader.vmcoreinfoNote(system.memory(), p.getLong(0) - pageOffset, system.endOfRam(),
                arch.byteOrder());
        if (text.isEmpty()) {
            LOG.warn("{}: vmcoreinfo_note (0x{}) points at no VMCOREINFO note: the views will synthesize one",
                    system.origin(), Long.toHexString(pointer.getAsLong()));
            return system;
        }
        String buildId = Vmcoreinfo.parse(text).get("BUILD-ID");
        if (buildId != null && symbols.buildId() != null && !symbols.buildId().isEmpty()
                && !buildId.trim().equalsIgnoreCase(symbols.buildId())) {
            throw new FormatException(system.origin() + ": the VMCOREINFO in its memory names build-id "
                    + buildId.trim() + ", but " + symbols.path() + " has " + symbols.buildId()
                    + ": not the dumped kernel's vmlinux");
        }
        KernelInfo k = system.kernel();
        String release = Vmcoreinfo.parse(text).getOrDefault("OSRELEASE", k.osRelease());
        LOG.info("{}: VMCOREINFO of {} from the kernel's vmcoreinfo_note", system.origin(), release);
        return system.withKernel(new KernelInfo(release, k.textVirtual(), k.textPhysical(), k.textSize(),
                k.kaslrOffset(), text, k.directMapBase()));
    }
}
