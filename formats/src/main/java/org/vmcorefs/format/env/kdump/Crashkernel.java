package org.vmcorefs.format.env.kdump;

import java.util.List;
import org.vmcorefs.format.ByteSize;
import org.vmcorefs.machine.MemoryRange;
import org.vmcorefs.machine.mechanism.Kdump;

/** The --crashkernel option of the kdump profiles, read as the kernel reads crashkernel=SIZE[@START]. */
public final class Crashkernel {
    private Crashkernel() {
    }

    /**
     * The reservation {@code value} (given as option {@code option}) says: SIZE@START where it says so, SIZE 0
     * none, SIZE alone placed in {@code ram} as {@code placement} places it (not placed, null, when {@code ram}
     * is null). IllegalArgumentException naming the option when it says none.
     */
    public static MemoryRange of(String option, String value, List<MemoryRange> ram, Kdump.Placement placement) {
        String[] parts = value.split("@", 2);
        try {
            long size = ByteSize.parse(parts[0]);
            if (parts.length == 2) {
                long start = ByteSize.parse(parts[1]);
                if (start % placement.startAlign() != 0) {
                    throw new IllegalArgumentException("an " + placement.architecture() + " reservation starts on a "
                            + (placement.startAlign() >> 20) + " MiB boundary");
                }
                return new MemoryRange(start, size);
            }
            if (size == 0) {
                return new MemoryRange(0, 0);
            }
            return ram == null ? null : Kdump.placeCrashkernel(ram, size, placement);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(option + ": " + e.getMessage(), e);
        }
    }
}
