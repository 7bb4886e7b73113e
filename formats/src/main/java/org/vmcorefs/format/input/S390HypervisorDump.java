package org.vmcorefs.format.input;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.vmcorefs.format.FormatException;
import org.vmcorefs.format.struct.Vmcoreinfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vmcorefs.machine.Architecture;
import org.vmcorefs.machine.CpuState;
import org.vmcorefs.machine.CrashedSystem;
import org.vmcorefs.machine.DumpException;
import org.vmcorefs.machine.KernelInfo;
import org.vmcorefs.machine.MemoryRange;
import org.vmcorefs.machine.mechanism.S390SaveArea;
import org.vmcorefs.machine.synthetic.SyntheticS390;

/**
 * An s390x dump a hypervisor wrote (QEMU's dump-guest-memory, ELF or kdump-compressed) made into the
 * crashed system a zfcpdump finds. Such a dump holds the guest's memory and every CPU's registers in its
 * notes, but no VMCOREINFO note (s390 QEMU has no fw_cfg for the guest to hand it over), and its memory
 * has the registers nowhere. On a real machine the registers are in memory when the dump starts: the
 * dump IPL stores the IPL CPU's status in the absolute lowcore, and a store status puts each CPU's in
 * its own lowcore save area. So:
 * <ul>
 * <li>each CPU's registers are laid into its lowcore save area (prefix + 0x1200) and the first CPU's
 * (taken as the IPL CPU) also into the absolute lowcore's, the register fields only, as
 * {@link SyntheticS390#withSaveAreas} does for a synthetic machine;
 * <li>VMCOREINFO is read where the zfcpdump kernel reads it (arch/s390/kernel/crash_dump.c,
 * get_vmcoreinfo_old): the note the absolute lowcore's pointer at 0xe0c names. (A 6.1 zfcpdump
 * kernel does not look at os_info: os_info_old_init gives up without a kdump's oldmem.)
 * </ul>
 * A dump that has a VMCOREINFO note was written by a kernel (a copy of /proc/vmcore): it is left as it is.
 */
final class S390HypervisorDump {
    private static final Logger LOG = LoggerFactory.getLogger(S390HypervisorDump.class);
    /** The prefix register addresses an 8 KiB lowcore. */
    private static final long LOWCORE_ALIGN = 0x2000;

    private S390HypervisorDump() {
    }

    /**
     * The CPUs whose registers a store status can put in memory: a non-zero prefix (an 8 KiB-aligned lowcore,
     * as the prefix register holds it) whose save area lies in RAM, each prefix once (the first CPU naming it).
     */
    private static List<CpuState> storable(CrashedSystem system) {
        List<CpuState> cpus = new ArrayList<>();
        Set<Long> prefixes = new HashSet<>();
        for (CpuState cpu : system.cpus()) {
            long p = cpu.get("prefix");
            boolean inRam = MemoryRange.insideOne(system.ram(),
                    new MemoryRange(p + S390SaveArea.BASE, S390SaveArea.SIZE));
            if (p != 0 && p % LOWCORE_ALIGN == 0 && inRam && prefixes.add(p)) {
                cpus.add(cpu);
            } else {
                LOG.warn("{}: CPU {}'s prefix 0x{} is not a lowcore in RAM (or another CPU's): its registers are "
                        + "not stored in memory", system.origin(), cpu.index(), Long.toHexString(p));
            }
        }
        return cpus;
    }

    /** {@code system} as a zfcpdump finds it, if it is an s390x hypervisor dump; otherwise unchanged. */
    static CrashedSystem complete(CrashedSystem system) throws DumpException {
        if (system.architecture() != Architecture.S390X || !system.kernel().vmcoreinfo().isEmpty()) {
            return system;
        }
        CrashedSystem stored;
        try {
            stored = system.withMemory(SyntheticS390.withSaveAreas(system.memory(), storable(system)));
        } catch (IllegalArgumentException e) {
            throw new FormatException(system.origin() + ": the CPUs' lowcores cannot hold their registers: "
                    + e.getMessage(), e);
        }
        String text = S390DumpReader.vmcoreinfo(stored.memory(), stored.endOfRam());
        if (text.isEmpty()) {
            LOG.warn("{}: no VMCOREINFO note, and none where the absolute lowcore points (0xe0c): the views "
                    + "will synthesize one", system.origin());
            return stored;
        }
        KernelInfo k = stored.kernel();
        String release = Vmcoreinfo.parse(text).getOrDefault("OSRELEASE", k.osRelease());
        LOG.info("{}: VMCOREINFO of {} from the absolute lowcore's pointer; CPU registers laid into {} lowcores",
                system.origin(), release, system.cpus().size());
        return stored.withKernel(new KernelInfo(release, k.textVirtual(), k.textPhysical(), k.textSize(),
                k.kaslrOffset(), text, k.directMapBase()));
    }
}
