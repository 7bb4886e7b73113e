package org.vmcorefs.machine.mechanism;

import org.vmcorefs.machine.Architecture;
import org.vmcorefs.machine.CpuState;
import org.vmcorefs.machine.MemoryRange;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

/**
 * The register save area of an s390x lowcore, {@code 0x1200..0x1400} from a CPU's prefix: where a store
 * status (the hardware at the dump IPL, SIGP for the other CPUs) puts a CPU's registers, and where dump
 * tools (lcrash, crash, zgetdump) look for them in an s390 dump.
 *
 * <pre>
 * struct lowcore {                       // arch/s390/include/asm/lowcore.h, s390x
 *   ...
 *   __u64 floating_pt_save_area[16];     // 0x1200
 *   __u64 gpregs_save_area[16];          // 0x1280
 *   psw_t psw_save_area;                 // 0x1300 (mask, address)
 *   __u8  pad_0x1310[0x1318-0x1310];     // 0x1310
 *   __u32 prefixreg_save_area;           // 0x1318
 *   __u32 fpt_creg_save_area;            // 0x131c
 *   __u8  pad_0x1320[0x1324-0x1320];     // 0x1320
 *   __u32 tod_progreg_save_area;         // 0x1324
 *   __u32 cpu_timer_save_area[2];        // 0x1328
 *   __u32 clock_comp_save_area[2];       // 0x1330
 *   __u8  pad_0x1338[0x1340-0x1338];     // 0x1338
 *   __u32 access_regs_save_area[16];     // 0x1340
 *   __u64 cregs_save_area[16];           // 0x1380
 *   ...                                  // 0x1400
 * };
 * </pre>
 *
 * Offsets below are relative to {@link #BASE}. Big-endian, as everything on s390.
 */
public final class S390SaveArea {
    /** Where the save area starts in a lowcore (the kernel's SAVE_AREA_BASE). */
    public static final int BASE = 0x1200;
    /** Bytes from BASE to the end of the control registers. */
    public static final int SIZE = 0x200;
    static final int FPRS = 0x000;
    static final int GPRS = 0x080;
    static final int PSW = 0x100;
    static final int PREFIX = 0x118;
    static final int FPC = 0x11c;
    static final int TODPREG = 0x124;
    static final int TIMER = 0x128;
    static final int TODCMP = 0x130;
    static final int ACRS = 0x140;
    static final int CRS = 0x180;

    /**
     * The register fields, [start, end) relative to BASE: what zcore copies over a prefix page (its lc_mask);
     * the pads between them keep the memory's own bytes.
     */
    public static final List<MemoryRange> REGISTER_FIELDS = List.of(MemoryRange.ofEnd(FPRS, 0x110),
            MemoryRange.ofEnd(PREFIX, 0x120), MemoryRange.ofEnd(TODPREG, 0x138), MemoryRange.ofEnd(ACRS, SIZE));

    private S390SaveArea() {
    }

    /** Writes {@code cpu}'s registers into the SIZE bytes at {@code buf}'s position (pads untouched), advancing it. */
    public static void writeTo(CpuState cpu, ByteBuffer buf) {
        if (cpu.architecture() != Architecture.S390X) {
            throw new IllegalArgumentException("not an s390x CPU: " + cpu);
        }
        ByteBuffer b = buf.slice(buf.position(), SIZE).order(ByteOrder.BIG_ENDIAN);
        for (int i = 0; i < 16; i++) {
            b.putLong(FPRS + 8 * i, cpu.get("f" + i));
            b.putLong(GPRS + 8 * i, cpu.get("r" + i));
            b.putInt(ACRS + 4 * i, (int) cpu.get("a" + i));
            b.putLong(CRS + 8 * i, cpu.get("c" + i));
        }
        b.putLong(PSW, cpu.get("psw_mask")).putLong(PSW + 8, cpu.get("psw_addr"));
        b.putInt(PREFIX, (int) cpu.get("prefix"));
        b.putInt(FPC, (int) cpu.get("fpc"));
        b.putInt(TODPREG, (int) cpu.get("todpreg"));
        b.putLong(TIMER, cpu.get("timer"));
        b.putLong(TODCMP, cpu.get("todcmp"));
        buf.position(buf.position() + SIZE);
    }

    /** The save area of {@code cpu} as SIZE bytes, zeros in the pads. */
    public static byte[] of(CpuState cpu) {
        ByteBuffer b = ByteBuffer.allocate(SIZE);
        writeTo(cpu, b);
        return b.array();
    }

    /**
     * Reads the registers of CPU {@code index} from the SIZE bytes at {@code buf}'s position, advancing it;
     * orig_gpr2 is not saved by the hardware and reads as 0.
     */
    public static CpuState readFrom(ByteBuffer buf, int index, byte[] vectorRegisters) {
        Architecture a = Architecture.S390X;
        ByteBuffer b = buf.slice(buf.position(), SIZE).order(ByteOrder.BIG_ENDIAN);
        long[] r = new long[a.registerNames().size()];
        for (int i = 0; i < 16; i++) {
            r[a.registerIndex("f" + i)] = b.getLong(FPRS + 8 * i);
            r[a.registerIndex("r" + i)] = b.getLong(GPRS + 8 * i);
            r[a.registerIndex("a" + i)] = Integer.toUnsignedLong(b.getInt(ACRS + 4 * i));
            r[a.registerIndex("c" + i)] = b.getLong(CRS + 8 * i);
        }
        r[a.registerIndex("psw_mask")] = b.getLong(PSW);
        r[a.registerIndex("psw_addr")] = b.getLong(PSW + 8);
        r[a.registerIndex("prefix")] = Integer.toUnsignedLong(b.getInt(PREFIX));
        r[a.registerIndex("fpc")] = Integer.toUnsignedLong(b.getInt(FPC));
        r[a.registerIndex("todpreg")] = Integer.toUnsignedLong(b.getInt(TODPREG));
        r[a.registerIndex("timer")] = b.getLong(TIMER);
        r[a.registerIndex("todcmp")] = b.getLong(TODCMP);
        buf.position(buf.position() + SIZE);
        return new CpuState(a, index, r, vectorRegisters);
    }
}
