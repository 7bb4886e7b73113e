package org.vmcorefs.machine;

import java.util.Arrays;

/**
 * One CPU's saved state at the crash: its registers in {@link Architecture#registerNames()} order, and for
 * s390x with the vector facility the 32 vector registers (16 bytes each, big-endian), and the pid its
 * NT_PRSTATUS names (the kernel saves the pid of the task that was running; QEMU writes cpu + 1).
 */
public final class CpuState {
    private final Architecture architecture;
    private final int index;
    private final long[] registers;
    private final byte[] vectorRegisters;
    private final int pid;

    /** A CPU whose NT_PRSTATUS names pid {@code index + 1}, as QEMU's dumps do. */
    public CpuState(Architecture architecture, int index, long[] registers, byte[] vectorRegisters) {
        this(architecture, index, registers, vectorRegisters, index + 1);
    }

    /** @param pid pr_pid of the CPU's NT_PRSTATUS: the task running on it at the crash (0 for idle) */
    public CpuState(Architecture architecture, int index, long[] registers, byte[] vectorRegisters, int pid) {
        if (registers.length != architecture.registerNames().size()) {
            throw new IllegalArgumentException(architecture + " needs " + architecture.registerNames().size()
                    + " registers, got " + registers.length);
        }
        if (vectorRegisters.length != 0 && vectorRegisters.length != 32 * 16) {
            throw new IllegalArgumentException("vector registers are 32 x 16 bytes");
        }
        this.architecture = architecture;
        this.index = index;
        this.registers = registers.clone();
        this.vectorRegisters = vectorRegisters.clone();
        this.pid = pid;
    }

    public Architecture architecture() {
        return architecture;
    }

    /** The CPU's number, from 0; the boot (crashing) CPU need not be 0. */
    public int index() {
        return index;
    }

    /** pr_pid of this CPU's NT_PRSTATUS. */
    public int pid() {
        return pid;
    }

    public long[] registers() {
        return registers.clone();
    }

    public long get(String name) {
        return registers[architecture.registerIndex(name)];
    }

    public boolean hasVectorRegisters() {
        return vectorRegisters.length != 0;
    }

    public byte[] vectorRegisters() {
        return vectorRegisters.clone();
    }

    @Override
    public String toString() {
        return "CPU " + index + " " + architecture + " " + Arrays.toString(registers);
    }
}
