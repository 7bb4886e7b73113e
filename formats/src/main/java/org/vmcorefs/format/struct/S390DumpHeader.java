package org.vmcorefs.format.struct;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Instant;
import java.util.Arrays;
import org.vmcorefs.machine.DumpException;
import org.vmcorefs.machine.Errno;
import org.vmcorefs.machine.mechanism.Zfcpdump;

/**
 * The header of an s390 standalone dump, as zcore/mem and the stand-alone dumpers write it and zgetdump
 * and libkdumpfile read it: 4 KiB, big-endian, packed.
 *
 * <pre>
 * struct zcore_header {      // drivers/s390/char/zcore.c; s390-tools df_s390.h
 *   u64 magic;               // 0x000  0xa8190173618f23fd
 *   u32 version;             // 0x008  5: registers in the lowcores
 *   u32 header_size;         // 0x00c  4096
 *   u32 dump_level;          // 0x010
 *   u32 page_size;           // 0x014
 *   u64 mem_size;            // 0x018
 *   u64 mem_start;           // 0x020
 *   u64 mem_end;             // 0x028
 *   u32 num_pages;           // 0x030
 *   u32 pad1;                // 0x034
 *   u64 tod;                 // 0x038  TOD clock at dump start
 *   struct cpuid cpu_id;     // 0x040  u64
 *   u32 arch_id;             // 0x048  2 = s390x
 *   u32 volnr;               // 0x04c
 *   u32 build_arch;          // 0x050
 *   u64 rmem_size;           // 0x054  (unaligned)
 *   u8  mvdump;              // 0x05c
 *   u16 cpu_cnt;             // 0x05d  (unaligned)
 *   u16 real_cpu_cnt;        // 0x05f  (unaligned)
 *   u8  end_pad1[0x200-0x061];
 *   u64 mvdump_sign;         // 0x200
 *   u64 mvdump_zipl_time;    // 0x208
 *   u8  end_pad2[0x800-0x210];
 *   u32 lc_vec[512];         // 0x800  prefixes of the CPUs, boot CPU first
 * } __attribute__((packed));  // 0x1000
 * </pre>
 *
 * @param lcVec the prefixes of the CPUs with a non-zero prefix (cpu_cnt = its length)
 */
public record S390DumpHeader(int version, int dumpLevel, int pageSize, long memSize, long memStart, long memEnd,
        int numPages, long tod, long cpuId, int arch, int volnr, int buildArch, long realMemSize, int mvdump,
        int realCpuCount, long[] lcVec) {
    public static final long MAGIC = 0xa8190173618f23fdL;
    public static final int SIZE = 0x1000;
    public static final int VERSION = 5;
    public static final int ARCH_S390 = 1;
    public static final int ARCH_S390X = 2;
    /** The TOD clock value of 1970-01-01T00:00:00Z; the TOD counts 2^-12 microseconds. */
    public static final long TOD_UNIX_EPOCH = 0x7D91048BCA000000L;
    static final int OFF_MAGIC = 0x000;
    static final int OFF_VERSION = 0x008;
    static final int OFF_HEADER_SIZE = 0x00c;
    static final int OFF_DUMP_LEVEL = 0x010;
    static final int OFF_PAGE_SIZE = 0x014;
    static final int OFF_MEM_SIZE = 0x018;
    static final int OFF_MEM_START = 0x020;
    static final int OFF_MEM_END = 0x028;
    static final int OFF_NUM_PAGES = 0x030;
    static final int OFF_TOD = 0x038;
    static final int OFF_CPU_ID = 0x040;
    static final int OFF_ARCH = 0x048;
    static final int OFF_VOLNR = 0x04c;
    static final int OFF_BUILD_ARCH = 0x050;
    static final int OFF_RMEM_SIZE = 0x054;
    static final int OFF_MVDUMP = 0x05c;
    static final int OFF_CPU_CNT = 0x05d;
    static final int OFF_REAL_CPU_CNT = 0x05f;
    static final int OFF_LC_VEC = 0x800;

    public S390DumpHeader {
        lcVec = lcVec.clone();
        if (lcVec.length > Zfcpdump.MAX_CPUS) {
            throw new IllegalArgumentException("an s390 dump header holds at most " + Zfcpdump.MAX_CPUS + " CPUs");
        }
    }

    @Override
    public long[] lcVec() {
        return lcVec.clone();
    }

    public int cpuCount() {
        return lcVec.length;
    }

    /** The TOD clock value at {@code t}. */
    public static long tod(Instant t) {
        long micros = t.getEpochSecond() * 1_000_000L + t.getNano() / 1000;
        return TOD_UNIX_EPOCH + (micros << 12);
    }

    /** The instant of TOD clock value {@code tod}. */
    public static Instant instant(long tod) {
        long micros = (tod - TOD_UNIX_EPOCH) >>> 12;
        return Instant.ofEpochSecond(micros / 1_000_000L, micros % 1_000_000L * 1000);
    }

    /** Writes the SIZE bytes of the header at {@code buf}'s position and advances it. */
    public void writeTo(ByteBuffer buf) {
        ByteBuffer b = buf.slice(buf.position(), SIZE).order(ByteOrder.BIG_ENDIAN);
        for (int i = 0; i < SIZE; i++) {
            b.put(i, (byte) 0);
        }
        b.putLong(OFF_MAGIC, MAGIC);
        b.putInt(OFF_VERSION, version);
        b.putInt(OFF_HEADER_SIZE, SIZE);
        b.putInt(OFF_DUMP_LEVEL, dumpLevel);
        b.putInt(OFF_PAGE_SIZE, pageSize);
        b.putLong(OFF_MEM_SIZE, memSize);
        b.putLong(OFF_MEM_START, memStart);
        b.putLong(OFF_MEM_END, memEnd);
        b.putInt(OFF_NUM_PAGES, numPages);
        b.putLong(OFF_TOD, tod);
        b.putLong(OFF_CPU_ID, cpuId);
        b.putInt(OFF_ARCH, arch);
        b.putInt(OFF_VOLNR, volnr);
        b.putInt(OFF_BUILD_ARCH, buildArch);
        b.putLong(OFF_RMEM_SIZE, realMemSize);
        b.put(OFF_MVDUMP, (byte) mvdump);
        b.putShort(OFF_CPU_CNT, (short) lcVec.length);
        b.putShort(OFF_REAL_CPU_CNT, (short) realCpuCount);
        for (int i = 0; i < lcVec.length; i++) {
            b.putInt(OFF_LC_VEC + 4 * i, (int) lcVec[i]);
        }
        buf.position(buf.position() + SIZE);
    }

    public ByteBuffer toBuffer() {
        ByteBuffer b = ByteBuffer.allocate(SIZE);
        writeTo(b);
        return b.flip();
    }

    public static boolean hasMagic(ByteBuffer start) {
        return start.remaining() >= 8 && start.duplicate().order(ByteOrder.BIG_ENDIAN).getLong(start.position()) == MAGIC;
    }

    /** Reads a header at {@code buf}'s position; anything but an s390 dump header fails with a clear message. */
    public static S390DumpHeader readFrom(ByteBuffer buf) throws DumpException {
        if (buf.remaining() < SIZE) {
            throw new DumpException(Errno.EINVAL, "too short for an s390 dump header: " + buf.remaining() + " bytes");
        }
        ByteBuffer b = buf.slice(buf.position(), SIZE).order(ByteOrder.BIG_ENDIAN);
        if (b.getLong(OFF_MAGIC) != MAGIC) {
            throw new DumpException(Errno.EINVAL, String.format("not an s390 dump (magic 0x%016x)", b.getLong(OFF_MAGIC)));
        }
        if (b.getInt(OFF_HEADER_SIZE) != SIZE) {
            throw new DumpException(Errno.EINVAL, "unsupported s390 dump header size " + b.getInt(OFF_HEADER_SIZE));
        }
        int cpus = Short.toUnsignedInt(b.getShort(OFF_CPU_CNT));
        if (cpus > Zfcpdump.MAX_CPUS) {
            throw new DumpException(Errno.EINVAL, "s390 dump header claims " + cpus + " CPUs (at most " + Zfcpdump.MAX_CPUS + ")");
        }
        long[] lc = new long[cpus];
        for (int i = 0; i < cpus; i++) {
            lc[i] = Integer.toUnsignedLong(b.getInt(OFF_LC_VEC + 4 * i));
        }
        buf.position(buf.position() + SIZE);
        return new S390DumpHeader(b.getInt(OFF_VERSION), b.getInt(OFF_DUMP_LEVEL), b.getInt(OFF_PAGE_SIZE),
                b.getLong(OFF_MEM_SIZE), b.getLong(OFF_MEM_START), b.getLong(OFF_MEM_END), b.getInt(OFF_NUM_PAGES),
                b.getLong(OFF_TOD), b.getLong(OFF_CPU_ID), b.getInt(OFF_ARCH), b.getInt(OFF_VOLNR),
                b.getInt(OFF_BUILD_ARCH), b.getLong(OFF_RMEM_SIZE), Byte.toUnsignedInt(b.get(OFF_MVDUMP)),
                Short.toUnsignedInt(b.getShort(OFF_REAL_CPU_CNT)), lc);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof S390DumpHeader h && version == h.version && dumpLevel == h.dumpLevel
                && pageSize == h.pageSize && memSize == h.memSize && memStart == h.memStart && memEnd == h.memEnd
                && numPages == h.numPages && tod == h.tod && cpuId == h.cpuId && arch == h.arch && volnr == h.volnr
                && buildArch == h.buildArch && realMemSize == h.realMemSize && mvdump == h.mvdump
                && realCpuCount == h.realCpuCount && Arrays.equals(lcVec, h.lcVec);
    }

    @Override
    public int hashCode() {
        return Long.hashCode(memSize) * 31 + Arrays.hashCode(lcVec);
    }

    @Override
    public String toString() {
        return String.format("s390 dump v%d, mem_size 0x%x, mem_end 0x%x, %d pages, arch %d, %d of %d CPUs", version,
                memSize, memEnd, numPages, arch, lcVec.length, realCpuCount);
    }
}
