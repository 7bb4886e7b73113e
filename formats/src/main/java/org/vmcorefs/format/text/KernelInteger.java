package org.vmcorefs.format.text;

import java.math.BigInteger;
import org.vmcorefs.machine.DumpException;
import org.vmcorefs.machine.Errno;

/**
 * The kernel's kstrtoint(s, 0, &res), which sysfs stores use to read a number: an optional sign, then decimal,
 * octal after a leading 0, or hex after 0x; one trailing newline allowed, nothing else (no blanks).
 */
public final class KernelInteger {
    private KernelInteger() {
    }

    /** The number in {@code s}; EINVAL when it is not one, ERANGE when it does not fit in an int. */
    public static int parse(String s) throws DumpException {
        String t = s.endsWith("\n") ? s.substring(0, s.length() - 1) : s;
        boolean negative = false;
        if (t.startsWith("+") || t.startsWith("-")) {
            negative = t.charAt(0) == '-';
            t = t.substring(1);
        }
        int radix = 10;
        if (t.length() > 2 && t.charAt(0) == '0' && (t.charAt(1) == 'x' || t.charAt(1) == 'X')
                && Character.digit(t.charAt(2), 16) >= 0) {
            radix = 16;
            t = t.substring(2);
        } else if (t.startsWith("0")) {
            radix = 8;
        }
        if (t.isEmpty()) {
            throw new DumpException(Errno.EINVAL, "'" + s.strip() + "' is not a number");
        }
        for (int i = 0; i < t.length(); i++) {
            if (Character.digit(t.charAt(i), radix) < 0 || t.charAt(i) > 0x7f) {
                throw new DumpException(Errno.EINVAL, "'" + s.strip() + "' is not a number");
            }
        }
        BigInteger v = new BigInteger(t, radix);
        if (negative) {
            v = v.negate();
        }
        if (v.bitLength() > 31) {
            throw new DumpException(Errno.ERANGE, "'" + s.strip() + "' does not fit in an int");
        }
        return v.intValue();
    }
}
