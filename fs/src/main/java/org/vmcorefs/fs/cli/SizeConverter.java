package org.vmcorefs.fs.cli;

import org.vmcorefs.format.ByteSize;
import picocli.CommandLine;

/** Sizes on the command line: a number of bytes with an optional K, M, G, T or P suffix (powers of 1024). */
final class SizeConverter implements CommandLine.ITypeConverter<Long> {
    @Override
    public Long convert(String value) {
        return parse(value);
    }

    static long parse(String value) {
        try {
            return ByteSize.parse(value);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.TypeConversionException(e.getMessage());
        }
    }
}
