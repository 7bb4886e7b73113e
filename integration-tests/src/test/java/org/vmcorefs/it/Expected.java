package org.vmcorefs.it;

import java.util.List;
import org.vmcorefs.machine.memory.SyntheticMemory;

/** Expected bytes of the mounted files, from the model (SyntheticMemory.byteAt) and PT_LOAD tables. */
final class Expected {
    /** The byte at a physical address. */
    interface Memory {
        byte at(long address);
    }

    private Expected() {
    }

    /** The physical address a vmcore file offset holds, or -1 outside every PT_LOAD's pages. */
    static long physicalAt(List<Elf.Phdr> loads, long fileOffset) {
        for (Elf.Phdr p : loads) {
            if (fileOffset >= p.chunkStart() && fileOffset < p.chunkEnd()) {
                return p.paddr() + (fileOffset - p.offset());
            }
        }
        return -1;
    }

    /**
     * Compares {@code got}, read at {@code fileOffset} of a vmcore, with {@code memory} through the PT_LOAD
     * table; bytes outside the PT_LOADs' pages (headers, notes) are skipped. Returns the bytes compared.
     */
    static long assertVmcoreBytes(List<Elf.Phdr> loads, long fileOffset, byte[] got, Memory memory) {
        long compared = 0;
        for (int i = 0; i < got.length; i++) {
            long pa = physicalAt(loads, fileOffset + i);
            if (pa < 0) {
                continue;
            }
            byte want = memory.at(pa);
            if (got[i] != want) {
                throw new AssertionError(String.format("vmcore offset 0x%x (physical 0x%x): got %02x, expected %02x",
                        fileOffset + i, pa, got[i], want));
            }
            compared++;
        }
        return compared;
    }

    static Memory of(SyntheticMemory m) {
        return m::byteAt;
    }
}
