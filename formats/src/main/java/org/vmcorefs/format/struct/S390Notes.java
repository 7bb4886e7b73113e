package org.vmcorefs.format.struct;

import org.vmcorefs.format.FormatException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import org.vmcorefs.machine.Architecture;
import org.vmcorefs.machine.CpuState;
import org.vmcorefs.machine.Machine;

/**
 * The notes of an s390x /proc/vmcore as arch/s390/kernel/crash_dump.c writes them: NT_PRPSINFO once, then
 * for each CPU with a non-zero prefix, boot CPU first, NT_PRSTATUS (pr_pid = 1, 2, ...), NT_PRFPREG, and
 * the s390 notes (timer, clock comparator, TOD programmable register, control registers, prefix, and with
 * the vector facility the vector registers), then VMCOREINFO. The s390 notes are named "LINUX" (Linux
 * 4.20 and later; gdb reads them only under that name).
 */
public final class S390Notes {
    public static final int NT_S390_TIMER = 0x301;
    public static final int NT_S390_TODCMP = 0x302;
    public static final int NT_S390_TODPREG = 0x303;
    public static final int NT_S390_CTRS = 0x304;
    public static final int NT_S390_PREFIX = 0x305;
    public static final int NT_S390_VXRS_LOW = 0x309;
    public static final int NT_S390_VXRS_HIGH = 0x30a;
    /** s390_fp_regs: fpc (u32), pad (u32), fprs[16] (u64). */
    public static final int FPREGSET_SIZE = 8 + 16 * 8;
    private static final ByteOrder BE = ByteOrder.BIG_ENDIAN;

    private S390Notes() {
    }

    /** The CPUs the dump shows: those with a non-zero prefix, in the machine's order (boot CPU first). */
    public static List<CpuState> dumpedCpus(List<CpuState> cpus) {
        return cpus.stream().filter(c -> c.get("prefix") != 0).toList();
    }

    /** All the notes of the machine's vmcore, in the kernel's order. */
    public static List<ElfNote> of(Machine machine) {
        List<ElfNote> notes = new ArrayList<>();
        notes.add(new ElfNote(ElfNote.CORE, ElfNote.NT_PRPSINFO, ElfPrpsinfo.of('R', "vmlinux", BE)));
        int pid = 1;
        for (CpuState cpu : dumpedCpus(machine.cpus())) {
            notes.addAll(cpuNotes(cpu, pid++));
        }
        notes.add(CoreNotes.vmcoreinfo(machine));
        return notes;
    }

    /** One CPU's notes. */
    public static List<ElfNote> cpuNotes(CpuState cpu, int pid) {
        List<ElfNote> notes = new ArrayList<>();
        notes.add(new ElfNote(ElfNote.CORE, ElfNote.NT_PRSTATUS, ElfPrstatus.of(cpu, pid)));
        ByteBuffer fp = ByteBuffer.allocate(FPREGSET_SIZE).order(BE);
        fp.putInt(0, (int) cpu.get("fpc"));
        for (int i = 0; i < 16; i++) {
            fp.putLong(8 + 8 * i, cpu.get("f" + i));
        }
        notes.add(new ElfNote(ElfNote.CORE, ElfNote.NT_PRFPREG, fp.array()));
        notes.add(linux(NT_S390_TIMER, ByteBuffer.allocate(8).putLong(cpu.get("timer"))));
        notes.add(linux(NT_S390_TODCMP, ByteBuffer.allocate(8).putLong(cpu.get("todcmp"))));
        notes.add(linux(NT_S390_TODPREG, ByteBuffer.allocate(4).putInt((int) cpu.get("todpreg"))));
        ByteBuffer ctrs = ByteBuffer.allocate(16 * 8);
        for (int i = 0; i < 16; i++) {
            ctrs.putLong(cpu.get("c" + i));
        }
        notes.add(linux(NT_S390_CTRS, ctrs));
        notes.add(linux(NT_S390_PREFIX, ByteBuffer.allocate(4).putInt((int) cpu.get("prefix"))));
        if (cpu.hasVectorRegisters()) {
            byte[] vx = cpu.vectorRegisters();
            ByteBuffer high = ByteBuffer.allocate(16 * 16).put(vx, 16 * 16, 16 * 16);
            ByteBuffer low = ByteBuffer.allocate(16 * 8);
            for (int i = 0; i < 16; i++) {
                low.put(vx, i * 16 + 8, 8);
            }
            notes.add(linux(NT_S390_VXRS_HIGH, high));
            notes.add(linux(NT_S390_VXRS_LOW, low));
        }
        return notes;
    }

    private static ElfNote linux(int type, ByteBuffer desc) {
        return new ElfNote(ElfNote.LINUX, type, desc.array());
    }

    /**
     * The CPUs described by an s390x core's notes: each NT_PRSTATUS starts a CPU, the notes after it (of
     * either name) complete its registers; vector registers are kept only when both halves are there.
     */
    public static List<CpuState> cpus(List<ElfNote> notes) throws FormatException {
        Architecture a = Architecture.S390X;
        List<CpuState> cpus = new ArrayList<>();
        long[] regs = null;
        byte[] vx = null;
        boolean high = false;
        boolean low = false;
        for (ElfNote n : notes) {
            boolean named = n.name().equals(ElfNote.CORE) || n.name().equals(ElfNote.LINUX);
            if (!named) {
                continue;
            }
            ByteBuffer d = ByteBuffer.wrap(n.desc()).order(BE);
            if (n.type() == ElfNote.NT_PRSTATUS && n.name().equals(ElfNote.CORE)) {
                if (regs != null) {
                    cpus.add(new CpuState(a, cpus.size(), regs, high && low ? vx : new byte[0]));
                }
                regs = ElfPrstatus.registers(n.desc(), a, new long[a.registerNames().size()]);
                vx = new byte[32 * 16];
                high = false;
                low = false;
                continue;
            }
            if (regs == null) {
                continue;
            }
            switch (n.type()) {
                case ElfNote.NT_PRFPREG -> {
                    need(n, FPREGSET_SIZE);
                    regs[a.registerIndex("fpc")] = Integer.toUnsignedLong(d.getInt(0));
                    for (int i = 0; i < 16; i++) {
                        regs[a.registerIndex("f" + i)] = d.getLong(8 + 8 * i);
                        ByteBuffer.wrap(vx, i * 16, 8).putLong(d.getLong(8 + 8 * i));
                    }
                }
                case NT_S390_TIMER -> regs[a.registerIndex("timer")] = need(n, 8).getLong(0);
                case NT_S390_TODCMP -> regs[a.registerIndex("todcmp")] = need(n, 8).getLong(0);
                case NT_S390_TODPREG -> regs[a.registerIndex("todpreg")] = Integer.toUnsignedLong(need(n, 4).getInt(0));
                case NT_S390_PREFIX -> regs[a.registerIndex("prefix")] = Integer.toUnsignedLong(need(n, 4).getInt(0));
                case NT_S390_CTRS -> {
                    need(n, 128);
                    for (int i = 0; i < 16; i++) {
                        regs[a.registerIndex("c" + i)] = d.getLong(8 * i);
                    }
                }
                case NT_S390_VXRS_HIGH -> {
                    need(n, 256);
                    System.arraycopy(n.desc(), 0, vx, 256, 256);
                    high = true;
                }
                case NT_S390_VXRS_LOW -> {
                    need(n, 128);
                    for (int i = 0; i < 16; i++) {
                        System.arraycopy(n.desc(), 8 * i, vx, 16 * i + 8, 8);
                    }
                    low = true;
                }
                default -> {
                }
            }
        }
        if (regs != null) {
            cpus.add(new CpuState(a, cpus.size(), regs, high && low ? vx : new byte[0]));
        }
        return cpus;
    }

    private static ByteBuffer need(ElfNote n, int size) throws FormatException {
        if (n.desc().length < size) {
            throw new FormatException(String.format("note %s type 0x%x has %d bytes, needs %d", n.name(), n.type(),
                    n.desc().length, size));
        }
        return ByteBuffer.wrap(n.desc()).order(BE);
    }
}
