package org.vmcorefs.format;

import org.vmcorefs.machine.DumpException;
import org.vmcorefs.machine.Errno;

/** Input that is not what its format says it must be: a bad or truncated dump, a malformed header. */
public final class FormatException extends DumpException {
    private static final long serialVersionUID = 1L;

    public FormatException(String message) {
        super(Errno.EINVAL, message);
    }

    public FormatException(String message, Throwable cause) {
        super(Errno.EINVAL, message, cause);
    }
}
