package org.vmcorefs.format.text;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.vmcorefs.machine.DumpException;
import org.vmcorefs.machine.Errno;
import org.vmcorefs.machine.MemoryRange;

/**
 * What s390 zfcpdump's zcore/memmap shows, as zcore_memmap_open prints it: {@code "%016llx %016llx "} (start,
 * size) per memory chunk, no newline. Read back exactly so; anything else is EINVAL.
 */
public final class ZcoreMemmapText {
    /** Bytes per chunk: two 16-digit numbers and two blanks. */
    public static final int RECORD = 34;
    private static final Pattern CHUNK = Pattern.compile("([0-9a-f]{16}) ([0-9a-f]{16}) ");

    private ZcoreMemmapText() {
    }

    /** The text for {@code chunks}, in their order. */
    public static String render(List<MemoryRange> chunks) {
        StringBuilder s = new StringBuilder(chunks.size() * RECORD);
        for (MemoryRange r : chunks) {
            s.append(String.format("%016x %016x ", r.start(), r.size()));
        }
        return s.toString();
    }

    /** The chunks of {@code text}, in its order (not sorted, not merged). */
    public static List<MemoryRange> parse(String text) throws DumpException {
        if (text.length() % RECORD != 0) {
            throw new DumpException(Errno.EINVAL, "zcore/memmap is " + text.length() + " bytes, not a multiple of "
                    + RECORD + " ('%016llx %016llx ' per chunk)");
        }
        List<MemoryRange> out = new ArrayList<>(text.length() / RECORD);
        Matcher m = CHUNK.matcher(text);
        for (int at = 0; at < text.length(); at += RECORD) {
            m.region(at, at + RECORD);
            if (!m.matches()) {
                throw new DumpException(Errno.EINVAL, "zcore/memmap: chunk " + out.size() + " at byte " + at
                        + " does not read as '%016llx %016llx ': '" + text.substring(at, at + RECORD) + "'");
            }
            out.add(Hex.range(m.group(1), m.group(2), "zcore/memmap"));
        }
        return out;
    }
}
