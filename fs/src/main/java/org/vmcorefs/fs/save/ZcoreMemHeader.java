package org.vmcorefs.fs.save;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The fields of the s390 standalone dump header (zcore/mem's first page) that a copy needs; big-endian.
 *
 * <pre>
 * 0x000 u64 magic 0xa8190173618f23fd   0x00c u32 header size   0x014 u32 page size
 * 0x018 u64 mem_size                   0x038 u64 TOD clock at dump start
 * </pre>
 */
record ZcoreMemHeader(int headerSize, int pageSize, long memSize, long tod) {
    static final long MAGIC = 0xa8190173618f23fdL;
    static final int READ_SIZE = 0x40;
    private static final int MAGIC_OFF = 0x000;
    private static final int HEADER_SIZE_OFF = 0x00c;
    private static final int PAGE_SIZE_OFF = 0x014;
    private static final int MEM_SIZE_OFF = 0x018;
    private static final int TOD_OFF = 0x038;
    /** TOD clock value of the Unix epoch; one microsecond is 4096 TOD units. */
    static final long TOD_UNIX_EPOCH = 0x7D91048BCA000000L;
    /** The 16-byte end marker: "DUMP_END" and the TOD at the dump's end. */
    static final int END_MARKER_SIZE = 16;

    static ZcoreMemHeader readFrom(ByteBuffer buf) {
        ByteBuffer b = buf.slice(buf.position(), READ_SIZE).order(ByteOrder.BIG_ENDIAN);
        if (b.getLong(MAGIC_OFF) != MAGIC) {
            throw new IllegalArgumentException(String.format("not an s390 dump (magic 0x%016x)", b.getLong(MAGIC_OFF)));
        }
        return new ZcoreMemHeader(b.getInt(HEADER_SIZE_OFF), b.getInt(PAGE_SIZE_OFF), b.getLong(MEM_SIZE_OFF),
                b.getLong(TOD_OFF));
    }

    /** The end marker for a dump ended at {@code unixMicros}, never before the dump's start. */
    byte[] endMarker(long unixMicros) {
        long end = (unixMicros << 12) + TOD_UNIX_EPOCH;
        if (Long.compareUnsigned(end, tod) < 0) {
            end = tod;
        }
        ByteBuffer m = ByteBuffer.allocate(END_MARKER_SIZE).order(ByteOrder.BIG_ENDIAN);
        m.put("DUMP_END".getBytes(java.nio.charset.StandardCharsets.US_ASCII)).putLong(end);
        return m.array();
    }
}
