package org.vmcorefs.format.bench;

import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.vmcorefs.format.view.Layout;
import org.vmcorefs.format.MachineFactory;
import org.vmcorefs.format.MachineSpec;
import org.vmcorefs.format.view.VmcoreView;
import org.vmcorefs.machine.DumpException;
import org.vmcorefs.format.env.CaptureEnvironments;
import org.vmcorefs.format.env.CaptureEnvironment;
import org.vmcorefs.machine.memory.SyntheticMemory;

/**
 * The read path without FUSE: the synthetic memory generator, the /proc/vmcore layout's read loop over
 * it, and their peer, a plain copy of the same number of bytes into the same direct buffer.
 * One operation serves one FUSE-sized read (128 KiB); the score is operations per second.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class ReadPathBenchmark {
    @Param({"131072"})
    int readSize;

    private SyntheticMemory memory;
    private Layout vmcore;
    private ByteBuffer dst;
    private byte[] source;
    private long address;
    private long offset;

    @Setup(Level.Trial)
    public void setUp() throws DumpException {
        memory = new SyntheticMemory(1, 1.0);
        vmcore = VmcoreView.layout(MachineFactory.create(MachineSpec.synthetic(CaptureEnvironments.X86_64_KDUMP, 4L << 30, 2, 1)));
        dst = ByteBuffer.allocateDirect(readSize);
        source = new byte[readSize];
    }

    /** Synthetic memory: 128 KiB at successive addresses of a 4 GiB machine. */
    @Benchmark
    public ByteBuffer syntheticMemory() throws DumpException {
        dst.clear();
        memory.read(address, dst);
        address = (address + readSize) & ((4L << 30) - 1);
        return dst;
    }

    /** /proc/vmcore's read loop over synthetic memory: 128 KiB at successive offsets. */
    @Benchmark
    public ByteBuffer vmcoreRead() throws DumpException {
        dst.clear();
        if (vmcore.read(offset, dst) < readSize) {
            offset = 0;
        } else {
            offset += readSize;
        }
        return dst;
    }

    /** The peer: copying 128 KiB from the Java heap into the same direct buffer (memcpy speed). */
    @Benchmark
    public ByteBuffer plainCopy() {
        dst.clear();
        dst.put(source);
        return dst;
    }
}
