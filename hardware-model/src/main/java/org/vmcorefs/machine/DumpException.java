package org.vmcorefs.machine;

import java.io.IOException;

/** A failure the dump interfaces report to a reader or writer, with the errno the kernel would give. */
public class DumpException extends IOException {
    private static final long serialVersionUID = 1L;
    private final Errno errno;

    public DumpException(Errno errno, String message) {
        super(message);
        this.errno = errno;
    }

    public DumpException(Errno errno, String message, Throwable cause) {
        super(message, cause);
        this.errno = errno;
    }

    public Errno errno() {
        return errno;
    }
}
