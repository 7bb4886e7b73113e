package org.vmcorefs.format;

import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.vmcorefs.machine.DumpException;
import org.vmcorefs.machine.Errno;
import org.vmcorefs.machine.MemoryRange;

/**
 * What is written to /sys/kernel/release_region: {@code <start> <length>}, both hex with an optional 0x, as the
 * kernel's {@code sscanf(buf, "%lx %lx", ...)} reads them. Parsed in full before anything acts on it.
 *
 * @param start the first address to release
 * @param length how many bytes
 */
public record ReleaseRequest(long start, long length) {
    /** Two hex numbers separated by blanks; a trailing newline (echo) or blanks are allowed, nothing else. */
    private static final Pattern FORM = Pattern.compile(
            "\\s*(?:0[xX])?([0-9a-fA-F]+)[ \\t]+(?:0[xX])?([0-9a-fA-F]+)\\s*");
    private static final Pattern ONE_NUMBER = Pattern.compile("\\s*(?:0[xX])?[0-9a-fA-F]+\\s*");

    /**
     * Reads a request: fewer than two numbers or anything else than two hex numbers is EINVAL (sscanf would
     * not return 2); a number or an end beyond 64 bits is ERANGE, as the kernel's kstrtoul answers.
     */
    public static ReleaseRequest parse(String input) throws DumpException {
        Matcher m = FORM.matcher(input);
        if (!m.matches()) {
            String why = input.isBlank() || ONE_NUMBER.matcher(input).matches()
                    ? "fewer than two numbers" : "not two hex numbers";
            throw new DumpException(Errno.EINVAL, "release_region: '" + printable(input) + "': " + why
                    + ", expected '<start> <length>' in hex");
        }
        long start = hex(m.group(1), input);
        long length = hex(m.group(2), input);
        if (Long.compareUnsigned(start + length, start) < 0) {
            throw new DumpException(Errno.ERANGE, "release_region: '" + printable(input)
                    + "': start + length is beyond 64 bits");
        }
        return new ReleaseRequest(start, length);
    }

    private static long hex(String digits, String input) throws DumpException {
        String significant = digits.replaceFirst("^0+(?=.)", "");
        if (significant.length() > 16) {
            throw new DumpException(Errno.ERANGE, "release_region: '" + printable(input) + "': 0x" + digits
                    + " does not fit in 64 bits");
        }
        return Long.parseUnsignedLong(significant, 16);
    }

    /**
     * The physical range asked for. Addresses from 2^63 on are beyond any machine's memory: EINVAL, like any
     * range outside the reserved memory.
     */
    public MemoryRange range() throws DumpException {
        if (start < 0 || length < 0 || start + length < 0) {
            throw new DumpException(Errno.EINVAL, String.format("release_region: 0x%x + 0x%x is beyond memory",
                    start, length));
        }
        return new MemoryRange(start, length);
    }

    private static String printable(String s) {
        String t = s.strip();
        t = t.length() > 60 ? t.substring(0, 60) + "..." : t;
        return t.replaceAll("[^\\x20-\\x7e]", "?");
    }
}
