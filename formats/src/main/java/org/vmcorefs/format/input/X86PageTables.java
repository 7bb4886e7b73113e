package org.vmcorefs.format.input;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.OptionalLong;
import org.vmcorefs.machine.Architecture;
import org.vmcorefs.machine.DumpException;
import org.vmcorefs.machine.memory.PhysicalMemory;

/**
 * The crashed x86_64 kernel's 4-level page tables, read from its memory: enough to find where the kernel
 * put its linear map (KASLR moves {@code page_offset_base} in 1 GiB steps) and how much of its image is
 * mapped, for dumps that do not say (QEMU's dump-guest-memory without paging).
 */
final class X86PageTables {
    static final long PRESENT = 1L;
    /** PS: the entry maps a 1 GiB (PUD) or 2 MiB (PMD) page instead of pointing to a table. */
    static final long PAGE_SIZE_BIT = 1L << 7;
    /** Bits 12..51 of an entry: the physical address of a table or page. */
    static final long ADDRESS_MASK = 0x000f_ffff_ffff_f000L;
    static final long PMD_SIZE = 1L << 21;
    static final long PUD_SIZE = 1L << 30;
    /**
     * __PAGE_OFFSET_BASE_L4: the lowest address KASLR gives the linear map (PGD index 273), which is also
     * where it is without KASLR.
     */
    static final long LINEAR_MAP_LOWEST = Architecture.X86_64.directMapBase();
    /** KERNEL_IMAGE_SIZE with KASLR: the kernel text mapping is at most 1 GiB. */
    static final long KERNEL_IMAGE_MAX = Architecture.X86_64.kernelMap().size();

    private final PhysicalMemory memory;
    private final long pgd;

    /** @param pgd physical address of the top-level table ({@code init_top_pgt}, alias swapper_pg_dir) */
    X86PageTables(PhysicalMemory memory, long pgd) {
        this.memory = memory;
        this.pgd = pgd;
    }

    private long entry(long table, int index) throws DumpException {
        ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        memory.read(table + index * 8L, b);
        return b.getLong(0);
    }

    private static int index(long vaddr, int shift) {
        return (int) ((vaddr >>> shift) & 511);
    }

    /** The physical address {@code vaddr} maps to, or empty where it is not mapped. */
    OptionalLong translate(long vaddr) throws DumpException {
        long e = entry(pgd, index(vaddr, 39));
        if ((e & PRESENT) == 0) {
            return OptionalLong.empty();
        }
        e = entry(e & ADDRESS_MASK, index(vaddr, 30));
        if ((e & PRESENT) == 0) {
            return OptionalLong.empty();
        }
        if ((e & PAGE_SIZE_BIT) != 0) {
            return OptionalLong.of((e & ADDRESS_MASK & ~(PUD_SIZE - 1)) + (vaddr & (PUD_SIZE - 1)));
        }
        e = entry(e & ADDRESS_MASK, index(vaddr, 21));
        if ((e & PRESENT) == 0) {
            return OptionalLong.empty();
        }
        if ((e & PAGE_SIZE_BIT) != 0) {
            return OptionalLong.of((e & ADDRESS_MASK & ~(PMD_SIZE - 1)) + (vaddr & (PMD_SIZE - 1)));
        }
        e = entry(e & ADDRESS_MASK, index(vaddr, 12));
        if ((e & PRESENT) == 0) {
            return OptionalLong.empty();
        }
        return OptionalLong.of((e & ADDRESS_MASK) + (vaddr & 0xfff));
    }

    /**
     * The linear map's base (the virtual address of physical 0): the lowest mapped kernel address at or
     * above {@link #LINEAR_MAP_LOWEST} belongs to the linear map, which KASLR places before vmalloc and
     * vmemmap; its virtual minus physical address is the base, which must be 1 GiB aligned and map
     * {@code probe} (a RAM address) to itself.
     */
    OptionalLong linearMapBase(long probe) throws DumpException {
        for (int i = index(LINEAR_MAP_LOWEST, 39); i < 512; i++) {
            long e = entry(pgd, i);
            if ((e & PRESENT) == 0) {
                continue;
            }
            long first = firstMapping(e, signExtend((long) i << 39), 30);
            if (first == -1) {
                continue;
            }
            long vaddr = first;
            long base = vaddr - translate(vaddr).orElseThrow();
            if (base % PUD_SIZE != 0 || translate(base + probe).orElse(-1) != probe) {
                return OptionalLong.empty();
            }
            return OptionalLong.of(base);
        }
        return OptionalLong.empty();
    }

    /** The lowest mapped virtual address under the entry {@code e} that covers {@code vaddr}, or -1. */
    private long firstMapping(long e, long vaddr, int childShift) throws DumpException {
        long table = e & ADDRESS_MASK;
        for (int j = 0; j < 512; j++) {
            long child = entry(table, j);
            if ((child & PRESENT) == 0) {
                continue;
            }
            long childVaddr = vaddr + ((long) j << childShift);
            if (childShift == 12 || (child & PAGE_SIZE_BIT) != 0) {
                return childVaddr;
            }
            long found = firstMapping(child, childVaddr, childShift - 9);
            if (found != -1) {
                return found;
            }
        }
        return -1;
    }

    /**
     * How much of the kernel image is mapped from {@code textVirtual} onwards: the kernel maps its image
     * with 2 MiB pages from {@code _text} to past {@code _brk_end} and clears the PMDs after that
     * (cleanup_highmap), so the first empty PMD ends the image. Freed init memory inside the image is
     * unmapped page by page under a present PMD, so it does not end it. Returns 0 when the mapping does not
     * lead to {@code textPhysical}.
     */
    long kernelImageSize(long textVirtual, long textPhysical) throws DumpException {
        if (translate(textVirtual).orElse(-1) != textPhysical) {
            return 0;
        }
        long size = PMD_SIZE - (textVirtual & (PMD_SIZE - 1));
        while (size < KERNEL_IMAGE_MAX) {
            long v = textVirtual + size;
            long pud = entry(pgd, index(v, 39));
            if ((pud & PRESENT) == 0) {
                break;
            }
            long pmdTable = entry(pud & ADDRESS_MASK, index(v, 30));
            if ((pmdTable & PRESENT) == 0 || (pmdTable & PAGE_SIZE_BIT) != 0) {
                break;
            }
            long pmd = entry(pmdTable & ADDRESS_MASK, index(v, 21));
            if ((pmd & PRESENT) == 0) {
                break;
            }
            if ((pmd & PAGE_SIZE_BIT) != 0 && (pmd & ADDRESS_MASK & ~(PMD_SIZE - 1)) != textPhysical + size) {
                break;
            }
            size += PMD_SIZE;
        }
        return size;
    }

    private static long signExtend(long vaddr) {
        return (vaddr << 16) >> 16;
    }
}
