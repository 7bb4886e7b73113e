package org.vmcorefs.machine.mechanism;

import org.vmcorefs.machine.DumpException;
import org.vmcorefs.machine.Errno;
import org.vmcorefs.machine.EventLog;
import org.vmcorefs.machine.MemoryRange;
import org.vmcorefs.machine.memory.ReservedMemory;
import org.vmcorefs.machine.memory.SavedArea;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The POWER hypervisor's dump as the kernel booted after the crash sees it (phyp-assisted dump on POWER6, and
 * its successor fadump, which uses the same firmware interface and reservation model): where the hypervisor
 * put the CPU state, the HPTEs and its copy of the low memory, the memory kept reserved for the dump, what has
 * been released, and whether the dump is still active and the hypervisor registered for the next crash.
 */
public final class FirmwareDump {
    private static final Logger LOG = LoggerFactory.getLogger(FirmwareDump.class);

    /** Which kernel interface serves the dump. */
    public enum Kind {
        /** Phyp-assisted dump (Linux 2.6.27-2.6.33): /sys/kernel/release_region. */
        PHYP,
        /** Firmware-assisted dump: /sys/kernel/fadump/ and /proc/vmcore. */
        FADUMP
    }

    private final Kind kind;
    private final MemoryRange bootMemory;
    private final MemoryRange cpuState;
    private final MemoryRange hpte;
    private final MemoryRange bootMemoryCopy;
    private final MemoryRange dumpArea;
    private final MemoryRange inPlace;
    private final ReservedMemory reservations;
    private final SavedArea savedArea;
    private final EventLog events;
    private volatile boolean dumpActive = true;
    private volatile boolean registered;

    /**
     * @param bootMemory the low memory the hypervisor copied away before the kernel booted into it
     * @param cpuState where the hypervisor saved the CPUs' state
     * @param hpte where it saved the hashed page table entries
     * @param bootMemoryCopy where it put its copy of {@code bootMemory}
     * @param dumpArea the area registered with the hypervisor (scratch area), holding the three above
     * @param inPlace the crashed system's memory that stayed where it was, reserved until released
     */
    public FirmwareDump(Kind kind, MemoryRange bootMemory, MemoryRange cpuState, MemoryRange hpte,
            MemoryRange bootMemoryCopy, MemoryRange dumpArea, MemoryRange inPlace, ReservedMemory reservations,
            SavedArea savedArea, EventLog events) {
        this.kind = kind;
        this.bootMemory = bootMemory;
        this.cpuState = cpuState;
        this.hpte = hpte;
        this.bootMemoryCopy = bootMemoryCopy;
        this.dumpArea = dumpArea;
        this.inPlace = inPlace;
        this.reservations = reservations;
        this.savedArea = savedArea;
        this.events = events;
    }

    public Kind kind() {
        return kind;
    }

    public MemoryRange bootMemory() {
        return bootMemory;
    }

    public MemoryRange cpuState() {
        return cpuState;
    }

    public MemoryRange hpte() {
        return hpte;
    }

    public MemoryRange bootMemoryCopy() {
        return bootMemoryCopy;
    }

    public MemoryRange dumpArea() {
        return dumpArea;
    }

    public MemoryRange inPlace() {
        return inPlace;
    }

    public ReservedMemory reservations() {
        return reservations;
    }

    public SavedArea savedArea() {
        return savedArea;
    }

    /** Whether the crashed system's memory is still there to be read (false once it has all been released). */
    public boolean dumpActive() {
        return dumpActive;
    }

    /** Whether the hypervisor is armed to save the next crash. */
    public boolean registered() {
        return registered;
    }

    /**
     * The first still-reserved run of {@code area} (its start and the length up to the next released page), or
     * an empty range at 0 when all of it has been released.
     */
    public MemoryRange firstReservedRun(MemoryRange area) {
        List<MemoryRange> left = reservations.stillReservedIn(List.of(area));
        return left.isEmpty() ? new MemoryRange(0, 0) : left.get(0);
    }

    /**
     * phyp-assisted dump's release_region: gives {@code range} back to the running system. Once nothing is
     * reserved any more the dump is invalidated and the hypervisor registered again, as the kernel's
     * track_freed_range() does.
     */
    public synchronized void release(MemoryRange range) throws DumpException {
        reservations.release(range);
        afterRelease();
    }

    /** fadump's release_mem: EPERM unless a dump is active; then frees everything and invalidates the dump. */
    public synchronized void releaseAll() throws DumpException {
        if (!dumpActive) {
            throw new DumpException(Errno.EPERM, "no active dump to release");
        }
        reservations.releaseAll();
        afterRelease();
    }

    private void afterRelease() {
        if (!savedArea.released() && reservations.stillReservedIn(List.of(bootMemoryCopy)).isEmpty()) {
            // The hypervisor's copy of the boot memory is gone: nothing can fetch it any more.
            savedArea.release();
        }
        if (dumpActive && reservations.fullyReleased()) {
            dumpActive = false;
            events.record("invalidate", kind + " dump invalidated: all reserved memory released");
            LOG.info("{} dump invalidated: all reserved memory released", kind);
            if (kind == Kind.PHYP) {
                // phyp_dump.c re-registers the dump area at once (register_dump_area after invalidate_last_dump);
                // fadump leaves registration to user space (echo 1 > /sys/kernel/fadump/registered).
                registered = true;
                events.record("register", "hypervisor dump area registered at " + dumpArea);
            }
        }
    }

    /** fadump's registered: 1 registers (again), 0 unregisters; EPERM while a dump is active. */
    public synchronized void setRegistered(boolean on) throws DumpException {
        if (dumpActive) {
            throw new DumpException(Errno.EPERM, "cannot change the registration while a dump is active");
        }
        if (on) {
            // The kernel unregisters an existing registration first, then registers.
            if (registered) {
                events.record("unregister", "dump area " + dumpArea);
            }
            registered = true;
            events.record("register", "dump area " + dumpArea);
        } else if (registered) {
            registered = false;
            events.record("unregister", "dump area " + dumpArea);
        }
    }
}
