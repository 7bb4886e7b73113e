package org.vmcorefs.machine;

/** The Linux errno values that the dump interfaces answer with. */
public enum Errno {
    /** s390 zcore: EFAULT for reads of absent storage, ENODEV once the machine has been re-IPLed. */
    EFAULT(14), ENODEV(19),
    EPERM(1), ENOENT(2), EIO(5), EBADF(9), EAGAIN(11), EACCES(13), EBUSY(16), EEXIST(17),
    ENOTDIR(20), EISDIR(21), EINVAL(22), EFBIG(27), ENOSPC(28), ESPIPE(29), EROFS(30),
    EPIPE(32), ERANGE(34), ENODATA(61), EOVERFLOW(75), ENOTSUP(95);

    private final int value;

    Errno(int value) {
        this.value = value;
    }

    /** The positive errno number as Linux defines it on every architecture this project serves. */
    public int value() {
        return value;
    }
}
