package org.vmcorefs.format.env.ppc64kdump;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.vmcorefs.format.MachineFactory;
import org.vmcorefs.format.MachineSpec;
import org.vmcorefs.format.env.CaptureEnvironments;
import org.vmcorefs.machine.DumpException;
import org.vmcorefs.machine.Machine;
import org.vmcorefs.machine.MemoryRange;
import org.vmcorefs.machine.memory.SyntheticMemory;

/** ppc64(le)-kdump: where the reservation goes, the PT_LOAD order kexec-tools gives, the backup of 64 KiB. */
class PowerKdumpTest {
    private static final long MIB = 1L << 20;

    private static Machine machine(String profile, long memory, String crashkernel) throws DumpException {
        MachineSpec spec = MachineSpec.synthetic(CaptureEnvironments.byId(profile), memory, 2, 7);
        return MachineFactory.create(crashkernel == null ? spec : spec.withOption("--crashkernel", crashkernel));
    }

    @Test
    void theReservationStartsAt512MiBAsOnAnLpar() throws Exception {
        assertEquals(new MemoryRange(512 * MIB, 256 * MIB), machine("ppc64le-kdump", 1L << 40, null).reserved());
        assertEquals(new MemoryRange(512 * MIB, 128 * MIB), machine("ppc64-kdump", 768 * MIB, null).reserved());
        assertTrue(machine("ppc64-kdump", 512 * MIB, null).reserved().isEmpty(), "128M does not fit above 512M");
        assertEquals(new MemoryRange(512 * MIB, 320 * MIB), machine("ppc64le-kdump", 1L << 30, "320M").reserved());
        // START and SIZE rounded up to a 64 KiB page, as reserve_crashkernel does.
        assertEquals(new MemoryRange(128 * MIB + 0x10000, 64 * MIB + 0x10000),
                machine("ppc64le-kdump", 1L << 30, "65537K@131073K").reserved());
    }

    @Test
    void reservationsTheKernelRefusesAreUsageErrors() {
        for (String bad : List.of("512M", "64M@16M", "16M", "128M@2G")) {
            DumpException e = assertThrows(DumpException.class, () -> machine("ppc64le-kdump", 768 * MIB, bad), bad);
            assertTrue(e.getMessage().contains("--crashkernel"), e.getMessage());
        }
    }

    @Test
    void kexecToolsListsTheBackupFirstAndTheRtasPageLast() throws Exception {
        Machine m = machine("ppc64le-kdump", 1L << 30, "320M");
        assertEquals(List.of(new MemoryRange(0, 0x10000), MemoryRange.ofEnd(0x10000, 512 * MIB),
                MemoryRange.ofEnd(832 * MIB, 1L << 30), new MemoryRange(0x2fff0000L, 0x10000)), m.dumpRanges());
        // Below 768 MiB the reservation does not hold RTAS: nothing is listed after the RAM.
        Machine small = machine("ppc64-kdump", 768 * MIB, null);
        assertEquals(List.of(new MemoryRange(0, 0x10000), MemoryRange.ofEnd(0x10000, 512 * MIB),
                MemoryRange.ofEnd(640 * MIB, 768 * MIB)), small.dumpRanges());
    }

    @Test
    void theFirst64KiBAreReadFromTheBackupBehindTheCaptureKernel() throws Exception {
        Machine m = machine("ppc64le-kdump", 1L << 30, "320M");
        SyntheticMemory crashed = new SyntheticMemory(7, 1.0);
        ByteBuffer want = ByteBuffer.allocate(0x10000);
        crashed.read(0, want);
        assertEquals(new MemoryRange(0, 0x10000), m.savedArea().range());
        ByteBuffer old = ByteBuffer.allocate(0x10000);
        m.oldMemory().read(0, old);
        assertEquals(want.flip(), old.flip(), "the crashed kernel's first 64 KiB");
        ByteBuffer copy = ByteBuffer.allocate(0x10000);
        m.currentMemory().read(0x22880000L, copy);
        assertEquals(want, copy.flip(), "the backup, behind the 0x2880000-byte capture kernel at 512 MiB");
        ByteBuffer now = ByteBuffer.allocate(0x10000);
        m.currentMemory().read(0, now);
        assertTrue(!now.flip().equals(want), "the capture kernel's vectors at 0");
        ByteBuffer rtas = ByteBuffer.allocate(0x10000);
        ByteBuffer rtasWas = ByteBuffer.allocate(0x10000);
        m.currentMemory().read(0x2fff0000L, rtas);
        crashed.read(0x2fff0000L, rtasWas);
        assertEquals(rtasWas.flip(), rtas.flip(), "RTAS inside the reservation is left alone");
    }
}
