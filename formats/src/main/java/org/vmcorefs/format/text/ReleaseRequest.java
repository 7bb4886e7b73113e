package org.vmcorefs.format.text;

import org.vmcorefs.format.env.KernelLeniency;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.vmcorefs.machine.DumpException;
import org.vmcorefs.machine.Errno;
import org.vmcorefs.machine.MemoryRange;

/**
 * What is written to /sys/kernel/release_region: {@code <start> <length>}, read as the kernel's
 * {@code sscanf(buf, "%lx %lx", ...)} reads them. Only fewer than two numbers is an error (EINVAL); what the
 * kernel reads anyway although it makes no sense (text after the numbers, a number wider than 64 bits, which
 * simple_strtoull wraps) is listed in {@link #oddities()}.
 *
 * @param start the first address asked for (wrapped to 64 bits)
 * @param length how many bytes (wrapped to 64 bits)
 * @param oddities what the kernel would silently accept or correct, empty for a clean request
 */
public record ReleaseRequest(long start, long length, List<String> oddities) {
    /**
     * Two hex numbers, each with an optional 0x, blanks before and between (sscanf's " " matches any amount,
     * even none after a number that ended at a non-hex character), then anything. Possessive digits: a number
     * is all the hex digits there are, as %lx reads them.
     */
    private static final Pattern FORM = Pattern.compile(
            "\\s*(?:0[xX])?([0-9a-fA-F]++)\\s*(?:0[xX])?([0-9a-fA-F]++)(.*)", Pattern.DOTALL);

    public ReleaseRequest {
        oddities = List.copyOf(oddities);
    }

    /** A request for [start, start + length) with nothing odd about it. */
    public ReleaseRequest(long start, long length) {
        this(start, length, List.of());
    }

    /** A request for {@code range}. */
    public static ReleaseRequest of(MemoryRange range) {
        return new ReleaseRequest(range.start(), range.size());
    }

    /** What {@code vmcorefs save} writes: {@code "0x%x 0x%x\n"}, which {@link #parse} reads back as it is. */
    public String render() {
        return String.format("0x%x 0x%x\n", start, length);
    }

    /** The request {@code input} makes; EINVAL for fewer than two hex numbers. */
    public static ReleaseRequest parse(String input) throws DumpException {
        Matcher m = FORM.matcher(input);
        if (!m.matches()) {
            throw new DumpException(Errno.EINVAL, "release_region: '" + KernelLeniency.printable(input)
                    + "': fewer than two hex numbers, expected '<start> <length>'");
        }
        List<String> odd = new ArrayList<>();
        long start = wrapped(m.group(1), odd);
        long length = wrapped(m.group(2), odd);
        String rest = m.group(3);
        if (!rest.isBlank()) {
            odd.add("text after the two numbers ('" + KernelLeniency.printable(rest) + "') is ignored");
        }
        return new ReleaseRequest(start, length, odd);
    }

    /** The number's low 64 bits, as simple_strtoull leaves them; wider numbers are noted. */
    private static long wrapped(String digits, List<String> odd) {
        String significant = digits.replaceFirst("^0+(?=.)", "");
        if (significant.length() > 16) {
            String low = significant.substring(significant.length() - 16);
            odd.add("0x" + significant + " is wider than 64 bits: only its low 64 bits (0x"
                    + low.replaceFirst("^0+(?=.)", "") + ") count");
            significant = low;
        }
        return Long.parseUnsignedLong(significant, 16);
    }
}
