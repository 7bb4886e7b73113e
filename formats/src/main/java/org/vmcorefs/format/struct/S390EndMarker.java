package org.vmcorefs.format.struct;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import org.vmcorefs.machine.DumpException;
import org.vmcorefs.machine.Errno;

/**
 * The end marker after an s390 dump's memory; zgetdump and libkdumpfile refuse a dump without it, and
 * the kernel's zcore/mem has none.
 *
 * <pre>
 * struct df_s390_em {   // s390-tools df_s390.h
 *   char str[8];        // 0x00  "DUMP_END"
 *   u64  tod;           // 0x08  TOD clock at dump end, not before the header's
 * } __attribute__((packed));  // 0x10
 * </pre>
 */
public record S390EndMarker(long tod) {
    public static final int SIZE = 0x10;
    static final int OFF_STR = 0x00;
    static final int OFF_TOD = 0x08;
    static final byte[] STR = "DUMP_END".getBytes(StandardCharsets.US_ASCII);

    public void writeTo(ByteBuffer buf) {
        ByteBuffer b = buf.slice(buf.position(), SIZE).order(ByteOrder.BIG_ENDIAN);
        b.put(OFF_STR, STR);
        b.putLong(OFF_TOD, tod);
        buf.position(buf.position() + SIZE);
    }

    public ByteBuffer toBuffer() {
        ByteBuffer b = ByteBuffer.allocate(SIZE);
        writeTo(b);
        return b.flip();
    }

    public static S390EndMarker readFrom(ByteBuffer buf) throws DumpException {
        if (buf.remaining() < SIZE) {
            throw new DumpException(Errno.EINVAL, "no room for the s390 dump end marker");
        }
        ByteBuffer b = buf.slice(buf.position(), SIZE).order(ByteOrder.BIG_ENDIAN);
        byte[] str = new byte[STR.length];
        b.get(OFF_STR, str);
        if (!java.util.Arrays.equals(str, STR)) {
            throw new DumpException(Errno.EINVAL, "s390 dump end marker \"DUMP_END\" not found");
        }
        buf.position(buf.position() + SIZE);
        return new S390EndMarker(b.getLong(OFF_TOD));
    }
}
