package org.vmcorefs.fs.save;

/** Why a save stopped, with the exit code the command reports (documented in {@code vmcorefs save --help}). */
public final class SaveException extends Exception {
    private static final long serialVersionUID = 1L;
    /** No dump under ROOT, or not the files the requested format needs. */
    public static final int NO_DUMP = 10;
    /** A read of the dump failed for good (permanent errno, or transient errors past the retries). */
    public static final int READ_FAILED = 11;
    /** Writing or syncing OUTFILE or its manifest failed (e.g. ENOSPC). */
    public static final int WRITE_FAILED = 12;
    /** What was written does not match the checksums. */
    public static final int VERIFY_FAILED = 13;
    /** Releasing memory failed: the dump is saved, the memory is still reserved. */
    public static final int RELEASE_FAILED = 14;
    /** --resume refused: no manifest, or it is for another dump or other options. */
    public static final int RESUME_REFUSED = 15;
    /** The dump's headers are not what the mechanism's files promise. */
    public static final int BAD_DUMP = 16;

    private final int exitCode;

    public SaveException(int exitCode, String message) {
        super(message);
        this.exitCode = exitCode;
    }

    public SaveException(int exitCode, String message, Throwable cause) {
        super(message, cause);
        this.exitCode = exitCode;
    }

    public int exitCode() {
        return exitCode;
    }
}
