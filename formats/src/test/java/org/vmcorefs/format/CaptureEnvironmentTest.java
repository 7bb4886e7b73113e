package org.vmcorefs.format;

import org.vmcorefs.format.env.CaptureEnvironment;
import org.vmcorefs.format.env.CaptureEnvironments;
import org.vmcorefs.format.struct.Elf64Phdr;
import org.vmcorefs.format.view.DumpTree;
import org.vmcorefs.format.view.VirtualFile;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.vmcorefs.machine.DumpException;
import org.vmcorefs.machine.Errno;
import org.vmcorefs.machine.Machine;
import org.vmcorefs.machine.MemoryRange;
import org.vmcorefs.machine.memory.SyntheticMemory;

/** The x86_64-kdump files of a machine built from a spec, as the mount serves them. */
class CaptureEnvironmentTest {
    private static final long SEED = 17;
    private final SyntheticMemory crashTime = new SyntheticMemory(SEED, 1.0);
    private final SyntheticMemory capture = new SyntheticMemory(SEED ^ MachineFactory.CAPTURE_SEED, 1.0);

    private static void assertBytes(VirtualFile f, long offset, int length, SyntheticMemory expected, long address)
            throws DumpException {
        ByteBuffer b = ByteBuffer.allocate(length);
        assertEquals(length, f.read(offset, b));
        for (int i = 0; i < length; i++) {
            if (b.get(i) != expected.byteAt(address + i)) {
                throw new AssertionError(String.format("file offset 0x%x: expected the byte at 0x%x", offset + i,
                        address + i));
            }
        }
    }

    @Test
    void vmcoreShowsCrashTimeLowMemoryOldmemTheCaptureKernelsAndTheBackupCopy() throws Exception {
        Machine m = MachineFactory.create(MachineSpec.synthetic(CaptureEnvironments.X86_64_KDUMP, 1L << 30, 2, SEED));
        DumpTree tree = CaptureEnvironment.of(m);
        VirtualFile vmcore = tree.file(DumpPaths.VMCORE);
        VirtualFile oldmem = tree.file(DumpPaths.OLDMEM);
        MemoryRange ck = m.reserved();
        assertEquals(new MemoryRange(0x38000000L, 128L << 20), ck);

        ByteBuffer head = ByteBuffer.allocate(4096).order(ByteOrder.LITTLE_ENDIAN);
        vmcore.read(0, head);
        int phnum = head.getShort(0x38);
        long lowOffset = -1;
        for (int i = 1; i < phnum; i++) {
            Elf64Phdr p = Elf64Phdr.readFrom(head.position(64 + 56 * i), ByteOrder.LITTLE_ENDIAN);
            assertTrue(!new MemoryRange(p.paddr(), p.memsz()).overlaps(ck),
                    "no RAM PT_LOAD covers the crashkernel region");
            if (p.paddr() == 0) {
                lowOffset = p.offset();
                assertEquals(0xa0000, p.filesz());
            }
        }
        assertBytes(vmcore, lowOffset, 0xa0000, crashTime, 0);
        assertEquals(160, m.savedArea().counters().blocks());
        assertBytes(oldmem, 0, 0xa0000, capture, 0);
        assertBytes(oldmem, ck.start(), 0xa0000, crashTime, 0);
        assertBytes(oldmem, ck.start() + 0xa0000, 8192, capture, ck.start() + 0xa0000);
        assertBytes(oldmem, 0x100000, 8192, crashTime, 0x100000);
        assertEquals(m.system().endOfRam(), oldmem.size());
        assertEquals(160, m.savedArea().counters().blocks(), "oldmem never fetches from the backup");
    }

    @Test
    void dumpFilesAreReadOnlyAsTheKernelsAre() throws Exception {
        Machine m = MachineFactory.create(MachineSpec.synthetic(CaptureEnvironments.X86_64_KDUMP, 64L << 20, 1, SEED));
        DumpTree tree = CaptureEnvironment.of(m);
        assertEquals(MachineSpec.DEFAULT_CRASH_TIME, tree.time(), "every file shows the crash time");
        for (String path : List.of(DumpPaths.VMCORE, DumpPaths.OLDMEM)) {
            assertEquals(0400, tree.file(path).mode());
        }
        assertEquals(Errno.EIO, assertThrows(DumpException.class, () -> tree.file(DumpPaths.VMCORE)
                .write(0, ByteBuffer.allocate(1))).errno(), "procfs without a write method");
        assertEquals(Errno.EINVAL, assertThrows(DumpException.class, () -> tree.file(DumpPaths.OLDMEM)
                .write(0, ByteBuffer.allocate(1))).errno(), "a char device without a write method");
    }
}
