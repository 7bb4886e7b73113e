package org.vmcorefs.fs.cli;

/** The command line's exit codes, documented in --help and the README. */
final class ExitCode {
    static final int OK = 0;
    /** The mount failed or ended abnormally (FUSE refused, the daemon died). */
    static final int FAILED = 1;
    /** Bad command-line usage (picocli's own code). */
    static final int USAGE = 2;
    /** The machine could not be built: bad profile parameters, a missing or corrupt image. */
    static final int BAD_MACHINE = 3;
    /** The mount point is missing, not a directory, not empty, or already mounted. */
    static final int BAD_MOUNT_POINT = 4;
    /** The mount point is not mounted (unmount, stats). */
    static final int NOT_MOUNTED = 5;

    private ExitCode() {
    }
}
