package org.vmcorefs.it;

import java.nio.ByteBuffer;
import java.util.List;
import org.vmcorefs.format.MachineFactory;
import org.vmcorefs.format.MachineSpec;
import org.vmcorefs.machine.CpuState;
import org.vmcorefs.machine.DumpException;
import org.vmcorefs.machine.Machine;
import org.vmcorefs.machine.MemoryRange;
import org.vmcorefs.format.env.CaptureEnvironments;
import org.vmcorefs.format.env.CaptureEnvironment;
import org.vmcorefs.machine.mechanism.S390SaveArea;
import org.vmcorefs.machine.memory.SyntheticMemory;

/**
 * What a synthetic s390x-zfcpdump mount must show, computed on the test side: memory from the seed
 * ({@link SyntheticMemory}) with the CPUs' registers in their lowcore save areas, and the CPUs themselves.
 */
final class S390Model {
    static final long MIB = 1L << 20;
    final long seed;
    final Machine machine;
    final List<CpuState> cpus;
    private final SyntheticMemory memory;

    S390Model(long memorySize, int cpus, long seed, long hsaSize) throws DumpException {
        this.seed = seed;
        MachineSpec spec = MachineSpec.synthetic(CaptureEnvironments.S390X_ZFCPDUMP, memorySize, cpus, seed);
        this.machine = MachineFactory.create(spec.withOption("--hsa-size", Long.toString(hsaSize)));
        this.cpus = machine.cpus();
        this.memory = new SyntheticMemory(seed, 1.0);
    }

    List<MemoryRange> ram() {
        return machine.system().ram();
    }

    /** The crashed system's bytes [address, address + length). */
    byte[] bytes(long address, int length) {
        ByteBuffer b = ByteBuffer.allocate(length);
        memory.read(address, b);
        byte[] out = b.array();
        // The kernel's VMCOREINFO note in its data, and its address (big-endian) in the absolute lowcore.
        byte[] t = machine.kernel().vmcoreinfo().getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        ByteBuffer note = ByteBuffer.allocate(24 + (t.length + 3) / 4 * 4);
        note.putInt(11).putInt(t.length).putInt(0).put("VMCOREINFO\0\0".getBytes(java.nio.charset.StandardCharsets.US_ASCII))
                .put(t);
        overlay(out, address, 0xc00000, note.array());
        overlay(out, address, 0xe0c, ByteBuffer.allocate(8).putLong(0xc00000).array());
        for (int i = 0; i < cpus.size(); i++) {
            CpuState c = cpus.get(i);
            byte[] sa = S390SaveArea.of(c);
            List<Long> bases = i == 0 ? List.of(c.get("prefix"), 0L) : List.of(c.get("prefix"));
            for (long base : bases) {
                for (MemoryRange f : S390SaveArea.REGISTER_FIELDS) {
                    for (long o = f.start(); o < f.end(); o++) {
                        long a = base + S390SaveArea.BASE + o;
                        if (a >= address && a < address + length) {
                            out[(int) (a - address)] = sa[(int) o];
                        }
                    }
                }
            }
        }
        return out;
    }

    private static void overlay(byte[] out, long address, long at, byte[] bytes) {
        for (int i = 0; i < bytes.length; i++) {
            long a = at + i;
            if (a >= address && a < address + out.length) {
                out[(int) (a - address)] = bytes[i];
            }
        }
    }

    String hex(long address, int length) {
        return java.util.HexFormat.of().formatHex(bytes(address, length));
    }
}
