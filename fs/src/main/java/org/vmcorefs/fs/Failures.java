package org.vmcorefs.fs;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vmcorefs.machine.DumpException;
import org.vmcorefs.machine.Errno;

/** The one rule, for both FUSE adapters, by which a failed operation becomes an errno. */
public final class Failures {
    private static final Logger LOG = LoggerFactory.getLogger(Failures.class);

    private Failures() {
    }

    /**
     * A DumpException's own errno (logged as a warning), anything else EIO (logged as an error, with its stack):
     * the negative errno a FUSE reply carries.
     */
    public static int errno(String op, String path, long offset, long length, Throwable e) {
        if (e instanceof DumpException d) {
            LOG.warn("{} {} offset {} length {}: {} ({})", op, path, offset, length, d.getMessage(), d.errno());
            return -d.errno().value();
        }
        LOG.error("{} {} offset {} length {}: unexpected failure", op, path, offset, length, e);
        return -Errno.EIO.value();
    }
}
