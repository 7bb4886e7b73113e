package org.vmcorefs.format.input;

import java.nio.ByteBuffer;
import java.util.function.Predicate;
import org.vmcorefs.machine.Architecture;
import org.vmcorefs.machine.CrashedSystem;
import org.vmcorefs.machine.DumpException;

/**
 * One format of {@code --image} file, as zgetdump's {@code struct dfi}: a name, a probe of the file's first
 * bytes, and a reader that makes the crashed system of a file its probe accepted. {@link InputFormats}
 * lists them in probe order.
 */
interface InputFormat {
    /** What the format is called in messages and tests. */
    String name();

    /** Whether a file starting with {@code head} (its first {@link InputFormats#HEAD} bytes or fewer) is of this format. */
    boolean probe(ByteBuffer head);

    /** The crashed system {@code image} holds, or a FormatException saying why it cannot be replayed. */
    CrashedSystem read(ImageFile image, InputContext context) throws DumpException;

    /**
     * The crashed machine's architecture as {@code image}'s header says it, read without the rest; null where
     * the format does not say (a raw memory image).
     */
    default Architecture architecture(ImageFile image) throws DumpException {
        return null;
    }

    /** The architecture an image's header gives. */
    @FunctionalInterface
    interface Peek {
        Architecture architecture(ImageFile image) throws DumpException;
    }

    /** Reads an image of a format. */
    @FunctionalInterface
    interface Reader {
        CrashedSystem read(ImageFile image, InputContext context) throws DumpException;
    }

    /** The format {@code name}, recognized by {@code probe}, read by {@code reader}. */
    static InputFormat of(String name, Predicate<ByteBuffer> probe, Reader reader) {
        return of(name, probe, reader, image -> null);
    }

    /** The format {@code name}, recognized by {@code probe}, read by {@code reader}, its architecture by {@code peek}. */
    static InputFormat of(String name, Predicate<ByteBuffer> probe, Reader reader, Peek peek) {
        return new InputFormat() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public boolean probe(ByteBuffer head) {
                return probe.test(head);
            }

            @Override
            public CrashedSystem read(ImageFile image, InputContext context) throws DumpException {
                return reader.read(image, context);
            }

            @Override
            public Architecture architecture(ImageFile image) throws DumpException {
                return peek.architecture(image);
            }

            @Override
            public String toString() {
                return name;
            }
        };
    }
}
