package org.vmcorefs.fs.save;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import org.vmcorefs.format.struct.Elf64Ehdr;
import org.vmcorefs.format.struct.Elf64Phdr;
import org.vmcorefs.format.struct.Elf64Shdr;
import org.vmcorefs.format.struct.S390DumpHeader;
import org.vmcorefs.machine.Architecture;
import org.vmcorefs.machine.DumpException;
import org.vmcorefs.machine.MemoryRange;

/**
 * What the planner needs to know of the file it copies: its size, where its headers end, the page size,
 * and which file ranges hold which physical memory.
 *
 * @param size bytes of the source file to copy
 * @param headersEnd the end of the prefix that is headers (and notes), not memory
 * @param pageSize the dumped machine's page size
 * @param loads where physical memory lies in the file, in file order
 */
record DumpSource(long size, long headersEnd, long pageSize, List<Load> loads) {
    /** Physical [paddr, paddr + size) is at file offset {@code offset}. */
    record Load(long paddr, long size, long offset) {
        long fileEnd() {
            return offset + size;
        }
    }

    DumpSource {
        loads = List.copyOf(loads);
    }

    /** What {@code src} holds: zcore/mem (cut by ROOT's zcore/memmap) for the s390 format, else an ELF core. */
    static DumpSource of(SourceFile src, Saver.Format format, RetryingReader reader, CaptureFiles files)
            throws SaveException {
        if (format == Saver.Format.s390) {
            return s390(s390Header(src, reader), files.memmap());
        }
        long size;
        try {
            size = Files.size(src.path());
        } catch (IOException e) {
            throw new SaveException(SaveException.READ_FAILED, "cannot stat " + src.path() + ": " + e.getMessage());
        }
        return elf(src, size);
    }

    /** zcore/mem's header. */
    static S390DumpHeader s390Header(SourceFile src, RetryingReader reader) throws SaveException {
        ByteBuffer h = ByteBuffer.allocateDirect(S390DumpHeader.SIZE);
        reader.read(src, 0, h);
        try {
            return S390DumpHeader.readFrom(h.flip());
        } catch (DumpException e) {
            throw new SaveException(SaveException.BAD_DUMP, src.path() + ": " + e.getMessage(), e);
        }
    }

    /** The ranges and headers of an ELF core ({@code /proc/vmcore}) of {@code size} bytes. */
    static DumpSource elf(SourceFile file, long size) throws SaveException {
        try {
            ByteBuffer head = ByteBuffer.allocateDirect(Elf64Ehdr.SIZE);
            file.readFully(head, 0);
            // ELF64, or ELF32 as an i386 kdump's kexec -p --elf32-core-headers makes it.
            Elf64Ehdr ehdr = Elf64Ehdr.readAnyFrom(head.flip());
            int phentsize = Elf64Phdr.size(ehdr.elfClass());
            if (ehdr.type() != Elf64Ehdr.ET_CORE) {
                throw new SaveException(SaveException.BAD_DUMP, file.path() + " is not an ELF core (e_type "
                        + ehdr.type() + ")");
            }
            long phnum = ehdr.phnum();
            if (phnum == Elf64Ehdr.PN_XNUM && ehdr.elfClass() == 64) {
                ByteBuffer sh = ByteBuffer.allocateDirect(Elf64Shdr.SIZE);
                file.readFully(sh, ehdr.shoff());
                phnum = Integer.toUnsignedLong(Elf64Shdr.readFrom(sh.flip(), ehdr.order()).info());
            }
            ByteBuffer ph = ByteBuffer.allocateDirect(Math.toIntExact(phnum * phentsize));
            file.readFully(ph, ehdr.phoff());
            ph.flip();
            long page = pageSize(ehdr.machine(), ehdr.order());
            List<Load> loads = new ArrayList<>();
            long headersEnd = size;
            for (long i = 0; i < phnum; i++) {
                Elf64Phdr p = Elf64Phdr.readFrom(ph, ehdr.order(), ehdr.elfClass());
                if (p.type() != Elf64Phdr.PT_LOAD || p.filesz() == 0 || p.offset() == -1) {
                    continue;
                }
                if (p.offset() < 0 || p.offset() + p.filesz() > size) {
                    throw new SaveException(SaveException.BAD_DUMP, String.format(
                            "%s: PT_LOAD paddr 0x%x lies outside the file (offset 0x%x, size 0x%x, file 0x%x)",
                            file.path(), p.paddr(), p.offset(), p.filesz(), size));
                }
                loads.add(new Load(p.paddr(), p.filesz(), p.offset()));
                // The kernel widens each range to whole pages: the data starts at the first one's page.
                headersEnd = Math.min(headersEnd, p.offset() - Math.floorMod(p.paddr(), page));
            }
            loads.sort((a, b) -> Long.compare(a.offset(), b.offset()));
            return new DumpSource(size, Math.max(0, headersEnd), page, loads);
        } catch (DumpException e) {
            throw new SaveException(SaveException.BAD_DUMP, file.path() + ": " + e.getMessage(), e);
        } catch (SourceFile.Failure e) {
            throw new SaveException(SaveException.READ_FAILED, e.getMessage(), e);
        }
    }

    /**
     * zcore/mem: a header, then memory from address 0 to the end of the last chunk of {@code memmap}; holes
     * between chunks are not readable (EFAULT). Without a memmap, the header's mem_size bytes from 0.
     */
    static DumpSource s390(S390DumpHeader header, List<MemoryRange> memmap) {
        List<MemoryRange> chunks = memmap.isEmpty() ? List.of(new MemoryRange(0, header.memSize())) : memmap;
        List<Load> loads = new ArrayList<>();
        for (MemoryRange c : chunks) {
            loads.add(new Load(c.start(), c.size(), S390DumpHeader.SIZE + c.start()));
        }
        long end = chunks.get(chunks.size() - 1).end();
        return new DumpSource(S390DumpHeader.SIZE + end, S390DumpHeader.SIZE, header.pageSize(), loads);
    }

    /** File ranges between the loads (zcore/mem's holes), as [start, start + size). */
    List<MemoryRange> holes() {
        List<MemoryRange> out = new ArrayList<>();
        long at = headersEnd;
        for (Load l : loads) {
            if (l.offset() > at) {
                out.add(MemoryRange.ofEnd(at, l.offset()));
            }
            at = Math.max(at, l.fileEnd());
        }
        if (size > at) {
            out.add(MemoryRange.ofEnd(at, size));
        }
        return out;
    }

    static long pageSize(int machine, ByteOrder order) {
        for (Architecture a : Architecture.values()) {
            if (a.elfMachine() == machine && a.byteOrder() == order) {
                return a.pageSize();
            }
        }
        return 4096;
    }

    /** The physical ranges, as {start, end}, that file range [offset, offset + length) holds; none for headers. */
    List<long[]> physical(long offset, long length) {
        List<long[]> out = new ArrayList<>();
        long end = offset + length;
        for (Load l : loads) {
            // The page-widened chunk: its slack bytes are real memory too.
            long chunkStart = l.offset() - Math.floorMod(l.paddr(), pageSize);
            long chunkEnd = Math.min(size, roundUp(l.fileEnd(), pageSize));
            long s = Math.max(offset, chunkStart);
            long e = Math.min(end, chunkEnd);
            if (s < e) {
                out.add(new long[] {l.paddr() + (s - l.offset()), l.paddr() + (e - l.offset())});
            }
        }
        return out;
    }

    /** File offset of physical address {@code paddr} in every load holding it. */
    List<Long> fileOffsets(long paddr) {
        List<Long> out = new ArrayList<>();
        for (Load l : loads) {
            if (paddr > l.paddr() && paddr < l.paddr() + l.size()) {
                out.add(l.offset() + (paddr - l.paddr()));
            }
        }
        return out;
    }

    static long roundUp(long v, long a) {
        return (v + a - 1) / a * a;
    }
}
