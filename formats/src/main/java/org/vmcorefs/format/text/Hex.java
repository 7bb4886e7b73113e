package org.vmcorefs.format.text;

import org.vmcorefs.machine.DumpException;
import org.vmcorefs.machine.Errno;
import org.vmcorefs.machine.MemoryRange;

/** The numbers of the text files: hex digits as the kernel's %x prints them, read back into ranges. */
final class Hex {
    /** What %x prints for a 64-bit value: lowercase, no leading zeros, "0" for zero. */
    static final String CANONICAL = "(0|[1-9a-f][0-9a-f]{0,15})";

    private Hex() {
    }

    /** The range [start, start + size) of two hex numbers; EINVAL for one that is not a physical range. */
    static MemoryRange range(String start, String size, String file) throws DumpException {
        long s = number(start, file);
        long n = number(size, file);
        if (s < 0 || n < 0 || s + n < s) {
            throw new DumpException(Errno.EINVAL, String.format("%s: 0x%s + 0x%s is not a range of physical "
                    + "addresses", file, start, size));
        }
        return new MemoryRange(s, n);
    }

    private static long number(String digits, String file) throws DumpException {
        try {
            return Long.parseUnsignedLong(digits, 16);
        } catch (NumberFormatException e) {
            throw new DumpException(Errno.EINVAL, file + ": 0x" + digits + " is wider than 64 bits", e);
        }
    }
}
