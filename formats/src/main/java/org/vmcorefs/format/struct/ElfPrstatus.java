package org.vmcorefs.format.struct;

import org.vmcorefs.format.FormatException;
import java.nio.ByteBuffer;
import org.vmcorefs.machine.Architecture;
import org.vmcorefs.machine.CpuState;

/**
 * The NT_PRSTATUS descriptor, {@code struct elf_prstatus}: process status then the general registers.
 *
 * <pre>
 * struct elf_prstatus {
 *   struct elf_siginfo pr_info;   // 0x00: si_signo, si_code, si_errno (3 x int)
 *   short pr_cursig;              // 0x0c
 *   unsigned long pr_sigpend;     // 0x10
 *   unsigned long pr_sighold;     // 0x18
 *   pid_t pr_pid;                 // 0x20
 *   pid_t pr_ppid, pr_pgrp, pr_sid;             // 0x24, 0x28, 0x2c
 *   struct timeval pr_utime, pr_stime, pr_cutime, pr_cstime;   // 0x30 .. 0x6f
 *   elf_gregset_t pr_reg;         // 0x70
 *   int pr_fpvalid;               // after pr_reg
 * };
 * </pre>
 *
 * The offsets above are a 64-bit kernel's. On a 32-bit one (i386) {@code unsigned long} and the timevals'
 * fields are 4 bytes: pr_sigpend 0x10, pr_sighold 0x14, pr_pid 0x18, the timevals 0x28 .. 0x47, pr_reg 0x48
 * (include/linux/elfcore.h, with i386's 4-byte longs; the 144-byte descriptor of a real i386 vmcore agrees).
 *
 * pr_reg is 27 x u64 on x86_64 (336 bytes in all), 48 x u64 on ppc64 (504), 17 x u32 on i386 (144), and on
 * s390x the {@code s390_regs}: psw mask and address, 16 gprs (u64), 16 access registers (u32), orig_gpr2
 * (336); each architecture's {@link Architecture#prReg()} and {@link Architecture#prstatusSize()} say so.
 */
public final class ElfPrstatus {
    static final int PR_CURSIG = 0x0c;
    static final int PR_PID = 0x20;
    static final int PR_REG = 0x70;
    static final int PR_PID_32 = 0x18;
    static final int PR_REG_32 = 0x48;

    private ElfPrstatus() {
    }

    /** The descriptor size the kernel and gdb use for {@code arch}. */
    public static int size(Architecture arch) {
        return arch.prstatusSize();
    }

    /** pr_pid's offset: after pr_info, pr_cursig and the two longs pr_sigpend, pr_sighold. */
    static int pidOffset(Architecture arch) {
        return arch.elfClass() == 32 ? PR_PID_32 : PR_PID;
    }

    /** pr_reg's offset: after the four pids and four timevals (two longs each). */
    static int regOffset(Architecture arch) {
        return arch.elfClass() == 32 ? PR_REG_32 : PR_REG;
    }

    private static int regSize(Architecture arch) {
        return arch.prReg().stream().mapToInt(Architecture.PrReg::size).sum();
    }

    /** The descriptor for {@code cpu}, with {@code pid} as pr_pid (QEMU and this project use cpu + 1). */
    public static byte[] of(CpuState cpu, int pid) {
        Architecture arch = cpu.architecture();
        ByteBuffer b = ByteBuffer.allocate(size(arch)).order(arch.byteOrder());
        b.putInt(pidOffset(arch), pid);
        b.position(regOffset(arch));
        for (Architecture.PrReg r : arch.prReg()) {
            long value = cpu.get(r.name());
            if (r.size() == 8) {
                b.putLong(value);
            } else {
                b.putInt((int) value);
            }
        }
        return b.array();
    }

/** pr_pid of a descriptor. */
    public static int pid(byte[] desc, Architecture arch) {
        return ByteBuffer.wrap(desc).order(arch.byteOrder()).getInt(pidOffset(arch));
    }

    /**
     * The general registers of a descriptor, in {@link Architecture#registerNames()} order; registers the
     * descriptor does not hold (s390's control and floating-point registers) are left as they are in
     * {@code into}.
     */
    public static long[] registers(byte[] desc, Architecture arch, long[] into) throws FormatException {
        if (desc.length < regOffset(arch) + regSize(arch)) {
            throw new FormatException("NT_PRSTATUS of " + desc.length + " bytes is too short for " + arch);
        }
        ByteBuffer b = ByteBuffer.wrap(desc).order(arch.byteOrder()).position(regOffset(arch));
        long[] regs = into.clone();
        for (Architecture.PrReg r : arch.prReg()) {
            regs[arch.registerIndex(r.name())] = r.size() == 8 ? b.getLong() : Integer.toUnsignedLong(b.getInt());
        }
        return regs;
    }
}
