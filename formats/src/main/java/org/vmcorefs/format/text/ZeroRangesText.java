package org.vmcorefs.format.text;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.vmcorefs.machine.DumpException;
import org.vmcorefs.machine.Errno;
import org.vmcorefs.machine.MemoryRange;

/**
 * vmcorefs' own .vmcorefs/zero-ranges: the file ranges of proc/vmcore known to be all zero, one
 * {@code "OFFSET LENGTH\n"} line each, both in hex as %x prints them. Read back exactly so; anything else is
 * EINVAL.
 */
public final class ZeroRangesText {
    private static final Pattern LINE = Pattern.compile(Hex.CANONICAL + " " + Hex.CANONICAL + "\n");

    private ZeroRangesText() {
    }

    /** The text for {@code ranges}, in their order. */
    public static String render(List<MemoryRange> ranges) {
        StringBuilder b = new StringBuilder();
        for (MemoryRange r : ranges) {
            b.append(Long.toHexString(r.start())).append(' ').append(Long.toHexString(r.size())).append('\n');
        }
        return b.toString();
    }

    /** The ranges of {@code text}, in its order. */
    public static List<MemoryRange> parse(String text) throws DumpException {
        List<MemoryRange> out = new ArrayList<>();
        Matcher m = LINE.matcher(text);
        int at = 0;
        while (at < text.length()) {
            int nl = text.indexOf('\n', at);
            int end = nl < 0 ? text.length() : nl + 1;
            m.region(at, end);
            if (!m.matches()) {
                throw new DumpException(Errno.EINVAL, "zero-ranges: line " + (out.size() + 1) + " does not read as "
                        + "'OFFSET LENGTH' in hex: '" + text.substring(at, end).strip() + "'");
            }
            out.add(Hex.range(m.group(1), m.group(2), "zero-ranges"));
            at = end;
        }
        return out;
    }
}
