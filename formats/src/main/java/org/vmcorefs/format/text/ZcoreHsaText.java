package org.vmcorefs.format.text;

import java.util.regex.Pattern;
import org.vmcorefs.machine.DumpException;
import org.vmcorefs.machine.Errno;

/**
 * What s390 zfcpdump's zcore/hsa shows, as zcore_hsa_read prints it: the HSA's size in hex, {@code "%lx\n"},
 * and {@code "0\n"} once the HSA is released. Writing {@link #RELEASE} releases it.
 */
public final class ZcoreHsaText {
    /** What {@code vmcorefs save} writes to give the HSA back (the kernel reads only the first character). */
    public static final String RELEASE = "0\n";
    private static final Pattern TEXT = Pattern.compile(Hex.CANONICAL + "\n");

    private ZcoreHsaText() {
    }

    /** The file's text for an HSA of {@code size} bytes; 0 once released. */
    public static String render(long size) {
        return Long.toHexString(size) + "\n";
    }

    /** The HSA size {@code text} shows, 0 once released; EINVAL for anything but "%lx\n". */
    public static long parse(String text) throws DumpException {
        if (!TEXT.matcher(text).matches()) {
            throw new DumpException(Errno.EINVAL, "expected the HSA size in hex, read '" + text.strip() + "'");
        }
        return Long.parseUnsignedLong(text.substring(0, text.length() - 1), 16);
    }
}
