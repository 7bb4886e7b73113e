package org.vmcorefs.machine.synthetic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.vmcorefs.machine.CrashedSystem;
import org.vmcorefs.machine.MemoryRange;
import org.vmcorefs.machine.mechanism.Kdump;
import org.vmcorefs.machine.memory.PhysicalMemory;
import org.vmcorefs.machine.memory.SyntheticMemory;

/**
 * The synthetic x86_64 kernel read the way makedumpfile reads it: VMCOREINFO, then 4-level page tables from
 * init_top_pgt, mem_section roots, struct pages, the printk ring.
 */
class SyntheticX86KernelTest {
    private static final long GIB = 1L << 30;
    private static final Instant CRASH = Instant.ofEpochSecond(1700000000L);

    private static Map<String, String> info(CrashedSystem s) {
        Map<String, String> m = new HashMap<>();
        for (String line : s.kernel().vmcoreinfo().split("\n")) {
            int eq = line.indexOf('=');
            m.put(line.substring(0, eq), line.substring(eq + 1));
        }
        return m;
    }

    private static long u64(PhysicalMemory mem, long pa) throws Exception {
        ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        mem.read(pa, b);
        return b.getLong(0);
    }

    private static long hex(Map<String, String> m, String key) {
        return Long.parseUnsignedLong(m.get(key), 16);
    }

    /** makedumpfile's __vtop4_x86_64, written from the x86_64 paging rules. */
    private static long vtop(PhysicalMemory mem, long pgd, long va) throws Exception {
        long mask = 0x000ffffffffff000L;
        long e = u64(mem, pgd + ((va >>> 39) & 511) * 8);
        assertTrue((e & 1) != 0, "pgd present for " + Long.toHexString(va));
        e = u64(mem, (e & mask) + ((va >>> 30) & 511) * 8);
        assertTrue((e & 1) != 0, "pud present for " + Long.toHexString(va));
        if ((e & 0x80) != 0) {
            return (e & mask & -GIB) + (va & (GIB - 1));
        }
        e = u64(mem, (e & mask) + ((va >>> 21) & 511) * 8);
        assertTrue((e & 1) != 0, "pmd present for " + Long.toHexString(va));
        assertTrue((e & 0x80) != 0, "2 MiB page");
        return (e & mask & -(2L << 20)) + (va & ((2L << 20) - 1));
    }

    @Test
    void pageTablesStructPagesAndTheLogAreWhereVmcoreinfoSays() throws Exception {
        long size = 6 * GIB;
        SyntheticMemory synthetic = new SyntheticMemory(7, 0.5);
        List<MemoryRange> ram = SyntheticSystem.x86Ram(size);
        MemoryRange ck = Kdump.defaultCrashkernel(ram);
        CrashedSystem s = SyntheticSystem.x86_64(size, 2, synthetic, 0x2e00000, CRASH, ck);
        Map<String, String> m = info(s);
        PhysicalMemory mem = s.memory();
        long textVirtual = s.kernel().textVirtual();
        long physBase = Long.parseLong(m.get("NUMBER(phys_base)"));
        long pgd = hex(m, "SYMBOL(init_top_pgt)") - 0xffffffff80000000L + physBase;
        // Kernel image addresses and the direct map translate as the PT_LOADs say.
        assertEquals(s.kernel().textPhysical() + 0x123456, vtop(mem, pgd, textVirtual + 0x123456));
        assertEquals(5 * GIB + 0x1234, vtop(mem, pgd, 0xffff888000000000L + 5 * GIB + 0x1234));
        // The uts name holds the release.
        long uts = vtop(mem, pgd, hex(m, "SYMBOL(init_uts_ns)"));
        byte[] release = new byte[65];
        mem.read(uts + 130, ByteBuffer.wrap(release));
        assertTrue(new String(release).startsWith(SyntheticSystem.OS_RELEASE + "\0"));
        // mem_section: root 0, section 40 (5 GiB) present, its mem_map decodes into the metadata region.
        long roots = vtop(mem, pgd, hex(m, "SYMBOL(mem_section)"));
        long root0 = u64(mem, roots);
        long section = u64(mem, vtop(mem, pgd, root0) + 40 * 32);
        assertEquals(0xf, section & 0x1f);
        long memmap = section & ~0x1fL;
        // Free (unpopulated) blocks are order-9 buddies, others not; and nothing in the crashkernel is free.
        int buddies = 0;
        int others = 0;
        for (long block = 2048; block < 2048 + 64; block++) {
            long pfn = block << 9;
            ByteBuffer page = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
            mem.read(vtop(mem, pgd, memmap + pfn * 64), page);
            int mapcount = page.getInt(48);
            if (!synthetic.isBlockPopulated(block)) {
                assertEquals(-129, mapcount, "block " + block);
                assertEquals(9, page.getLong(40));
                buddies++;
            } else {
                assertFalse(mapcount == -129);
                others++;
            }
        }
        assertTrue(buddies > 0 && others > 0, buddies + " " + others);
        // The printk ring: the marker line is in the text ring of the ring buffer prb points at.
        long rb = vtop(mem, pgd, u64(mem, vtop(mem, pgd, hex(m, "SYMBOL(prb)"))));
        long textRing = vtop(mem, pgd, u64(mem, rb + 56));
        byte[] text = new byte[1 << 14];
        mem.read(textRing, ByteBuffer.wrap(text));
        assertTrue(new String(text).contains(SyntheticX86Kernel.MARKER + " seed=7"));
        assertTrue(ck.end() <= s.ram().get(1).end());
    }

    @Test
    void theLargestDescribedMachineCostsNothingMoreAndLargerOnesKeepTheShortVmcoreinfo() {
        long start = System.nanoTime();
        long size = SyntheticX86Kernel.MAX_RAM_END - (2L << 30);
        CrashedSystem big = SyntheticSystem.x86_64(size, 1, new SyntheticMemory(1, 0.01), 0, CRASH,
                new MemoryRange(0, 0));
        assertTrue((System.nanoTime() - start) / 1_000_000 < 2000, "built lazily");
        assertNotNull(info(big).get("SYMBOL(mem_section)"));
        assertNull(SyntheticSystem.x86Kernel(1L << 40, new SyntheticMemory(1, 0.01), 0, CRASH, new MemoryRange(0, 0)),
                "a 1 TiB machine keeps the short VMCOREINFO (its struct pages would be 16 GiB of non-zero memory)");
    }
}
