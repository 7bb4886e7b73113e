package org.vmcorefs.fs.save;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.vmcorefs.format.struct.CoreNotes;
import org.vmcorefs.format.DumpPaths;
import org.vmcorefs.format.struct.ElfNote;
import org.vmcorefs.format.view.Layout;
import org.vmcorefs.format.view.VmcoreView;
import org.vmcorefs.machine.Architecture;
import org.vmcorefs.machine.DumpException;
import org.vmcorefs.machine.memory.PhysicalMemory;

/** A capture environment's files as plain files in a temporary directory, for protocol tests. */
final class FakeRoot {
    final Path root;

    FakeRoot(Path root) {
        this.root = root;
    }

    /** ROOT/{@code path}, for one of {@link DumpPaths}' absolute paths. */
    Path path(String path) {
        return DumpPaths.under(root, path);
    }

    /** Writes proc/vmcore: an ELF core of {@code loads} read from {@code memory}; returns its bytes. */
    byte[] vmcore(Architecture arch, List<VmcoreView.Load> loads, PhysicalMemory memory, int pid) throws IOException {
        byte[] prstatus = new byte[336];
        prstatus[32] = (byte) pid;
        ByteBuffer notes = CoreNotes.encode(List.of(new ElfNote(ElfNote.CORE, ElfNote.NT_PRSTATUS, prstatus)), arch);
        Layout layout = VmcoreView.layout(arch, notes, loads, memory, 0);
        byte[] bytes = render(layout);
        write(DumpPaths.VMCORE, bytes);
        return bytes;
    }

    static byte[] render(Layout layout) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(Math.toIntExact(layout.size()));
        try {
            layout.read(0, b);
        } catch (DumpException e) {
            throw new IOException(e);
        }
        return b.array();
    }

    /** zcore/mem: an s390 standalone dump header (4 KiB) and {@code memSize} bytes of memory from 0. */
    byte[] zcoreMem(PhysicalMemory memory, long memSize, long tod) throws IOException {
        ByteBuffer h = ByteBuffer.allocate(4096).order(ByteOrder.BIG_ENDIAN);
        h.putLong(0, org.vmcorefs.format.struct.S390DumpHeader.MAGIC).putInt(0x08, 5).putInt(0x0c, 0x1000).putInt(0x14, 4096)
                .putLong(0x18, memSize).putLong(0x28, memSize - 1).putInt(0x30, (int) (memSize / 4096))
                .putLong(0x38, tod).putInt(0x48, 2);
        ByteBuffer all = ByteBuffer.allocate(Math.toIntExact(4096 + memSize));
        all.put(h.array());
        try {
            memory.read(0, all);
        } catch (DumpException e) {
            throw new IOException(e);
        }
        write(DumpPaths.ZCORE_MEM, all.array());
        return all.array();
    }

    void write(String path, byte[] bytes) throws IOException {
        Path p = path(path);
        Files.createDirectories(p.getParent());
        try (OutputStream o = Files.newOutputStream(p)) {
            o.write(bytes);
        }
    }

    void write(String path, String text) throws IOException {
        write(path, text.getBytes(StandardCharsets.US_ASCII));
    }
}
