package org.vmcorefs.machine.synthetic;

import org.vmcorefs.machine.Architecture;
import org.vmcorefs.machine.CpuState;
import org.vmcorefs.machine.CrashedSystem;
import org.vmcorefs.machine.DumpException;
import org.vmcorefs.machine.Machine;
import org.vmcorefs.machine.MemoryRange;
import org.vmcorefs.machine.mechanism.Kdump;
import org.vmcorefs.machine.memory.PhysicalMemory;
import org.vmcorefs.machine.memory.SyntheticMemory;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The synthetic arm64 machine (QEMU virt) and kdump without a backup region. */
class SyntheticArm64Test {
    private static final long MIB = 1L << 20;

    @Test
    void ramStartsAtOneGibAndTheKernelTwoMibIn() {
        SyntheticMemory mem = new SyntheticMemory(4, 1.0);
        CrashedSystem s = SyntheticArm64.system(1L << 30, 3, mem, 0x200000L * 7, Instant.EPOCH);
        assertEquals(Architecture.ARM64, s.architecture());
        assertEquals(List.of(new MemoryRange(0x40000000L, 1L << 30)), s.ram());
        assertEquals(0x40200000L, s.kernel().textPhysical());
        assertEquals(0xffff800008000000L + 0xe00000L, s.kernel().textVirtual());
        Architecture a = Architecture.ARM64;
        long linear = a.directMapBase() + 0x40000000L;
        assertEquals(0xffff000000000000L, linear, "PHYS_OFFSET 0x40000000 is at PAGE_OFFSET");
        for (CpuState c : s.cpus()) {
            assertEquals(c.index() + 1, c.pid());
            assertTrue(Long.compareUnsigned(c.get("sp"), linear) >= 0
                    && Long.compareUnsigned(c.get("sp"), linear + (1L << 30)) < 0, "sp in the linear map");
            assertEquals(0, c.get("pc") & 3, "A64 instructions are 4-byte aligned");
            assertTrue(c.get("pc") - s.kernel().textVirtual() < SyntheticArm64.TEXT_SIZE);
            assertEquals(0x3c5L, c.get("pstate") & 0x0fffffffL);
        }
        assertThrows(IllegalArgumentException.class, () -> SyntheticArm64.ram(128 * MIB));
        assertThrows(IllegalArgumentException.class,
                () -> SyntheticArm64.system(1L << 30, 1, mem, 0x1000, Instant.EPOCH));
    }

    @Test
    void theArm64RowHasTheKernelImageMappingApartFromTheLinearMap() {
        Architecture a = Architecture.ARM64;
        assertEquals(Architecture.ARM64, Architecture.fromName("aarch64"));
        assertEquals("arm64", a.shortName());
        assertEquals(0xffff800008000000L, a.kernelTextBase(), "KIMAGE_VADDR with 48-bit VAs");
        assertTrue(a.kernelMap().contains(0xffffa06d9d800000L), "the real dump's _text with KASLR");
        assertTrue(!a.kernelMap().contains(0xffff4c93c0000000L), "the real dump's linear map");
        assertTrue(!a.kernelMap().contains(0xfffffc0000000000L), "vmemmap");
        assertEquals(0xffff000000000000L, a.linearMapStart());
        assertEquals(0, a.loadAlign());
        assertEquals(392, a.prstatusSize());
        assertEquals(List.of("x29", "x30", "sp", "pc", "pstate"), a.registerNames().subList(29, 34));
    }

    @Test
    void kdumpWithoutBackupCutsOnlyTheReservation() throws Exception {
        SyntheticMemory mem = new SyntheticMemory(5, 1.0);
        CrashedSystem s = SyntheticArm64.system(1L << 30, 1, mem, 0, Instant.EPOCH);
        MemoryRange ck = new MemoryRange(0x66c00000L, 320 * MIB);
        PhysicalMemory capture = new SyntheticMemory(99, 1.0);
        Machine m = Kdump.buildWithoutBackup("arm64-kdump", s, ck, capture);
        assertEquals(List.of(new MemoryRange(0x40000000L, 0x26c00000L), new MemoryRange(0x7ac00000L, 0x5400000L)),
                m.dumpRanges());
        assertNull(m.savedArea(), "no kexec backup region on arm64");
        assertEquals(ck, m.reserved());
        for (long at : new long[] {0x40000000L, 0x66bff000L, 0x7ac00000L}) {
            assertEquals(page(mem, at), page(m.oldMemory(), at));
            assertEquals(page(mem, at), page(m.currentMemory(), at), "the capture kernel stayed in its region");
        }
        assertEquals(page(capture, 0x66c00000L), page(m.currentMemory(), 0x66c00000L));
        assertThrows(IllegalArgumentException.class, () -> Kdump.buildWithoutBackup("arm64-kdump", s,
                new MemoryRange(0x7ff00000L, 2 * MIB), capture));
        assertEquals(new MemoryRange(0x78000000L, 128 * MIB),
                Kdump.placeCrashkernel(s.ram(), 128 * MIB, 2 * MIB, 0));
    }

    private static ByteBuffer page(PhysicalMemory m, long at) throws DumpException {
        ByteBuffer b = ByteBuffer.allocate(4096);
        m.read(at, b);
        return b.flip();
    }
}
