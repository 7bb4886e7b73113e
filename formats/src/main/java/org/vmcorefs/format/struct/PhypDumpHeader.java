package org.vmcorefs.format.struct;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.vmcorefs.machine.DumpException;
import org.vmcorefs.machine.Errno;
import org.vmcorefs.machine.mechanism.FirmwareDump;
import org.vmcorefs.machine.MemoryRange;

/**
 * The dump header of phyp-assisted dump, as the hypervisor hands it back after a crash in the device tree
 * property /rtas/ibm,kernel-dump (big-endian, as every device tree property). The kernel finds the save area
 * through it; user space sees it in /proc/device-tree/rtas/ibm,kernel-dump.
 *
 * <pre>
 * struct dump_section {            // 0x28 bytes
 *   u32 dump_flags;                // 0x00  DUMP_REQUEST_FLAG 0x1
 *   u16 source_type;               // 0x04  CPU 0x0001, HPTE 0x0002, RMO 0x0011
 *   u16 error_flags;               // 0x06
 *   u64 source_address;            // 0x08
 *   u64 source_length;             // 0x10
 *   u64 length_copied;             // 0x18
 *   u64 destination_address;       // 0x20
 * };
 * struct phyp_dump_header {        // 0xa0 bytes
 *   u32 version;                   // 0x00  DUMP_HEADER_VERSION 0x1
 *   u16 num_of_sections;           // 0x04  3
 *   u16 status;                    // 0x06  DUMP_ERROR_FLAG 0x2000, DUMP_TRIGGERED 0x4000, DUMP_PERFORMED 0x8000
 *   u32 first_offset_section;      // 0x08  offsetof(cpu_data)
 *   u32 dump_disk_section;         // 0x0c
 *   u64 block_num_dd;              // 0x10
 *   u64 num_of_blocks_dd;          // 0x18
 *   u32 offset_dd;                 // 0x20
 *   u32 maxtime_to_auto;           // 0x24
 *   struct dump_section cpu_data;  // 0x28
 *   struct dump_section hpte_data; // 0x50
 *   struct dump_section kernel_data; // 0x78
 * };
 * </pre>
 */
public record PhypDumpHeader(int version, int status, Section cpuData, Section hpteData, Section kernelData) {
    public static final int SIZE = 0xa0;
    public static final int DUMP_HEADER_VERSION = 0x1;
    public static final int DUMP_REQUEST_FLAG = 0x1;
    public static final int DUMP_SOURCE_CPU = 0x0001;
    public static final int DUMP_SOURCE_HPTE = 0x0002;
    public static final int DUMP_SOURCE_RMO = 0x0011;
    public static final int DUMP_ERROR_FLAG = 0x2000;
    public static final int DUMP_TRIGGERED = 0x4000;
    public static final int DUMP_PERFORMED = 0x8000;
    static final int NUM_OF_SECTIONS = 3;
    private static final int VERSION = 0x00;
    private static final int NUM_SECTIONS = 0x04;
    private static final int STATUS = 0x06;
    private static final int FIRST_OFFSET_SECTION = 0x08;
    private static final int CPU_DATA = 0x28;
    private static final int HPTE_DATA = 0x50;
    private static final int KERNEL_DATA = 0x78;

    /** One {@code struct dump_section}. */
    public record Section(int dumpFlags, int sourceType, int errorFlags, long sourceAddress, long sourceLength,
            long lengthCopied, long destinationAddress) {
        public static final int SIZE = 0x28;
        private static final int DUMP_FLAGS = 0x00;
        private static final int SOURCE_TYPE = 0x04;
        private static final int ERROR_FLAGS = 0x06;
        private static final int SOURCE_ADDRESS = 0x08;
        private static final int SOURCE_LENGTH = 0x10;
        private static final int LENGTH_COPIED = 0x18;
        private static final int DESTINATION_ADDRESS = 0x20;

        /** A section the hypervisor copied in full from {@code source} to {@code destination}. */
        static Section copied(int sourceType, MemoryRange source, long destination) {
            return new Section(DUMP_REQUEST_FLAG, sourceType, 0, source.start(), source.size(), source.size(),
                    destination);
        }

        void writeTo(ByteBuffer b, int at) {
            b.putInt(at + DUMP_FLAGS, dumpFlags).putShort(at + SOURCE_TYPE, (short) sourceType)
                    .putShort(at + ERROR_FLAGS, (short) errorFlags).putLong(at + SOURCE_ADDRESS, sourceAddress)
                    .putLong(at + SOURCE_LENGTH, sourceLength).putLong(at + LENGTH_COPIED, lengthCopied)
                    .putLong(at + DESTINATION_ADDRESS, destinationAddress);
        }

        static Section readFrom(ByteBuffer b, int at) {
            return new Section(b.getInt(at + DUMP_FLAGS), Short.toUnsignedInt(b.getShort(at + SOURCE_TYPE)),
                    Short.toUnsignedInt(b.getShort(at + ERROR_FLAGS)), b.getLong(at + SOURCE_ADDRESS),
                    b.getLong(at + SOURCE_LENGTH), b.getLong(at + LENGTH_COPIED), b.getLong(at + DESTINATION_ADDRESS));
        }
    }

    /**
     * The header after a dump the hypervisor performed: CPU state and HPTEs (their source is the hypervisor's,
     * address 0) and the RMO copied whole into the save area.
     */
    public static PhypDumpHeader of(FirmwareDump dump) {
        return new PhypDumpHeader(DUMP_HEADER_VERSION, DUMP_TRIGGERED | DUMP_PERFORMED,
                Section.copied(DUMP_SOURCE_CPU, new MemoryRange(0, dump.cpuState().size()), dump.cpuState().start()),
                Section.copied(DUMP_SOURCE_HPTE, new MemoryRange(0, dump.hpte().size()), dump.hpte().start()),
                Section.copied(DUMP_SOURCE_RMO, dump.bootMemory(), dump.bootMemoryCopy().start()));
    }

    /** Writes the header at {@code buf}'s position, big-endian, and advances it. */
    public void writeTo(ByteBuffer buf) {
        ByteBuffer b = buf.slice(buf.position(), SIZE).order(ByteOrder.BIG_ENDIAN);
        for (int i = 0; i < SIZE; i++) {
            b.put(i, (byte) 0);
        }
        b.putInt(VERSION, version).putShort(NUM_SECTIONS, (short) NUM_OF_SECTIONS).putShort(STATUS, (short) status)
                .putInt(FIRST_OFFSET_SECTION, CPU_DATA);
        cpuData.writeTo(b, CPU_DATA);
        hpteData.writeTo(b, HPTE_DATA);
        kernelData.writeTo(b, KERNEL_DATA);
        buf.position(buf.position() + SIZE);
    }

    /** Reads a header at {@code buf}'s position; anything but three sections from 0x28 on is EINVAL. */
    public static PhypDumpHeader readFrom(ByteBuffer buf) throws DumpException {
        if (buf.remaining() < SIZE) {
            throw new DumpException(Errno.EINVAL, "too short for a phyp dump header: " + buf.remaining() + " bytes");
        }
        ByteBuffer b = buf.slice(buf.position(), SIZE).order(ByteOrder.BIG_ENDIAN);
        if (Short.toUnsignedInt(b.getShort(NUM_SECTIONS)) != NUM_OF_SECTIONS || b.getInt(FIRST_OFFSET_SECTION) != CPU_DATA) {
            throw new DumpException(Errno.EINVAL, "phyp dump header with " + b.getShort(NUM_SECTIONS)
                    + " sections from offset 0x" + Integer.toHexString(b.getInt(FIRST_OFFSET_SECTION)));
        }
        buf.position(buf.position() + SIZE);
        return new PhypDumpHeader(b.getInt(VERSION), Short.toUnsignedInt(b.getShort(STATUS)),
                Section.readFrom(b, CPU_DATA), Section.readFrom(b, HPTE_DATA), Section.readFrom(b, KERNEL_DATA));
    }

    /** The header as the device tree property's bytes. */
    public ByteBuffer encode() {
        ByteBuffer b = ByteBuffer.allocate(SIZE);
        writeTo(b);
        return b.flip();
    }
}
