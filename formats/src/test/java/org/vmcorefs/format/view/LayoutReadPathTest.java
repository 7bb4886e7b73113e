package org.vmcorefs.format.view;

import org.vmcorefs.format.env.CaptureEnvironments;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.vmcorefs.machine.Architecture;
import org.vmcorefs.machine.CrashedSystem;
import org.vmcorefs.machine.DumpException;
import org.vmcorefs.machine.Errno;
import org.vmcorefs.machine.FaultInjection;
import org.vmcorefs.machine.memory.FileMemory;
import org.vmcorefs.machine.mechanism.FirmwareDump;
import org.vmcorefs.machine.mechanism.Kdump;
import org.vmcorefs.machine.memory.LayeredMemory;
import org.vmcorefs.machine.Machine;
import org.vmcorefs.machine.MemoryRange;
import org.vmcorefs.machine.memory.PhysicalMemory;
import org.vmcorefs.machine.mechanism.PowerDump;
import org.vmcorefs.machine.memory.SyntheticMemory;
import org.vmcorefs.machine.synthetic.SyntheticPowerSystem;
import org.vmcorefs.machine.synthetic.SyntheticSystem;

/**
 * A read of a view goes from the layout's piece to the memory that holds the bytes, once: over POWER's stack
 * (the dump's layer over the reclaimable memory over the layers of what is there now), a read of one piece
 * asks the leaf once, through no more than the reclaimable memory's own table, and released memory still fails.
 */
class LayoutReadPathTest {
    private static final long GIB = 1L << 30;

    /** The crashed system's memory, counting its reads and how many layers each went through. */
    static final class CountingMemory implements PhysicalMemory {
        final SyntheticMemory bytes = new SyntheticMemory(5, 1.0);
        int reads;
        int deepestLayers;

        @Override
        public void read(long address, ByteBuffer dst) {
            reads++;
            deepestLayers = Math.max(deepestLayers, (int) Arrays.stream(Thread.currentThread().getStackTrace())
                    .filter(f -> f.getClassName().equals(LayeredMemory.class.getName())
                            && f.getMethodName().equals("read"))
                    .count());
            bytes.read(address, dst);
        }
    }

    /** A target that copies into a heap buffer and never takes a run (none may be offered here anyway). */
    static final class Copy implements ReadTarget {
        ByteBuffer copy;
        int offers;

        @Override
        public boolean takeRun(FileMemory file, long offset, int length) {
            offers++;
            return false;
        }

        @Override
        public ByteBuffer buffer(int length) {
            copy = ByteBuffer.allocate(length);
            return copy;
        }
    }

    private static byte[] expected(SyntheticMemory m, long address, int length) {
        ByteBuffer b = ByteBuffer.allocate(length);
        m.read(address, b);
        return b.array();
    }

    private static Layout.Segment segment(Layout layout, String description) {
        return layout.segments().stream().filter(s -> s.description().startsWith(description)).findFirst()
                .orElseThrow();
    }

    @Test
    void aReadOfPhypsVmcoreAsksTheLeafOnceAndReleasedMemoryStillFails() throws DumpException {
        CountingMemory crashed = new CountingMemory();
        Machine m = PowerDump.phyp(CaptureEnvironments.PPC64_PHYP.id(),
                SyntheticPowerSystem.system(Architecture.PPC64, GIB, 1, crashed.bytes, Instant.EPOCH)
                        .withMemory(crashed), new SyntheticMemory(99, 1.0), FaultInjection.NONE);
        FirmwareDump dump = m.firmwareDump();
        Layout layout = VmcoreView.layout(m);
        VirtualFile vmcore = new PowerVmcoreFile(layout, dump).open();
        MemoryRange inPlace = dump.inPlace();
        Layout.Segment segment = segment(layout, String.format("PT_LOAD paddr 0x%x ", inPlace.start()));
        long at = 0x100000;
        long address = inPlace.start() + at;
        assertEquals(0, crashed.reads, "building the layout reads nothing");

        Copy target = new Copy();
        assertEquals(65536, vmcore.read(segment.offset() + at, 65536, target));
        assertEquals(1, crashed.reads, "one read of the leaf");
        assertEquals(1, crashed.deepestLayers, "the layout goes straight to the reclaimable memory and its table");
        assertEquals(0, target.offers, "a file whose memory is given back while mounted offers no runs");
        assertArrayEquals(expected(crashed.bytes, address, 65536), target.copy.array());

        dump.release(new MemoryRange(address + 0x10000, 0x10000));
        DumpException e = assertThrows(DumpException.class,
                () -> vmcore.read(segment.offset() + at, 0x20000, new Copy()));
        assertEquals(Errno.EIO, e.errno(), "released memory never passes for the dump's bytes");
        ByteBuffer before = ByteBuffer.allocate(0x10000);
        vmcore.read(segment.offset() + at, before);
        assertArrayEquals(expected(crashed.bytes, address, 0x10000), before.array(), "the part still reserved");
        assertThrows(DumpException.class, () -> layout.read(segment.offset() + at + 0x10000, ByteBuffer.allocate(16)),
                "the layout itself checks, not only the file");
    }

    @Test
    void aReadOfKdumpsVmcoreAsksTheLeafOnceThroughNoLayer() throws DumpException {
        CountingMemory crashed = new CountingMemory();
        CrashedSystem system = SyntheticSystem.x86_64(GIB, 1, crashed.bytes, 0, Instant.EPOCH).withMemory(crashed);
        Machine m = Kdump.build(CaptureEnvironments.X86_64_KDUMP.id(), system, Kdump.defaultCrashkernel(system.ram()),
                new SyntheticMemory(77, 1.0), FaultInjection.NONE);
        Layout layout = VmcoreView.layout(m);
        Layout.Segment low = segment(layout, "PT_LOAD paddr 0x0 ");
        Layout.Segment high = segment(layout, "PT_LOAD paddr 0x100000 ");
        long past = high.offset() + 0x3000;
        Copy target = new Copy();
        assertEquals(0x8000, new LayoutFile(layout, Errno.EIO).read(past, 0x8000, target));
        assertEquals(1, crashed.reads, "one read of the leaf");
        assertEquals(0, crashed.deepestLayers, "old memory over memory now over the crashed memory: all resolved");
        assertArrayEquals(expected(crashed.bytes, 0x103000, 0x8000), target.copy.array());
        assertEquals(low.end(), high.offset());

        assertEquals(0x2000, layout.read(low.offset() + Kdump.BACKUP.end() - 0x1000, ByteBuffer.allocate(0x2000)));
        assertEquals(3, crashed.reads, "the kexec backup's block (from the crashed memory), then the memory after it");
        assertEquals(1, m.savedArea().counters().requests(), "the backup is still read through its interface");
    }
}
