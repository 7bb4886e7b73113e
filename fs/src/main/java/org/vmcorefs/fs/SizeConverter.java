package org.vmcorefs.fs;

import picocli.CommandLine;

/** Sizes on the command line: a number of bytes with an optional K, M, G, T or P suffix (powers of 1024). */
final class SizeConverter implements CommandLine.ITypeConverter<Long> {
    @Override
    public Long convert(String value) {
        return parse(value);
    }

    static long parse(String value) {
        String v = value.trim();
        if (v.isEmpty()) {
            throw new CommandLine.TypeConversionException("empty size");
        }
        char last = Character.toUpperCase(v.charAt(v.length() - 1));
        String digits = v;
        int shift = 0;
        String units = "KMGTP";
        int unit = units.indexOf(last);
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
            throw new CommandLine.TypeConversionException("'" + value + "' is not a size (e.g. 4096, 512M, 1T)");
        }
        if (n < 0 || (shift > 0 && n > (Long.MAX_VALUE >> shift))) {
            throw new CommandLine.TypeConversionException("'" + value + "' is out of range");
        }
        return n << shift;
    }
}
