package org.vmcorefs.machine;

import org.vmcorefs.machine.mechanism.FirmwareDump;
import org.vmcorefs.machine.memory.PhysicalMemory;
import org.vmcorefs.machine.memory.SavedArea;
import java.util.List;

/**
 * The simulated machine after the crash, as the capture environment finds it: the crashed system, the
 * dump mechanism that preserved it, the memory as it is now, and the hardware-saved area.
 *
 * <p>Three memories matter. {@link #system()}{@code .memory()} is memory at the crash.
 * {@link #currentMemory()} is physical memory now: the capture kernel has overwritten its own region and
 * whatever the mechanism reused. {@link #oldMemory()} is the crashed system's memory as the capture kernel
 * reaches it: current memory where it survived, the saved area where the hardware kept a copy.
 */
public final class Machine {
    private final String profile;
    private final CrashedSystem system;
    private final PhysicalMemory currentMemory;
    private final PhysicalMemory oldMemory;
    private final List<MemoryRange> dumpRanges;
    private final MemoryRange reserved;
    private final SavedArea savedArea;
    private final EventLog events;
    private final FirmwareDump firmwareDump;
    private Object environmentState;

    /**
     * @param dumpRanges the ranges of the crashed system's memory the dump shows, in the order its program
     *     headers list them (by address, but for what ppc64's kexec-tools lists last)
     * @param reserved the capture kernel's own region (crashkernel=), empty when there is none
     */
    public Machine(String profile, CrashedSystem system, PhysicalMemory currentMemory, PhysicalMemory oldMemory,
            List<MemoryRange> dumpRanges, MemoryRange reserved, SavedArea savedArea, EventLog events) {
        this(profile, system, currentMemory, oldMemory, dumpRanges, reserved, savedArea, events, null);
    }

    /** A machine whose dump the POWER hypervisor saved: {@code firmwareDump} holds its state. */
    public Machine(String profile, CrashedSystem system, PhysicalMemory currentMemory, PhysicalMemory oldMemory,
            List<MemoryRange> dumpRanges, MemoryRange reserved, SavedArea savedArea, EventLog events,
            FirmwareDump firmwareDump) {
        this.firmwareDump = firmwareDump;
        this.profile = profile;
        this.system = system;
        this.currentMemory = currentMemory;
        this.oldMemory = oldMemory;
        this.dumpRanges = List.copyOf(dumpRanges);
        this.reserved = reserved;
        this.savedArea = savedArea;
        this.events = events;
    }

    /** The name of the capture environment (profile) that built this machine, e.g. {@code x86_64-kdump}. */
    public String profile() {
        return profile;
    }

    public Architecture architecture() {
        return system.architecture();
    }

    public CrashedSystem system() {
        return system;
    }

    public List<CpuState> cpus() {
        return system.cpus();
    }

    public KernelInfo kernel() {
        return system.kernel();
    }

    public PhysicalMemory currentMemory() {
        return currentMemory;
    }

    public PhysicalMemory oldMemory() {
        return oldMemory;
    }

    public List<MemoryRange> dumpRanges() {
        return dumpRanges;
    }

    public MemoryRange reserved() {
        return reserved;
    }

    public SavedArea savedArea() {
        return savedArea;
    }

    public EventLog events() {
        return events;
    }

    /**
     * This machine with {@code state}: what its capture environment decided when it built it and needs again
     * for its files (i386 kdump: the ELF class of kexec's core headers). The same machine, changed once while
     * it is built, before any file exists.
     */
    public Machine withEnvironmentState(Object state) {
        this.environmentState = state;
        return this;
    }

    /** What the capture environment recorded with {@link #withEnvironmentState}, or null. */
    public Object environmentState() {
        return environmentState;
    }

    /** The POWER hypervisor's dump (phyp-assisted or fadump), or null for other mechanisms. */
    public FirmwareDump firmwareDump() {
        return firmwareDump;
    }
}
