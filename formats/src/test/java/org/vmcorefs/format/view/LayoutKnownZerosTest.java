package org.vmcorefs.format.view;

import org.vmcorefs.format.MachineFactory;
import org.vmcorefs.format.MachineSpec;
import org.vmcorefs.format.env.CaptureEnvironments;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.vmcorefs.machine.Machine;
import org.vmcorefs.machine.MemoryRange;
import org.vmcorefs.machine.memory.SyntheticMemory;
import org.vmcorefs.machine.synthetic.SyntheticX86Kernel;

/** The vmcore's known-zero file ranges are zero when read, and cover every unpopulated block it holds. */
class LayoutKnownZerosTest {
    private static final long MIB = 1L << 20;

    @Test
    void everyReportedRangeReadsAsZerosAndEveryEmptyBlockIsReported() throws Exception {
        Machine m = MachineFactory.create(MachineSpec.synthetic(CaptureEnvironments.X86_64_KDUMP, 256 * MIB, 2, 9).withPopulated(0.3));
        Layout layout = VmcoreView.layout(m);
        List<MemoryRange> zeros = layout.knownZeros();
        assertFalse(zeros.isEmpty());
        ByteBuffer buf = ByteBuffer.allocate((int) MIB);
        long reported = 0;
        for (int i = 0; i < zeros.size(); i++) {
            MemoryRange z = zeros.get(i);
            if (i > 0) {
                assertTrue(zeros.get(i - 1).end() < z.start(), "sorted and merged: " + zeros.get(i - 1) + " " + z);
            }
            reported += z.size();
            for (long off = z.start(); off < z.end(); off += buf.capacity()) {
                buf.clear().limit((int) Math.min(buf.capacity(), z.end() - off));
                layout.read(off, buf);
                for (int k = 0; k < buf.position(); k++) {
                    if (buf.get(k) != 0) {
                        throw new AssertionError("non-zero byte at file offset " + (off + k) + " in " + z);
                    }
                }
            }
        }
        // Every 2 MiB block of RAM outside the crashkernel, the backup and the kernel's data (page tables,
        // struct pages: not zero) that is unpopulated is reported.
        SyntheticMemory mem = new SyntheticMemory(9, 0.3);
        List<MemoryRange> kernelData = SyntheticX86Kernel.of(mem, m.system().ram(), m.reserved(), m.system().kernel(),
                m.system().crashTime()).ranges();
        long expected = 0;
        for (MemoryRange r : m.dumpRanges()) {
            for (long b = (r.start() + SyntheticMemory.BLOCK_SIZE - 1) / SyntheticMemory.BLOCK_SIZE;
                    (b + 1) * SyntheticMemory.BLOCK_SIZE <= r.end(); b++) {
                MemoryRange block = new MemoryRange(b * SyntheticMemory.BLOCK_SIZE, SyntheticMemory.BLOCK_SIZE);
                if (!mem.isBlockPopulated(b) && !block.overlaps(new MemoryRange(0, 0xa0000))
                        && kernelData.stream().noneMatch(block::overlaps)) {
                    expected += SyntheticMemory.BLOCK_SIZE;
                }
            }
        }
        assertTrue(expected > 0);
        assertTrue(reported >= expected, "reported " + reported + " < unpopulated blocks' " + expected);
    }

    @Test
    void fullyPopulatedMemoryReportsOnlyPadding() throws Exception {
        Machine m = MachineFactory.create(MachineSpec.synthetic(CaptureEnvironments.X86_64_KDUMP, 128 * MIB, 1, 3));
        Layout layout = VmcoreView.layout(m);
        long total = layout.knownZeros().stream().mapToLong(MemoryRange::size).sum();
        assertTrue(total < 2 * 4096, "only the header and note padding: " + total);
    }
}
