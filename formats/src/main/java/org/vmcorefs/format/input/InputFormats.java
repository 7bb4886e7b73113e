package org.vmcorefs.format.input;

import org.vmcorefs.format.FormatException;
import java.nio.ByteBuffer;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vmcorefs.machine.Architecture;
import org.vmcorefs.machine.CrashedSystem;
import org.vmcorefs.machine.DumpException;

/**
 * The input formats in probe order, as zgetdump's {@code dfi_vec[]}, and the one probe loop: the first
 * format whose probe accepts the file's first bytes reads it. Refusals of formats vmcorefs cannot replay
 * come before the raw image, which accepts anything.
 */
public final class InputFormats {
    private static final Logger LOG = LoggerFactory.getLogger(InputFormats.class);
    /** How many of a file's first bytes the probes see. */
    static final int HEAD = 16;
    static final List<InputFormat> ALL = List.of(
            KdumpCompressedReader.FORMAT,
            ForeignDumps.DISKDUMP,
            ForeignDumps.FLATTENED,
            ElfCoreReader.FORMAT,
            S390DumpReader.FORMAT,
            RawImage.FORMAT);

    private InputFormats() {
    }

    /** The format of a file starting with {@code head}: the first that accepts it. */
    static InputFormat probe(ByteBuffer head) {
        for (InputFormat f : ALL) {
            if (f.probe(head.duplicate())) {
                return f;
            }
        }
        throw new IllegalStateException("no input format accepts the file, not even the raw image");
    }

    /** The crashed system {@code image} holds, with the crash time the user gave if any. */
    /** The architecture {@code image}'s header names, or null where its format says none (or it is empty). */
    public static Architecture architecture(ImageFile image) throws DumpException {
        return image.size() == 0 ? null : probe(image.head(HEAD)).architecture(image);
    }

    public static CrashedSystem read(ImageFile image, InputContext context) throws DumpException {
        if (image.size() == 0) {
            throw new FormatException(image.path() + ": image is empty");
        }
        CrashedSystem s = probe(image.head(HEAD)).read(image, context);
        LOG.info("replaying {}", s.origin());
        if (context.crashTime() != null) {
            s = new CrashedSystem(s.architecture(), s.ram(), s.memory(), s.cpus(), s.kernel(), context.crashTime(),
                    s.origin());
        }
        return s;
    }
}
