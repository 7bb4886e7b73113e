package org.vmcorefs.format.input;

import org.vmcorefs.format.FormatException;
import org.vmcorefs.format.struct.ElfNote;
import org.vmcorefs.format.struct.Vmcoreinfo;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;
import org.vmcorefs.machine.Architecture;
import org.vmcorefs.machine.CpuState;
import org.vmcorefs.machine.CrashedSystem;
import org.vmcorefs.machine.DumpException;
import org.vmcorefs.machine.Errno;
import org.vmcorefs.machine.memory.FileMemory;
import org.vmcorefs.machine.KernelInfo;
import org.vmcorefs.machine.MemoryRange;
import org.vmcorefs.machine.memory.PhysicalMemory;

/**
 * Reads a kdump-compressed dump (makedumpfile -c, QEMU dump-guest-memory -z: signature "KDUMP   ") as a
 * crashed system: the architecture from utsname.machine (x86_64 when empty), RAM from the first bitmap,
 * pages from the second bitmap's page descriptors (zlib or stored; pages filtered out read as zeros), CPUs
 * and VMCOREINFO from its ELF notes. Headers, descriptors and notes are in the dumped machine's byte order;
 * the bitmaps are arrays of bytes. Pages are decompressed only when a read asks for them.
 *
 * <pre>
 * struct disk_dump_header {            // block 0
 *   char signature[8];                 // 0x000 "KDUMP   "
 *   int header_version;                // 0x008
 *   struct new_utsname utsname;        // 0x00c (6 x 65)
 *   struct timeval timestamp;          // 0x198
 *   unsigned int status;               // 0x1a8 DUMP_DH_COMPRESSED_ZLIB 1, _LZO 2, _SNAPPY 4, _ZSTD 0x20
 *   int block_size;                    // 0x1ac
 *   int sub_hdr_size;                  // 0x1b0 in blocks
 *   unsigned int bitmap_blocks;        // 0x1b4 both bitmaps, in blocks
 *   unsigned int max_mapnr;            // 0x1b8
 *   ...
 * };
 * struct kdump_sub_header {            // block 1
 *   unsigned long phys_base; int dump_level; int split;        // 0x00
 *   unsigned long start_pfn, end_pfn;                          // 0x10
 *   off_t offset_vmcoreinfo; unsigned long size_vmcoreinfo;    // 0x20 (version 3+)
 *   off_t offset_note; unsigned long size_note;                // 0x30 (version 4+)
 *   off_t offset_eraseinfo; unsigned long size_eraseinfo;      // 0x40 (version 5+)
 *   unsigned long long start_pfn_64, end_pfn_64, max_mapnr_64; // 0x50 (version 6+)
 * };
 * typedef struct page_desc { off_t offset; unsigned int size; unsigned int flags;
 *                            unsigned long long page_flags; } page_desc_t;      // 24 bytes
 * </pre>
 */
public final class KdumpCompressedReader {
    static final String SIGNATURE = "KDUMP   ";
    static final int HEADER_VERSION = 0x008;
    /** utsname.machine: the fifth of new_utsname's six 65-byte strings. */
    static final int UTS_MACHINE = 0x00c + 4 * 65;
    static final int UTS_LENGTH = 65;
    static final int TIMESTAMP = 0x198;
    static final int STATUS = 0x1a8;
    static final int BLOCK_SIZE = 0x1ac;
    static final int SUB_HDR_SIZE = 0x1b0;
    static final int BITMAP_BLOCKS = 0x1b4;
    static final int MAX_MAPNR = 0x1b8;
    static final int HEADER_SIZE = 0x1d0;
    static final int SUB_OFFSET_NOTE = 0x30;
    static final int SUB_SIZE_NOTE = 0x38;
    static final int SUB_MAX_MAPNR_64 = 0x60;
    static final int SUB_SIZE = 0x68;
    static final int PAGE_DESC_SIZE = 24;
    static final int DUMP_DH_COMPRESSED_ZLIB = 0x1;
    static final int OTHER_COMPRESSIONS = 0x2 | 0x4 | 0x20;

    /** The input format: read with synthetic CPUs if the dump has no CPU notes. */
    static final InputFormat FORMAT = InputFormat.of("kdump-compressed", KdumpCompressedReader::isKdumpCompressed,
            (image, context) -> context.withSyntheticCpus(read(image, context.symbols())),
            image -> image.size() < HEADER_SIZE ? null : guestArchitecture(image, image.readAt(0, HEADER_SIZE)));
    /** What QEMU writes as utsname.machine where it knows no name for the guest (its ppc64 and arm64 dumps). */
    static final String QEMU_UNKNOWN_MACHINE = "Unknown";

    private KdumpCompressedReader() {
    }

    public static boolean isKdumpCompressed(ByteBuffer head) {
        if (head.remaining() < 8) {
            return false;
        }
        byte[] b = new byte[8];
        head.duplicate().get(b);
        return new String(b, StandardCharsets.ISO_8859_1).equals(SIGNATURE);
    }

    public static CrashedSystem read(ImageFile image) throws DumpException {
        return read(image, null);
    }

    /** Reads {@code image}, what it lacks of the kernel's layout from {@code symbols} (the vmlinux) if given. */
    public static CrashedSystem read(ImageFile image, KernelSymbols symbols) throws DumpException {
        Path path = image.path();
        long fileSize = image.size();
        if (fileSize < HEADER_SIZE) {
            throw new FormatException(path + ": kdump-compressed header cut short: truncated?");
        }
        ByteBuffer h = image.readAt(0, HEADER_SIZE);
        Architecture arch = architecture(image, h);
        h.order(arch.byteOrder());
        int version = h.getInt(HEADER_VERSION);
        int status = h.getInt(STATUS);
        int blockSize = h.getInt(BLOCK_SIZE);
        int subBlocks = h.getInt(SUB_HDR_SIZE);
        long bitmapBlocks = Integer.toUnsignedLong(h.getInt(BITMAP_BLOCKS));
        if (version < 1 || version > 64 || blockSize < 4096 || blockSize > (1 << 16)
                || Integer.bitCount(blockSize) != 1 || subBlocks < 1 || bitmapBlocks < 2 || bitmapBlocks % 2 != 0) {
            throw new FormatException(String.format("%s: not a %s kdump-compressed dump vmcorefs can read "
                    + "(header_version %d, block_size %d, sub_hdr_size %d, bitmap_blocks %d)", path,
                    arch.byteOrder() == ByteOrder.LITTLE_ENDIAN ? "little-endian" : "big-endian", version,
                    blockSize, subBlocks, bitmapBlocks));
        }
        if ((status & OTHER_COMPRESSIONS) != 0) {
            throw new FormatException(String.format("%s: pages compressed with %s, which vmcorefs cannot "
                    + "decompress: make the dump with zlib (makedumpfile -c, dump-guest-memory -z) or as ELF", path,
                    (status & 0x2) != 0 ? "LZO" : (status & 0x4) != 0 ? "snappy" : "zstd"));
        }
        if (version < 4) {
            throw new FormatException(path + ": kdump-compressed header version " + version
                    + " has no ELF notes (needs 4 or later)");
        }
        ByteBuffer sub = image.readAt(blockSize, SUB_SIZE).order(arch.byteOrder());
        long maxMapnr = version >= 6 ? sub.getLong(SUB_MAX_MAPNR_64) : Integer.toUnsignedLong(h.getInt(MAX_MAPNR));
        long bitmapAt = (long) blockSize * (1 + subBlocks);
        long bitmapBytes = bitmapBlocks * blockSize / 2;
        if (maxMapnr <= 0 || maxMapnr > bitmapBytes * 8 || bitmapBytes > Integer.MAX_VALUE
                || bitmapAt + 2 * bitmapBytes > fileSize) {
            throw new FormatException(String.format("%s: bitmaps for %d pages do not fit (%d bytes each at %d, file "
                    + "%d bytes): truncated?", path, maxMapnr, bitmapBytes, bitmapAt, fileSize));
        }
        int words = (int) ((maxMapnr + 63) / 64);
        long[] inMemory = bitmap(image, bitmapAt, words);
        long[] dumped = bitmap(image, bitmapAt + bitmapBytes, words);
        Pages pages = new Pages(path, image.memory(), arch.byteOrder(), blockSize, dumped,
                bitmapAt + 2 * bitmapBytes, fileSize);

        List<MemoryRange> ram = new ArrayList<>();
        long runStart = -1;
        for (long pfn = 0; pfn <= maxMapnr; pfn++) {
            boolean set = pfn < maxMapnr && (inMemory[(int) (pfn >>> 6)] & (1L << (pfn & 63))) != 0;
            if (set && runStart < 0) {
                runStart = pfn;
            } else if (!set && runStart >= 0) {
                ram.add(MemoryRange.ofEnd(runStart * blockSize, pfn * blockSize));
                runStart = -1;
            }
        }
        if (ram.isEmpty()) {
            throw new FormatException(path + ": the memory bitmap is empty: no memory to serve");
        }

        long noteAt = sub.getLong(SUB_OFFSET_NOTE);
        long noteSize = sub.getLong(SUB_SIZE_NOTE);
        if (noteAt < 0 || noteSize < 0 || noteSize > (64 << 20) || noteSize > fileSize - noteAt) {
            throw new FormatException(path + ": ELF notes at " + noteAt + " (" + noteSize + " bytes) run past the "
                    + "end of the file: truncated?");
        }
        List<ElfNote> notes = ElfNote.readAll(image.readAt(noteAt, (int) noteSize), arch.byteOrder());
        DumpNotes contents = DumpNotes.decode(notes, arch);
        String vmcoreinfo = contents.vmcoreinfo();
        List<CpuState> cpus = contents.cpus();
        if (PowerGuestByteOrder.guest(arch, cpus) != arch) {
            arch = PowerGuestByteOrder.guest(arch, cpus);
            cpus = PowerGuestByteOrder.as(arch, cpus);
        }
        Map<String, String> info = contents.info();
        KernelMappings mappings = ArchitectureHooks.of(arch).mappings().complete(path, info, pages, ram,
                KernelMappings.UNKNOWN);
        // makedumpfile's keep the kernel's notes (and pr_pids); QEMU's have its own: pr_pid = cpu + 1 (x86, arm64),
        // 0 on POWER, where only the notes themselves tell them from the kernel's.
        boolean qemuPids = !cpus.isEmpty() && cpus.stream().allMatch(c -> c.pid() == c.index() + 1);
        boolean kernelPids = arch.hasKernelTextMapping() ? !qemuPids : ElfCoreReader.kernelNotes(notes);
        KernelLayout.Result layout = KernelLayout.complete(path, arch, info, pages, ram, mappings, false, cpus,
                kernelPids, symbols);
        mappings = layout.mappings();
        cpus = layout.cpus();
        long kaslr = Vmcoreinfo.hex(info.get("KERNELOFFSET"), 0);
        KernelInfo kernel = new KernelInfo(info.getOrDefault("OSRELEASE", "unknown"), mappings.textVirtual(),
                mappings.textPhysical(), mappings.textSize(), kaslr, vmcoreinfo, mappings.directMap());
        String crashTime = info.getOrDefault("CRASHTIME", "").trim();
        Instant time = crashTime.matches("[0-9]+") ? Instant.ofEpochSecond(Long.parseLong(crashTime))
                : h.getLong(TIMESTAMP) != 0 ? Instant.ofEpochSecond(h.getLong(TIMESTAMP)) : image.modified();
        return PowerQemuDump.complete(S390HypervisorDump.complete(new CrashedSystem(arch, ram, pages, cpus, kernel, time, String.format(
                "kdump-compressed %s (header version %d, %d-byte pages, %d dumped, %d CPUs)", path, version,
                blockSize, pages.dumpedPages(), cpus.size()))), symbols);
    }

    /**
     * The architecture whose byte order the dump is written in: the one utsname.machine names, x86_64 when it
     * is empty; for QEMU's "Unknown", the only 64-bit one whose elf_prstatus has the size of the dump's first
     * NT_PRSTATUS and whose byte order reads the header (sizeof(struct elf_prstatus) differs with the
     * architecture's pr_reg: x86_64 336, arm64 392, ppc64 504; s390x's 336 is big-endian). A size that two
     * architectures of that byte order share would name neither, and is refused.
     */
    static Architecture architecture(ImageFile image, ByteBuffer header) throws DumpException {
        if (!utsMachine(header).equals(QEMU_UNKNOWN_MACHINE)) {
            return architecture(image.path(), header);
        }
        for (ByteOrder order : List.of(ByteOrder.LITTLE_ENDIAN, ByteOrder.BIG_ENDIAN)) {
            for (ElfNote n : notes(image, header, order)) {
                if (n.name().equals(ElfNote.CORE) && n.type() == ElfNote.NT_PRSTATUS) {
                    List<Architecture> sized = new ArrayList<>();
                    for (Architecture a : Architecture.values()) {
                        if (a.elfClass() == 64 && a.byteOrder() == order && a.prstatusSize() == n.desc().length) {
                            sized.add(a);
                        }
                    }
                    if (sized.size() == 1) {
                        return sized.get(0);
                    }
                    if (sized.size() > 1) {
                        throw new FormatException(String.format("%s: kdump-compressed dump of an %s machine whose "
                                + "%d-byte NT_PRSTATUS fits %s alike: give the dump a named utsname.machine",
                                image.path(), QEMU_UNKNOWN_MACHINE, n.desc().length, sized));
                    }
                    break;
                }
            }
        }
        throw new FormatException(image.path() + ": kdump-compressed dump of an " + QEMU_UNKNOWN_MACHINE
                + " machine whose notes name no architecture vmcorefs knows");
    }

    /** The notes of a dump whose headers are in {@code order}; none where the header does not read so. */
    private static List<ElfNote> notes(ImageFile image, ByteBuffer header, ByteOrder order) throws DumpException {
        ByteBuffer h = header.duplicate().order(order);
        int version = h.getInt(HEADER_VERSION);
        int blockSize = h.getInt(BLOCK_SIZE);
        if (version < 4 || version > 64 || blockSize < 4096 || blockSize > (1 << 16)
                || image.size() < blockSize + SUB_SIZE) {
            return List.of();
        }
        ByteBuffer sub = image.readAt(blockSize, SUB_SIZE).order(order);
        long noteAt = sub.getLong(SUB_OFFSET_NOTE);
        long noteSize = sub.getLong(SUB_SIZE_NOTE);
        if (noteAt <= 0 || noteSize <= 0 || noteSize > (64 << 20) || noteSize > image.size() - noteAt) {
            return List.of();
        }
        return ElfNote.readAll(image.readAt(noteAt, (int) noteSize), order);
    }

    /** The guest's architecture: {@link #architecture(ImageFile, ByteBuffer)}, ppc64le for QEMU's ppc64le guest. */
    static Architecture guestArchitecture(ImageFile image, ByteBuffer header) throws DumpException {
        Architecture written = architecture(image, header);
        if (written != Architecture.PPC64) {
            return written;
        }
        try {
            return PowerGuestByteOrder.guest(written,
                    DumpNotes.decode(notes(image, header, written.byteOrder()), written).cpus());
        } catch (DumpException unreadable) {
            return written;
        }
    }

    private static String utsMachine(ByteBuffer header) {
        byte[] b = new byte[UTS_LENGTH];
        header.get(UTS_MACHINE, b);
        String machine = new String(b, StandardCharsets.ISO_8859_1);
        return machine.indexOf('\0') >= 0 ? machine.substring(0, machine.indexOf('\0')) : machine;
    }

    /**
     * The dump's architecture: the one utsname.machine names, x86_64 when it is empty (as every dump was
     * read before vmcorefs looked).
     */
    static Architecture architecture(Path path, ByteBuffer header) throws FormatException {
        byte[] b = new byte[UTS_LENGTH];
        header.get(UTS_MACHINE, b);
        String machine = new String(b, StandardCharsets.ISO_8859_1);
        machine = machine.indexOf('\0') >= 0 ? machine.substring(0, machine.indexOf('\0')) : machine;
        if (machine.isEmpty()) {
            return Architecture.X86_64;
        }
        try {
            // QEMU writes the name in capitals ("S390X"), the kernel's utsname in lower case.
            return Architecture.fromName(machine.toLowerCase(java.util.Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new FormatException(path + ": kdump-compressed dump of a " + machine + " machine, which vmcorefs "
                    + "cannot replay", e);
        }
    }

    /** A bitmap: bit n is bit n % 8 of byte n / 8, which a little-endian long holds in its order. */
    private static long[] bitmap(ImageFile image, long at, int words) throws DumpException {
        ByteBuffer b = image.readAt(at, words * 8).order(ByteOrder.LITTLE_ENDIAN);
        long[] out = new long[words];
        b.asLongBuffer().get(out);
        return out;
    }

    /** The dumped pages: page n of the second bitmap is the n-th page descriptor. */
    static final class Pages implements PhysicalMemory {
        private final Path path;
        private final FileMemory file;
        private final ByteOrder order;
        private final int blockSize;
        private final long[] dumped;
        /** How many dumped pages come before word i of the bitmap. */
        private final long[] rank;
        private final long descAt;
        private final long fileSize;
        private final ThreadLocal<Inflater> inflaters = ThreadLocal.withInitial(Inflater::new);
        /**
         * The last page each thread inflated: a client reading a block in small pieces (cmp's and gdb's 4 KiB
         * reads of a 64 KiB arm64 QEMU block) inflates it once, not once per piece. One block per thread.
         */
        private final ThreadLocal<LastPage> last = new ThreadLocal<>();

        private record LastPage(long pfn, ByteBuffer data) {
        }

        Pages(Path path, FileMemory file, ByteOrder order, int blockSize, long[] dumped, long descAt, long fileSize) {
            this.path = path;
            this.file = file;
            this.order = order;
            this.blockSize = blockSize;
            this.dumped = dumped;
            this.rank = new long[dumped.length + 1];
            for (int i = 0; i < dumped.length; i++) {
                rank[i + 1] = rank[i] + Long.bitCount(dumped[i]);
            }
            this.descAt = descAt;
            this.fileSize = fileSize;
        }

        long dumpedPages() {
            return rank[dumped.length];
        }

        @Override
        public void read(long address, ByteBuffer dst) throws DumpException {
            while (dst.hasRemaining()) {
                long pfn = address / blockSize;
                int within = (int) (address % blockSize);
                int n = Math.min(blockSize - within, dst.remaining());
                int word = (int) (pfn >>> 6);
                long bit = 1L << (pfn & 63);
                if (word >= dumped.length || (dumped[word] & bit) == 0) {
                    // Not in the dump (filtered out, or a hole): zeros, as the page was when filtered.
                    for (int i = 0; i < n; i++) {
                        dst.put((byte) 0);
                    }
                } else {
                    LastPage cached = last.get();
                    if (cached == null || cached.pfn() != pfn) {
                        long index = rank[word] + Long.bitCount(dumped[word] & (bit - 1));
                        cached = new LastPage(pfn, page(pfn, index));
                        last.set(cached);
                    }
                    dst.put(cached.data().duplicate().position(within).limit(within + n));
                }
                address += n;
            }
        }

        private ByteBuffer page(long pfn, long index) throws DumpException {
            ByteBuffer desc = ByteBuffer.allocate(PAGE_DESC_SIZE).order(order);
            file.read(descAt + index * PAGE_DESC_SIZE, desc);
            long offset = desc.getLong(0);
            int size = desc.getInt(8);
            int flags = desc.getInt(12);
            if (offset < 0 || size <= 0 || size > blockSize || size > fileSize - offset) {
                throw new DumpException(Errno.EIO, String.format("%s: page descriptor of pfn 0x%x is corrupt "
                        + "(offset %d, size %d)", path, pfn, offset, size));
            }
            ByteBuffer data = ByteBuffer.allocate(size);
            file.read(offset, data);
            if ((flags & DUMP_DH_COMPRESSED_ZLIB) == 0) {
                if (size != blockSize) {
                    throw new DumpException(Errno.EIO, String.format("%s: stored page pfn 0x%x has %d bytes, not %d",
                            path, pfn, size, blockSize));
                }
                return data.flip();
            }
            if ((flags & OTHER_COMPRESSIONS) != 0) {
                throw new DumpException(Errno.EIO, String.format("%s: page pfn 0x%x uses a compression vmcorefs "
                        + "cannot decompress (flags 0x%x)", path, pfn, flags));
            }
            Inflater inflater = inflaters.get();
            inflater.reset();
            inflater.setInput(data.array(), 0, size);
            byte[] out = new byte[blockSize];
            try {
                int got = inflater.inflate(out);
                if (got != blockSize) {
                    throw new DumpException(Errno.EIO, String.format("%s: page pfn 0x%x inflates to %d bytes, not %d",
                            path, pfn, got, blockSize));
                }
            } catch (DataFormatException e) {
                throw new DumpException(Errno.EIO, String.format("%s: page pfn 0x%x: bad zlib data: %s", path, pfn,
                        e.getMessage()), e);
            }
            return ByteBuffer.wrap(out);
        }
    }
}
