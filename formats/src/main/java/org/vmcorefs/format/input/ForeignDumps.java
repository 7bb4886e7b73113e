package org.vmcorefs.format.input;

import org.vmcorefs.format.FormatException;
import java.nio.charset.StandardCharsets;
import org.vmcorefs.machine.CrashedSystem;
import org.vmcorefs.machine.DumpException;

/**
 * Dump formats recognized by their signature but not replayed (kdump-compressed dumps are, by
 * {@link KdumpCompressedReader}): input formats whose reader refuses, saying what the file is and what to
 * do about it. Without them such files would pass for a raw memory image (every file does) and be served
 * as garbage memory.
 */
final class ForeignDumps {
    static final InputFormat DISKDUMP = refused("diskdump", "DISKDUMP", "a diskdump, which vmcorefs cannot replay");
    static final InputFormat FLATTENED = refused("flattened makedumpfile stream", "makedumpfile\0",
            "a flattened makedumpfile stream (makedumpfile -F, QEMU's kdump output to a pipe): reassemble it with "
                    + "makedumpfile -R, then replay the result");

    private ForeignDumps() {
    }

    /** The format {@code name} of files starting with {@code signature}, refused as {@code description}. */
    private static InputFormat refused(String name, String signature, String description) {
        return InputFormat.of(name, head -> {
            byte[] b = new byte[Math.min(InputFormats.HEAD, head.remaining())];
            head.duplicate().get(b);
            return new String(b, StandardCharsets.ISO_8859_1).startsWith(signature);
        }, (ImageFile image, InputContext context) -> refuse(image, description));
    }

    private static CrashedSystem refuse(ImageFile image, String description) throws DumpException {
        throw new FormatException(image.path() + " is " + description);
    }
}
