package org.vmcorefs.format.env;

import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vmcorefs.machine.DumpException;
import org.vmcorefs.machine.Errno;
import org.vmcorefs.machine.EventLog;

/**
 * What a control file does with input the kernel silently accepts although it makes no sense (a range
 * outside the reserved memory, a number that overflows, text after the numbers): by default it answers as
 * the kernel does, logs a warning and records a "tolerated" event (counted in stats.json), so that a tool
 * under test can learn it did something wrong; with --strict it refuses with EINVAL and changes nothing.
 */
public final class KernelLeniency {
    /** The event kind stats.json counts. */
    public static final String EVENT = "tolerated";
    private static final Logger LOG = LoggerFactory.getLogger(KernelLeniency.class);

    private final boolean strict;
    private final EventLog events;

    public KernelLeniency(boolean strict, EventLog events) {
        this.strict = strict;
        this.events = events;
    }

    /**
     * Called before acting on {@code input} written to {@code file}, with what the kernel would silently
     * correct in it; throws EINVAL under --strict, else warns and counts. Nothing to say: nothing happens.
     */
    public void check(String file, String input, List<String> oddities) throws DumpException {
        if (oddities.isEmpty()) {
            return;
        }
        String what = String.join("; ", oddities);
        if (strict) {
            throw new DumpException(Errno.EINVAL, file + ": '" + printable(input) + "': " + what
                    + " (refused: --strict)");
        }
        LOG.warn("{}: '{}': {}; accepted as the kernel does (--strict refuses it)", file, printable(input), what);
        events.record(EVENT, file + ": '" + printable(input) + "': " + what);
    }

    /** {@code s} as one short line of printable ASCII, for messages. */
    public static String printable(String s) {
        String t = s.strip();
        t = t.length() > 60 ? t.substring(0, 60) + "..." : t;
        return t.replaceAll("[^\\x20-\\x7e]", "?");
    }
}
