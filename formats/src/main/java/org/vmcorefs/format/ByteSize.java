package org.vmcorefs.format;

/** Sizes as people type them: a number of bytes (or 0x hex) with an optional K, M, G, T or P suffix (powers of 1024). */
public final class ByteSize {
    private ByteSize() {
    }

    /** The size {@code value} says; IllegalArgumentException with a message for the user if it says none. */
    public static long parse(String value) {
        String v = value.trim();
        if (v.isEmpty()) {
            throw new IllegalArgumentException("empty size");
        }
        char last = Character.toUpperCase(v.charAt(v.length() - 1));
        String digits = v;
        int shift = 0;
        int unit = "KMGTP".indexOf(last);
        if (unit >= 0) {
            shift = 10 * (unit + 1);
            digits = v.substring(0, v.length() - 1);
        } else if (last == 'B' && v.length() > 1) {
            digits = v.substring(0, v.length() - 1);
        }
        long n;
        try {
            n = digits.startsWith("0x") || digits.startsWith("0X") ? Long.parseUnsignedLong(digits.substring(2), 16)
                    : Long.parseLong(digits);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + value + "' is not a size (e.g. 4096, 512M, 1T)");
        }
        if (n < 0 || (shift > 0 && n > (Long.MAX_VALUE >> shift))) {
            throw new IllegalArgumentException("'" + value + "' is out of range");
        }
        return n << shift;
    }
}
