package org.vmcorefs.format.input;

import org.vmcorefs.format.FormatException;
import org.vmcorefs.format.env.zfcpdump.S390Vmcoreinfo;
import org.vmcorefs.format.struct.ElfNote;
import org.vmcorefs.format.struct.S390DumpHeader;
import org.vmcorefs.format.struct.S390EndMarker;
import org.vmcorefs.format.struct.Vmcoreinfo;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vmcorefs.machine.Architecture;
import org.vmcorefs.machine.CpuState;
import org.vmcorefs.machine.CrashedSystem;
import org.vmcorefs.machine.DumpException;
import org.vmcorefs.machine.memory.FileMemory;
import org.vmcorefs.machine.KernelInfo;
import org.vmcorefs.machine.memory.LayeredMemory;
import org.vmcorefs.machine.MemoryRange;
import org.vmcorefs.machine.memory.PhysicalMemory;
import org.vmcorefs.machine.mechanism.S390SaveArea;

/**
 * Reads s390x dumps to replay as a crashed system: an s390 standalone dump (a zcore/mem copy, with or
 * without end marker, or zgetdump's output) gives memory from address 0 and the CPUs' registers from the
 * save areas of the lowcores its header lists. (An s390x ELF core, read by {@link ElfCoreReader}, gives every
 * register from its notes: see {@link S390Notes#cpus}.)
 * Memory is read lazily from the file; only the header, the save areas and VMCOREINFO are read here.
 */
public final class S390DumpReader {
    private static final Logger LOG = LoggerFactory.getLogger(S390DumpReader.class);
    private static final int MAX_VMCOREINFO = 1 << 16;
    /** The input format: an s390 standalone dump, CPUs from its lowcores. */
    static final InputFormat FORMAT = InputFormat.of("s390 dump", S390DumpReader::isS390Dump,
            (image, context) -> read(image), image -> Architecture.S390X);

    private S390DumpReader() {
    }

    public static boolean isS390Dump(ByteBuffer head) {
        return S390DumpHeader.hasMagic(head);
    }

    /** Reads {@code image}, an s390 standalone dump, as a crashed system. */
    public static CrashedSystem read(ImageFile image) throws DumpException {
        Path path = image.path();
        long fileSize = image.size();
        S390DumpHeader h = S390DumpHeader.readFrom(image.head(S390DumpHeader.SIZE));
        if (h.arch() != S390DumpHeader.ARCH_S390X) {
            throw new FormatException(path + ": s390 dump of architecture " + h.arch() + "; only s390x (2) is served");
        }
        if (h.pageSize() != 4096 || h.memStart() != 0) {
            throw new FormatException(path + ": s390 dump with page size " + h.pageSize() + " and mem_start "
                    + h.memStart() + " (expected 4096 and 0)");
        }
        long available = fileSize - S390DumpHeader.SIZE;
        boolean marker = hasEndMarker(image, h);
        // zcore/mem's copies carry memory up to mem_end although mem_size counts RAM only: take what is there.
        long data = marker ? h.memSize() : Math.min(available, Math.max(h.memSize(), h.memEnd()));
        data = data / 4096 * 4096;
        if (data <= 0) {
            throw new FormatException(path + ": s390 dump holds no memory (" + h + ", file " + fileSize + " bytes)");
        }
        if (!marker) {
            LOG.warn("{}: no \"DUMP_END\" marker at {}: an incomplete dump or a zcore/mem copy; serving {} bytes",
                    path, S390DumpHeader.SIZE + h.memSize(), data);
        }
        FileMemory file = image.memory();
        PhysicalMemory memory = LayeredMemory.over(PhysicalMemory.ZEROS)
                .append(0, data, file, S390DumpHeader.SIZE).build();
        List<CpuState> cpus = new ArrayList<>();
        long[] lc = h.lcVec();
        for (int i = 0; i < lc.length; i++) {
            long at = lc[i] + S390SaveArea.BASE;
            if (at + S390SaveArea.SIZE > data) {
                throw new FormatException(String.format("%s: lowcore of CPU %d at 0x%x is outside the dump's memory",
                        path, i, lc[i]));
            }
            ByteBuffer sa = ByteBuffer.allocate(S390SaveArea.SIZE);
            memory.read(at, sa);
            CpuState cpu = S390SaveArea.readFrom(sa.flip(), i, new byte[0]);
            if (cpu.get("prefix") != lc[i]) {
                long[] r = cpu.registers();
                r[Architecture.S390X.registerIndex("prefix")] = lc[i];
                cpu = new CpuState(Architecture.S390X, i, r, new byte[0]);
            }
            cpus.add(cpu);
        }
        String vmcoreinfo = vmcoreinfo(memory, data);
        String release = Vmcoreinfo.parse(vmcoreinfo).getOrDefault("OSRELEASE", "unknown");
        KernelInfo kernel = new KernelInfo(release, 0, 0, 0, 0, vmcoreinfo);
        return new CrashedSystem(Architecture.S390X, List.of(new MemoryRange(0, data)), memory, cpus, kernel,
                S390DumpHeader.instant(h.tod()), String.format("s390 dump %s (%d bytes of memory, %d CPUs%s)", path,
                        data, cpus.size(), marker ? "" : ", no end marker"));
    }

    private static boolean hasEndMarker(ImageFile image, S390DumpHeader h) throws DumpException {
        long at = S390DumpHeader.SIZE + h.memSize();
        if (h.memSize() < 0 || at + S390EndMarker.SIZE > image.size()) {
            return false;
        }
        try {
            return S390EndMarker.readFrom(image.readAt(at, S390EndMarker.SIZE)).tod() >= h.tod();
        } catch (DumpException e) {
            return false;
        }
    }

    /** The VMCOREINFO text the absolute lowcore points to, or "" when there is none. */
    static String vmcoreinfo(PhysicalMemory memory, long size) throws DumpException {
        ByteBuffer p = ByteBuffer.allocate(8).order(ByteOrder.BIG_ENDIAN);
        memory.read(S390Vmcoreinfo.LC_VMCORE_INFO, p);
        return vmcoreinfoNote(memory, p.getLong(0), size, ByteOrder.BIG_ENDIAN);
    }

    /**
     * The text of the VMCOREINFO ELF note at physical address {@code note} (namesz, descsz and type in
     * {@code order}, then "VMCOREINFO", then the text), or "" if no such note is there.
     */
    static String vmcoreinfoNote(PhysicalMemory memory, long note, long size, ByteOrder order)
            throws DumpException {
        if (note <= 0 || note + 24 > size) {
            return "";
        }
        ByteBuffer hdr = ByteBuffer.allocate(24).order(order);
        memory.read(note, hdr);
        int namesz = hdr.getInt(0);
        int descsz = hdr.getInt(4);
        byte[] name = new byte[10];
        hdr.get(12, name);
        if (namesz != 11 || !new String(name, StandardCharsets.US_ASCII).equals(ElfNote.VMCOREINFO)
                || descsz <= 0 || descsz > MAX_VMCOREINFO || note + 24 + descsz > size) {
            return "";
        }
        ByteBuffer desc = ByteBuffer.allocate(descsz);
        memory.read(note + 24, desc);
        return new String(desc.array(), StandardCharsets.US_ASCII).replace("\0", "");
    }
}
