package org.vmcorefs.machine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteOrder;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The per-architecture rows: lookups by ELF header and name, and rows that agree with themselves. */
class ArchitectureTest {
    @Test
    void anElfHeaderNamesOneArchitecture() {
        assertEquals(Optional.of(Architecture.X86_64), Architecture.ofElf(64, 62, ByteOrder.LITTLE_ENDIAN));
        assertEquals(Optional.of(Architecture.S390X), Architecture.ofElf(64, 22, ByteOrder.BIG_ENDIAN));
        assertEquals(Optional.of(Architecture.PPC64), Architecture.ofElf(64, 21, ByteOrder.BIG_ENDIAN));
        assertEquals(Optional.of(Architecture.PPC64LE), Architecture.ofElf(64, 21, ByteOrder.LITTLE_ENDIAN));
        assertEquals(Optional.empty(), Architecture.ofElf(64, 62, ByteOrder.BIG_ENDIAN));
        assertEquals(Optional.empty(), Architecture.ofElf(32, 62, ByteOrder.LITTLE_ENDIAN));
        assertEquals(List.of(Architecture.PPC64, Architecture.PPC64LE), Architecture.ofElfMachine(64, 21));
        assertEquals(List.of(Architecture.ARM64), Architecture.ofElfMachine(64, 183));
        assertTrue(Architecture.ofElfMachine(64, 243).isEmpty(), "EM_RISCV: no row");
        for (Architecture a : Architecture.values()) {
            assertEquals(Optional.of(a), Architecture.ofElf(a.elfClass(), a.elfMachine(), a.byteOrder()));
            assertEquals(a, Architecture.fromName(a.linuxName()));
        }
    }

    @Test
    void prstatusHoldsItsRegistersThenPrFpvalid() {
        for (Architecture a : Architecture.values()) {
            int word = a.elfClass() / 8;
            // struct elf_prstatus: pr_reg at 0x20 + 10 longs, then int pr_fpvalid, padded to a long.
            int prReg = 0x20 + 10 * word;
            int regs = a.prReg().stream().mapToInt(Architecture.PrReg::size).sum();
            assertEquals((prReg + regs + 4 + word - 1) / word * word, a.prstatusSize(), a.toString());
            for (Architecture.PrReg r : a.prReg()) {
                assertTrue(a.registerNames().contains(r.name()), a + " " + r);
                assertTrue(r.size() == 4 || r.size() == 8, a + " " + r);
            }
        }
        assertEquals(336, Architecture.X86_64.prstatusSize());
        assertEquals(336, Architecture.S390X.prstatusSize());
        assertEquals(504, Architecture.PPC64.prstatusSize());
    }

    @Test
    void onlyX86HasAKernelImageMapping() {
        Architecture.KernelMap map = Architecture.X86_64.kernelMap();
        assertEquals(0xffffffff81000000L, Architecture.X86_64.kernelTextBase());
        assertTrue(map.contains(0xffffffff80000000L));
        assertTrue(map.contains(0xffffffffbfffffffL));
        assertFalse(map.contains(0xffffffffc0000000L));
        assertFalse(map.contains(0xffff888000000000L));
        for (Architecture a : List.of(Architecture.S390X, Architecture.PPC64, Architecture.PPC64LE)) {
            assertFalse(a.hasKernelTextMapping());
            assertEquals(-1, a.kernelTextBase());
        }
    }
}
