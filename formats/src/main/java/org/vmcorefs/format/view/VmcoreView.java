package org.vmcorefs.format.view;

import org.vmcorefs.format.struct.CoreNotes;
import org.vmcorefs.format.struct.Elf64Ehdr;
import org.vmcorefs.format.struct.Elf64Phdr;
import org.vmcorefs.format.struct.Elf64Shdr;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.vmcorefs.machine.Architecture;
import org.vmcorefs.machine.MemoryRange;
import org.vmcorefs.machine.Machine;
import org.vmcorefs.machine.memory.PhysicalMemory;

/**
 * /proc/vmcore as Linux 3.11 and later lays it out: ELF header and program headers (the merged PT_NOTE
 * first, then one PT_LOAD per range) padded to a page, the merged notes padded to a page, then each
 * range's pages back to back, each range widened to whole pages with its real neighbouring bytes.
 */
public final class VmcoreView {
    private VmcoreView() {
    }

    /** One PT_LOAD: {@code size} bytes at physical {@code paddr}, mapped at {@code vaddr}. */
    public record Load(long vaddr, long paddr, long size) {
    }

    /** The PT_LOADs the kernel's elfcorehdr would list for {@code machine}: kernel text first where known. */
    public static List<Load> loads(Machine machine) {
        Architecture arch = machine.architecture();
        List<Load> loads = new ArrayList<>();
        if (arch.hasKernelTextMapping() && machine.kernel().textKnown()) {
            loads.add(new Load(machine.kernel().textVirtual(), machine.kernel().textPhysical(),
                    machine.kernel().textSize()));
        }
        long directMap = machine.kernel().directMapBase(arch);
        for (MemoryRange r : machine.dumpRanges()) {
            loads.add(new Load(directMap + r.start(), r.start(), r.size()));
        }
        return loads;
    }

    public static Layout layout(Machine machine) {
        return layout(machine.architecture(), CoreNotes.encode(CoreNotes.of(machine), machine.architecture()),
                loads(machine), machine.oldMemory(), machine.architecture().loadAlign());
    }

    /**
     * The ELF core layout of {@code loads} read from {@code memory}, with {@code notes} as the one PT_NOTE.
     *
     * @param loadAlign the PT_LOADs' p_align ({@link Architecture#loadAlign()} for the kernel's own)
     */
    public static Layout layout(Architecture arch, ByteBuffer notes, List<Load> loads, PhysicalMemory memory,
            long loadAlign) {
        return layout(arch, arch.elfClass(), notes, loads, memory, loadAlign);
    }

    /**
     * The layout with headers of ELF class {@code elfClass} (64, or 32 as fs/proc/vmcore.c's ELF32 path keeps
     * an ELF32 elfcorehdr: Elf32 header and program headers, the same page-aligned notes and data).
     */
    public static Layout layout(Architecture arch, int elfClass, ByteBuffer notes, List<Load> loads,
            PhysicalMemory memory, long loadAlign) {
        long page = arch.pageSize();
        int phnum = 1 + loads.size();
        boolean xnum = phnum >= Elf64Ehdr.PN_XNUM;
        if (xnum && elfClass == 32) {
            throw new IllegalArgumentException("an ELF32 core holds fewer than 65535 program headers, not " + phnum);
        }
        int ehsize = Elf64Ehdr.size(elfClass);
        int phentsize = Elf64Phdr.size(elfClass);
        long headerSize = ehsize + (long) phentsize * phnum + (xnum ? Elf64Shdr.SIZE : 0);
        long notesOffset = Layout.roundUp(headerSize, page);
        long dataOffset = notesOffset + Layout.roundUp(notes.remaining(), page);

        ByteBuffer header = ByteBuffer.allocate((int) headerSize);
        long shoff = xnum ? ehsize + (long) phentsize * phnum : 0;
        new Elf64Ehdr(arch.byteOrder(), Elf64Ehdr.ET_CORE, arch.elfMachine(), 0, ehsize, shoff, 0,
                xnum ? Elf64Ehdr.PN_XNUM : phnum, xnum ? 1 : 0, 0, elfClass).writeTo(header);
        new Elf64Phdr(Elf64Phdr.PT_NOTE, 0, notesOffset, 0, 0, notes.remaining(), notes.remaining(), 0)
                .writeTo(header, arch.byteOrder(), elfClass);
        Layout.Builder data = Layout.builder();
        long cursor = dataOffset;
        for (Load load : loads) {
            long chunkStart = load.paddr() / page * page;
            long chunkEnd = Layout.roundUp(load.paddr() + load.size(), page);
            new Elf64Phdr(Elf64Phdr.PT_LOAD, Elf64Phdr.PF_RWX, cursor + load.paddr() - chunkStart, load.vaddr(),
                    load.paddr(), load.size(), load.size(), loadAlign).writeTo(header, arch.byteOrder(), elfClass);
            data.memory(memory, chunkStart, chunkEnd - chunkStart,
                    String.format("PT_LOAD paddr 0x%x size 0x%x", load.paddr(), load.size()));
            cursor += chunkEnd - chunkStart;
        }
        if (xnum) {
            new Elf64Shdr(phnum).writeTo(header, arch.byteOrder());
        }
        header.flip();

        Layout.Builder b = Layout.builder().bytes(header, "ELF header").padTo(page).bytes(notes, "notes").padTo(page);
        for (Layout.Segment s : data.build().segments()) {
            b.add(s.length(), s.source(), s.description());
        }
        return b.build();
    }
}
