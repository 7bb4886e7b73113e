package org.vmcorefs.machine.synthetic;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.vmcorefs.machine.Architecture;
import org.vmcorefs.machine.KernelInfo;
import org.vmcorefs.machine.MemoryRange;
import org.vmcorefs.machine.memory.PhysicalMemory;
import org.vmcorefs.machine.memory.SyntheticMemory;

/**
 * What a dump tool reads of the synthetic x86_64 kernel, computed on read from a few numbers: the page tables
 * from {@code init_top_pgt} (4-level; the direct map in 1 GiB pages, the kernel image in 2 MiB pages),
 * {@code init_uts_ns}, {@code node_online_map}, the lockless printk ring buffer ({@code prb}) holding a short
 * boot and panic log with {@link #MARKER}, and SPARSEMEM_EXTREME's {@code mem_section} roots and the
 * {@code struct page} array ({@code mem_map}) of every page frame; and the VMCOREINFO that points at them,
 * with the structure offsets of Debian's 6.1 kernel. That is what makedumpfile needs for {@code -d 31} and
 * {@code --dump-dmesg}, and vmcore-dmesg for the log.
 *
 * <p>The kernel's data lies in the last quarter of its image (_text + 24 MiB to _text + 32 MiB); the
 * struct pages and section arrays in one region that the kernel took at boot the way memblock allocates,
 * top-down from the end of RAM, outside the crashkernel reservation. Nothing is stored per page: a struct
 * page follows from its frame number and the synthetic memory (an unpopulated 2 MiB block is a free order-9
 * buddy block; in a populated block, by hash, a page is anonymous user memory, page cache or kernel memory;
 * the image, this region, the low 1 MiB and the crashkernel reservation are kernel memory). Only a few KiB
 * (the log, the top page tables) are built when the machine is.
 */
public final class SyntheticX86Kernel implements PhysicalMemory {
    /** A line of the synthetic kernel's log, found by --dump-dmesg and vmcore-dmesg. */
    public static final String MARKER = "VMCOREFS-SYNTHETIC-MARKER";
    private static final int PAGE = 4096;
    private static final long MIB = 1L << 20;
    private static final long GIB = 1L << 30;
    /** The kernel's data: from here to the end of the image (offsets from _text). */
    static final long DATA = 0x1800000;
    static final long PGD = 0x180a000;
    static final long KERNEL_PUD = 0x180b000;
    static final long KERNEL_PMD = 0x180c000;
    /** One PUD page per 512 GiB of the direct map (at most 128: 64 TiB). */
    static final long DIRECT_PUDS = 0x1900000;
    static final long UTS = 0x1a15380;
    static final long NODE_ONLINE = 0x1b4f4a0;
    static final long PRB = 0x1b60000;
    static final long RB_STATIC = 0x1b60040;
    static final long DESCS = 0x1b61000;
    static final long INFOS = 0x1b62000;
    static final long TEXT = 0x1b64000;
    static final long CLEAR_SEQ = 0x1b68000;
    private static final int DESC_BITS = 5;
    private static final int TEXT_BITS = 14;
    /** MAX_PHYSMEM_BITS of 4-level paging, SECTION_SIZE_BITS, SIZE(mem_section), NR_SECTION_ROOTS. */
    private static final int PHYSMEM_BITS = 46;
    private static final int SECTION_BITS = 27;
    private static final int SECTION_SIZE = 32;
    private static final int SECTIONS_PER_ROOT = PAGE / SECTION_SIZE;
    private static final int ROOTS = 1 << (PHYSMEM_BITS - SECTION_BITS) >> 7;
    private static final int PAGE_STRUCT = 64;
    private static final long TABLE = 0x63;
    private static final long LARGE = 0x1e3;
    private static final long NX = 1L << 63;
    private static final int PG_LRU = 4;
    private static final int PG_SWAPBACKED = 19;
    private static final int BUDDY = -129;
    private static final int ORDER = 9;

    private final SyntheticMemory memory;
    private final List<MemoryRange> ram;
    /** The same, as arrays: reads walk them without allocating. */
    private final MemoryRange[] ramArray;
    private Piece[] pieceArray;
    private final MemoryRange crashkernel;
    private final long textVirtual;
    private final long textPhysical;
    private final long directMap;
    private final long physBase;
    private final long endOfRam;
    private final long meta;
    private final long metaSize;
    private final long memmapSize;
    private final long sections;
    private final long pudPages;
    /** Small objects, each at its physical address: uts name, node map, the printk ring, the top tables. */
    private final List<Piece> pieces = new ArrayList<>();
    private final String vmcoreinfo;
    private final String release;

    private record Piece(long address, byte[] bytes) {
    }

    private SyntheticX86Kernel(SyntheticMemory memory, List<MemoryRange> ram, MemoryRange crashkernel,
            KernelInfo kernel, Instant crashTime, long meta, long metaSize, long memmapSize) {
        this.memory = memory;
        this.ram = ram;
        this.ramArray = ram.toArray(new MemoryRange[0]);
        this.crashkernel = crashkernel;
        this.textVirtual = kernel.textVirtual();
        this.textPhysical = kernel.textPhysical();
        this.directMap = kernel.directMapBase(Architecture.X86_64);
        Architecture.KernelMap map = Architecture.X86_64.kernelMap();
        this.physBase = textPhysical - (textVirtual - map.start());
        this.endOfRam = ram.get(ram.size() - 1).end();
        this.meta = meta;
        this.metaSize = metaSize;
        this.memmapSize = memmapSize;
        this.sections = (endOfRam + (1L << SECTION_BITS) - 1) >>> SECTION_BITS;
        this.pudPages = (endOfRam + (512 * GIB) - 1) / (512 * GIB);
        this.release = kernel.osRelease();
        buildPieces(kernel);
        this.pieceArray = pieces.toArray(new Piece[0]);
        this.vmcoreinfo = vmcoreinfoText(kernel, crashTime);
    }

    /**
     * The largest RAM end described: its struct pages are 1/64 of RAM and not zero, so a sparse machine much
     * larger than this would no longer save into a small sparse file (`save --exclude-zero`), as a 1 TiB one does.
     */
    public static final long MAX_RAM_END = 64L << 30;

    /**
     * The kernel data of a synthetic x86_64 machine with this RAM, crashkernel reservation (size 0: none) and
     * kernel, or null where this model does not describe it (RAM ending above {@link #MAX_RAM_END}, no room
     * for mem_map).
     */
    public static SyntheticX86Kernel of(SyntheticMemory memory, List<MemoryRange> ram, MemoryRange crashkernel,
            KernelInfo kernel, Instant crashTime) {
        long end = ram.get(ram.size() - 1).end();
        if (end > MAX_RAM_END || kernel.textSize() < 0x2000000) {
            return null;
        }
        long memmap = roundUp((end >>> 12) * PAGE_STRUCT, PAGE);
        long roots = ((end >>> SECTION_BITS) + SECTIONS_PER_ROOT) / SECTIONS_PER_ROOT;
        long size = roundUp(memmap + 8L * ROOTS + roots * PAGE, SyntheticMemory.BLOCK_SIZE);
        long floor = kernel.textPhysical() + kernel.textSize();
        // memblock allocates top-down: the highest 2 MiB-aligned place in RAM outside the reservation.
        List<MemoryRange> free = crashkernel.isEmpty() ? ram : MemoryRange.subtract(ram, crashkernel);
        for (int i = free.size() - 1; i >= 0; i--) {
            MemoryRange r = free.get(i);
            long start = (r.end() - size) & -SyntheticMemory.BLOCK_SIZE;
            if (start >= r.start() && start >= floor) {
                return new SyntheticX86Kernel(memory, ram, crashkernel, kernel, crashTime, start, size, memmap);
            }
        }
        return null;
    }

    /** The VMCOREINFO note's text of this kernel. */
    public String vmcoreinfo() {
        return vmcoreinfo;
    }

    /** The crashed system's memory: {@code under} with this kernel's data laid over it. */
    public PhysicalMemory over(PhysicalMemory under) {
        return org.vmcorefs.machine.memory.LayeredMemory.over(under)
                .put(textPhysical + DATA, 0x2000000 - DATA, this, textPhysical + DATA)
                .put(meta, metaSize, this, meta).build();
    }

    /** What this kernel's data covers of physical memory: the image's data part, then the mem_map region. */
    public List<MemoryRange> ranges() {
        return List.of(new MemoryRange(textPhysical + DATA, 0x2000000 - DATA), metadataRegion());
    }

    /** Where the struct pages and mem_section arrays lie in physical memory. */
    public MemoryRange metadataRegion() {
        return new MemoryRange(meta, metaSize);
    }

    /** The byte at {@code address} of the crashed system's memory: this kernel's data, else the synthetic memory's. */
    public byte byteAt(long address) {
        if (covers(address)) {
            ByteBuffer b = ByteBuffer.allocate(1);
            read(address, b);
            return b.get(0);
        }
        return memory.byteAt(address);
    }

    private boolean covers(long a) {
        return (a >= textPhysical + DATA && a < textPhysical + 0x2000000) || (a >= meta && a < meta + metaSize);
    }

    /** One page being computed, per reading thread: the read path allocates nothing. */
    private final ThreadLocal<ByteBuffer> scratch = ThreadLocal.withInitial(
            () -> ByteBuffer.allocate(PAGE).order(ByteOrder.LITTLE_ENDIAN));

    @Override
    public void read(long address, ByteBuffer dst) {
        ByteBuffer page = scratch.get();
        while (dst.hasRemaining()) {
            long pageAddress = address & -PAGE;
            int in = (int) (address - pageAddress);
            int n = Math.min(PAGE - in, dst.remaining());
            fillPage(pageAddress, page);
            dst.put(page.array(), in, n);
            address += n;
        }
    }

    private void fillPage(long p, ByteBuffer page) {
        java.util.Arrays.fill(page.array(), (byte) 0);
        if (p >= meta && p < meta + metaSize) {
            long off = p - meta;
            if (off < memmapSize) {
                long pfn = off / PAGE_STRUCT;
                for (int i = 0; i < PAGE / PAGE_STRUCT; i++) {
                    structPage(pfn + i, page, i * PAGE_STRUCT);
                }
            } else if (off < memmapSize + 8L * ROOTS) {
                long first = (off - memmapSize) / 8;
                for (int i = 0; i < PAGE / 8; i++) {
                    long r = first + i;
                    if (r * SECTIONS_PER_ROOT < sections) {
                        page.putLong(i * 8, directMap + meta + memmapSize + 8L * ROOTS + r * PAGE);
                    }
                }
            } else {
                long r = (off - memmapSize - 8L * ROOTS) / PAGE;
                for (int i = 0; i < SECTIONS_PER_ROOT; i++) {
                    long s = r * SECTIONS_PER_ROOT + i;
                    if (s < sections && overlapsRam(s << SECTION_BITS, 1L << SECTION_BITS)) {
                        // The coded mem_map (mem_map minus the section's first pfn, in struct pages) and
                        // SECTION_MARKED_PRESENT | HAS_MEM_MAP | IS_ONLINE | IS_EARLY.
                        page.putLong(i * SECTION_SIZE, (directMap + meta) | 0xf);
                    }
                }
            }
            return;
        }
        long off = p - textPhysical;
        if (off >= DIRECT_PUDS && off < DIRECT_PUDS + pudPages * PAGE) {
            long j = (off - DIRECT_PUDS) / PAGE;
            for (int e = 0; e < 512; e++) {
                long g = j * 512 + e;
                if (g * GIB < endOfRam) {
                    page.putLong(e * 8, (g * GIB) | LARGE | NX);
                }
            }
        }
        for (Piece piece : pieceArray) {
            long from = Math.max(p, piece.address);
            long to = Math.min(p + PAGE, piece.address + piece.bytes.length);
            if (from < to) {
                System.arraycopy(piece.bytes, (int) (from - piece.address), page.array(), (int) (from - p),
                        (int) (to - from));
            }
        }
    }

    /** The 64-byte struct page of frame {@code pfn} (6.1's layout), at {@code at} of {@code page}. */
    private void structPage(long pfn, ByteBuffer page, int at) {
        long address = pfn << 12;
        long block = address >>> 21;
        long flags = 0;
        long mapping = 0;
        long index = 0;
        long priv = 0;
        int mapcount = -1;
        int refcount = 1;
        if (!reserved(block) && inRam(address)) {
            if (!memory.isBlockPopulated(block)) {
                refcount = 0;
                boolean whole = blockInOneRange(block);
                if (!whole || (pfn & 511) == 0) {
                    mapcount = BUDDY;
                    priv = whole ? ORDER : 0;
                }
            } else if (!memory.isZeroPage(address)) {
                long h = SyntheticMemory.mix(memory.seed() * 0x2545F4914F6CDD1DL + pfn);
                switch ((int) (h & 3)) {
                    case 0 -> { // anonymous user memory: PageAnon (mapping's low bit), on the LRU
                        flags = (1L << PG_LRU) | (1L << PG_SWAPBACKED);
                        mapping = directMap + 0x40000000L + ((h >>> 8) & 0xffff) * 0x60 + 1;
                        mapcount = 0;
                        index = (h >>> 24) & 0xfffff;
                    }
                    case 1 -> { // page cache: an address_space, on the LRU
                        flags = 1L << PG_LRU;
                        mapping = directMap + 0x48000000L + ((h >>> 8) & 0xffff) * 0x100;
                        index = (h >>> 24) & 0xfffff;
                    }
                    default -> {
                    }
                }
            }
        }
        page.putLong(at, flags);
        page.putLong(at + 24, mapping);
        page.putLong(at + 32, index);
        page.putLong(at + 40, priv);
        page.putInt(at + 48, mapcount);
        page.putInt(at + 52, refcount);
    }

    private boolean overlapsRam(long start, long size) {
        for (MemoryRange r : ramArray) {
            if (start < r.end() && r.start() < start + size) {
                return true;
            }
        }
        return false;
    }

    private static boolean overlaps(long start, long size, long otherStart, long otherSize) {
        return start < otherStart + otherSize && otherStart < start + size;
    }

    private boolean inRam(long address) {
        for (MemoryRange r : ramArray) {
            if (r.contains(address)) {
                return true;
            }
        }
        return false;
    }

    private boolean blockInOneRange(long block) {
        long start = block << 21;
        for (MemoryRange r : ramArray) {
            if (r.start() <= start && start + SyntheticMemory.BLOCK_SIZE <= r.end()) {
                return true;
            }
        }
        return false;
    }

    /** The kernel's own blocks: the low 1 MiB, its image, its mem_map region, the crashkernel reservation. */
    private boolean reserved(long block) {
        long b = block << 21;
        long n = SyntheticMemory.BLOCK_SIZE;
        return block == 0 || overlaps(b, n, textPhysical, 0x2000000) || overlaps(b, n, meta, metaSize)
                || (!crashkernel.isEmpty() && overlaps(b, n, crashkernel.start(), crashkernel.size()));
    }

    private void buildPieces(KernelInfo kernel) {
        ByteBuffer pgd = le(PAGE);
        long dmIndex = (directMap >>> 39) & 511;
        for (long j = 0; j < pudPages; j++) {
            pgd.putLong((int) ((dmIndex + j) * 8), (textPhysical + DIRECT_PUDS + j * PAGE) | TABLE);
        }
        long kStart = Architecture.X86_64.kernelMap().start();
        pgd.putLong((int) (((kStart >>> 39) & 511) * 8), (textPhysical + KERNEL_PUD) | TABLE);
        piece(PGD, pgd);
        ByteBuffer pud = le(PAGE);
        pud.putLong((int) (((kStart >>> 30) & 511) * 8), (textPhysical + KERNEL_PMD) | TABLE);
        piece(KERNEL_PUD, pud);
        ByteBuffer pmd = le(PAGE);
        for (long i = 0; i < 512; i++) {
            long phys = physBase + i * 2 * MIB;
            if (phys >= textPhysical && phys < textPhysical + kernel.textSize()) {
                pmd.putLong((int) (i * 8), phys | LARGE);
            }
        }
        piece(KERNEL_PMD, pmd);
        ByteBuffer uts = le(6 * 65);
        String[] names = {"Linux", "vmcorefs", kernel.osRelease(), "#1 SMP PREEMPT_DYNAMIC Debian 6.1 (synthetic)",
            "x86_64", "(none)"};
        for (int i = 0; i < names.length; i++) {
            uts.put(i * 65, names[i].getBytes(StandardCharsets.US_ASCII));
        }
        piece(UTS, uts);
        ByteBuffer nodes = le(128);
        nodes.putLong(0, 1);
        piece(NODE_ONLINE, nodes);
        printk();
    }

    /** The log: records 0..n-1 in the descriptor and text rings, all finalized. */
    private void printk() {
        List<String> log = new ArrayList<>();
        log.add("Linux version " + release + " (vmcorefs@synthetic) (gcc (Debian 12.2.0-14) 12.2.0) "
                + "#1 SMP PREEMPT_DYNAMIC Debian 6.1 (synthetic)");
        log.add("Command line: BOOT_IMAGE=/boot/vmlinuz root=/dev/vda1 ro"
                + (crashkernel.isEmpty() ? "" : " crashkernel=" + (crashkernel.size() >> 20) + "M"));
        log.add("BIOS-provided physical RAM map:");
        for (MemoryRange r : ram) {
            log.add(String.format("BIOS-e820: [mem 0x%016x-0x%016x] usable", r.start(), r.end() - 1));
        }
        if (!crashkernel.isEmpty()) {
            log.add(String.format("Reserving %dMB of memory at %dMB for crashkernel (System RAM: %dMB)",
                    crashkernel.size() >> 20, crashkernel.start() >> 20,
                    ram.stream().mapToLong(MemoryRange::size).sum() >> 20));
        }
        log.add(String.format("%s seed=%d: synthetic x86_64 machine by vmcorefs", MARKER, memory.seed()));
        log.add("sysrq: Trigger a crash");
        log.add("Kernel panic - not syncing: sysrq triggered crash");
        log.add("CPU: 0 PID: 1 Comm: sh Not tainted " + release + " #1");
        int count = 1 << DESC_BITS;
        ByteBuffer descs = le(24 * count);
        ByteBuffer infos = le(88 * count);
        ByteBuffer text = le(1 << TEXT_BITS);
        long lpos = 0;
        int n = Math.min(log.size(), count);
        for (int id = 0; id < n; id++) {
            byte[] t = log.get(id).getBytes(StandardCharsets.US_ASCII);
            int len = Math.min(t.length, 1000);
            long block = roundUp(8 + len, 8);
            text.putLong((int) lpos, id);
            text.put((int) lpos + 8, t, 0, len);
            descs.putLong(id * 24, (2L << 62) | id); // desc_finalized, this id
            descs.putLong(id * 24 + 8, lpos);
            descs.putLong(id * 24 + 16, lpos + block);
            int level = id >= n - 2 ? 0 : 6;
            infos.putLong(id * 88, id);
            infos.putLong(id * 88 + 8, 1_000_000L + id * 123_456_789L);
            infos.putShort(id * 88 + 16, (short) len);
            infos.put(id * 88 + 19, (byte) ((level << 5) | 2)); // level, LOG_NEWLINE
            infos.putInt(id * 88 + 20, id >= n - 4 ? 1 : 0x80000000);
            lpos += block;
        }
        ByteBuffer rb = le(88);
        rb.putInt(0, DESC_BITS);
        rb.putLong(8, textVirtual + DESCS);
        rb.putLong(16, textVirtual + INFOS);
        rb.putLong(24, n - 1); // head_id
        rb.putLong(32, 0); // tail_id
        rb.putLong(40, n - 1); // last_finalized_id
        rb.putInt(48, TEXT_BITS);
        rb.putLong(56, textVirtual + TEXT);
        rb.putLong(64, lpos); // head_lpos
        rb.putLong(72, 0); // tail_lpos
        ByteBuffer prb = le(8);
        prb.putLong(0, textVirtual + RB_STATIC);
        piece(PRB, prb);
        piece(RB_STATIC, rb);
        piece(DESCS, descs);
        piece(INFOS, infos);
        piece(TEXT, text);
    }

    private void piece(long offset, ByteBuffer b) {
        pieces.add(new Piece(textPhysical + offset, b.array()));
    }

    private static ByteBuffer le(int size) {
        return ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
    }

    private static long roundUp(long v, long a) {
        return (v + a - 1) / a * a;
    }

    private String vmcoreinfoText(KernelInfo kernel, Instant crashTime) {
        StringBuilder b = new StringBuilder();
        b.append("OSRELEASE=").append(kernel.osRelease()).append('\n');
        b.append("BUILD-ID=").append("0".repeat(40)).append('\n');
        b.append("PAGESIZE=4096\n");
        sym(b, "init_uts_ns", textVirtual + UTS);
        b.append("OFFSET(uts_namespace.name)=0\n");
        sym(b, "node_online_map", textVirtual + NODE_ONLINE);
        sym(b, "swapper_pg_dir", textVirtual + PGD);
        sym(b, "_stext", textVirtual);
        sym(b, "mem_section", directMap + meta + memmapSize);
        b.append("LENGTH(mem_section)=").append(ROOTS).append('\n');
        b.append("SIZE(mem_section)=").append(SECTION_SIZE).append('\n');
        b.append("OFFSET(mem_section.section_mem_map)=0\n");
        b.append("NUMBER(SECTION_SIZE_BITS)=").append(SECTION_BITS).append('\n');
        b.append("NUMBER(MAX_PHYSMEM_BITS)=").append(PHYSMEM_BITS).append('\n');
        b.append(String.join("\n", "SIZE(page)=64", "SIZE(list_head)=16", "SIZE(nodemask_t)=128",
                "OFFSET(page.flags)=0", "OFFSET(page._refcount)=52", "OFFSET(page.mapping)=24", "OFFSET(page.lru)=8",
                "OFFSET(page._mapcount)=48", "OFFSET(page.private)=40", "OFFSET(page.compound_dtor)=16",
                "OFFSET(page.compound_order)=17", "OFFSET(page.compound_head)=8", "OFFSET(list_head.next)=0",
                "OFFSET(list_head.prev)=8", "LENGTH(zone.free_area)=11")).append('\n');
        sym(b, "prb", textVirtual + PRB);
        sym(b, "printk_rb_static", textVirtual + RB_STATIC);
        sym(b, "clear_seq", textVirtual + CLEAR_SEQ);
        b.append(String.join("\n", "SIZE(printk_ringbuffer)=88", "OFFSET(printk_ringbuffer.desc_ring)=0",
                "OFFSET(printk_ringbuffer.text_data_ring)=48", "OFFSET(printk_ringbuffer.fail)=80",
                "SIZE(prb_desc_ring)=48", "OFFSET(prb_desc_ring.count_bits)=0", "OFFSET(prb_desc_ring.descs)=8",
                "OFFSET(prb_desc_ring.infos)=16", "OFFSET(prb_desc_ring.head_id)=24",
                "OFFSET(prb_desc_ring.tail_id)=32", "SIZE(prb_desc)=24", "OFFSET(prb_desc.state_var)=0",
                "OFFSET(prb_desc.text_blk_lpos)=8", "SIZE(prb_data_blk_lpos)=16",
                "OFFSET(prb_data_blk_lpos.begin)=0", "OFFSET(prb_data_blk_lpos.next)=8", "SIZE(printk_info)=88",
                "OFFSET(printk_info.seq)=0", "OFFSET(printk_info.ts_nsec)=8", "OFFSET(printk_info.text_len)=16",
                "OFFSET(printk_info.caller_id)=20", "OFFSET(printk_info.dev_info)=24", "SIZE(dev_printk_info)=64",
                "OFFSET(dev_printk_info.subsystem)=0", "LENGTH(printk_info_subsystem)=16",
                "OFFSET(dev_printk_info.device)=16", "LENGTH(printk_info_device)=48", "SIZE(prb_data_ring)=32",
                "OFFSET(prb_data_ring.size_bits)=0", "OFFSET(prb_data_ring.data)=8",
                "OFFSET(prb_data_ring.head_lpos)=16", "OFFSET(prb_data_ring.tail_lpos)=24",
                "SIZE(atomic_long_t)=8", "OFFSET(atomic_long_t.counter)=0", "SIZE(latched_seq)=24",
                "OFFSET(latched_seq.val)=8", "NUMBER(PG_lru)=" + PG_LRU, "NUMBER(PG_private)=13",
                "NUMBER(PG_swapcache)=10", "NUMBER(PG_swapbacked)=" + PG_SWAPBACKED, "NUMBER(PG_slab)=9",
                "NUMBER(PG_hwpoison)=23", "NUMBER(PG_head_mask)=65536",
                "NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)=" + BUDDY, "NUMBER(HUGETLB_PAGE_DTOR)=2",
                "NUMBER(PAGE_OFFLINE_MAPCOUNT_VALUE)=-257")).append('\n');
        b.append("NUMBER(phys_base)=").append(physBase).append('\n');
        sym(b, "init_top_pgt", textVirtual + PGD);
        b.append("NUMBER(pgtable_l5_enabled)=0\n");
        b.append("KERNELOFFSET=").append(Long.toHexString(kernel.kaslrOffset())).append('\n');
        b.append("NUMBER(KERNEL_IMAGE_SIZE)=1073741824\n");
        b.append("NUMBER(sme_mask)=0\n");
        b.append("CRASHTIME=").append(crashTime.getEpochSecond()).append('\n');
        return b.toString();
    }

    private static void sym(StringBuilder b, String name, long value) {
        b.append("SYMBOL(").append(name).append(")=").append(Long.toHexString(value)).append('\n');
    }
}
