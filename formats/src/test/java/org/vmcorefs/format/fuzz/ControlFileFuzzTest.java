package org.vmcorefs.format.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.vmcorefs.format.DumpPaths;
import org.vmcorefs.format.env.CaptureEnvironment;
import org.vmcorefs.format.view.DumpTree;
import org.vmcorefs.format.env.fadump.FadumpFiles;
import org.vmcorefs.format.MachineFactory;
import org.vmcorefs.format.MachineSpec;
import org.vmcorefs.format.env.phyp.ReleaseRegion;
import org.vmcorefs.format.view.VirtualFile;
import org.vmcorefs.format.env.zfcpdump.Zcore;
import org.vmcorefs.machine.DumpException;
import org.vmcorefs.format.env.CaptureEnvironment;
import org.vmcorefs.format.env.CaptureEnvironments;

/**
 * Fuzzes the control files' parsers through {@link VirtualFile#write} on a fresh small machine of their profile:
 * release_region (phyp), zcore/hsa and zcore/reipl (s390), fadump registered and release_mem. An input is a
 * flag byte (bit 0: --strict) and then up to 16 writes separated by NUL bytes, done in turn, each at offset 0
 * (bit 1 of the flag: the last at offset 1). What must hold: each write is accepted or refused with a DumpException
 * (the kernel's errno), and afterwards every file of the tree reads or fails with an errno; nothing else, in
 * bounded time and memory.
 */
class ControlFileFuzzTest {
    private static final long GIB = 1L << 30;

    @FuzzTest(maxDuration = "30s")
    void releaseRegion(byte[] data) throws Exception {
        writeAll(data, CaptureEnvironments.PPC64_PHYP, GIB, DumpPaths.RELEASE_REGION);
    }

    @FuzzTest(maxDuration = "30s")
    void zcoreHsa(byte[] data) throws Exception {
        writeAll(data, CaptureEnvironments.S390X_ZFCPDUMP, 64L << 20, DumpPaths.ZCORE_HSA);
    }

    @FuzzTest(maxDuration = "30s")
    void zcoreReipl(byte[] data) throws Exception {
        writeAll(data, CaptureEnvironments.S390X_ZFCPDUMP, 64L << 20, DumpPaths.ZCORE_REIPL);
    }

    @FuzzTest(maxDuration = "30s")
    void fadumpRegistered(byte[] data) throws Exception {
        writeAll(data, CaptureEnvironments.PPC64LE_FADUMP, GIB, DumpPaths.FADUMP_REGISTERED);
    }

    @FuzzTest(maxDuration = "30s")
    void fadumpReleaseMem(byte[] data) throws Exception {
        writeAll(data, CaptureEnvironments.PPC64_FADUMP, GIB, DumpPaths.FADUMP_RELEASE_MEM);
    }

    private static void writeAll(byte[] data, CaptureEnvironment profile, long memory, String path) throws Exception {
        if (data.length == 0) {
            return;
        }
        boolean strict = (data[0] & 1) != 0;
        boolean lastAtOffsetOne = (data[0] & 2) != 0;
        List<byte[]> writes = split(Arrays.copyOfRange(data, 1, data.length));
        // The machine is not what is fuzzed here: its making is outside the bounds.
        FuzzBounds.check(data.length, () -> {
            DumpTree tree = CaptureEnvironment.of(MachineFactory.create(MachineSpec.synthetic(profile, memory, 2, 7)),
                    strict);
            return () -> writes(tree, path, writes, lastAtOffsetOne);
        });
    }

    private static void writes(DumpTree tree, String path, List<byte[]> writes, boolean lastAtOffsetOne)
            throws Exception {
        for (int i = 0; i < writes.size(); i++) {
            VirtualFile f = tree.file(path);
            if (f == null) {
                break;
            }
            byte[] w = writes.get(i);
            ByteBuffer src = ByteBuffer.wrap(w);
            long offset = lastAtOffsetOne && i == writes.size() - 1 ? 1 : 0;
            try {
                int n = f.write(offset, src);
                if (n < 0 || n > w.length) {
                    throw new AssertionError("write of " + w.length + " bytes returned " + n);
                }
            } catch (DumpException expected) {
                if (expected.errno() == null) {
                    throw new AssertionError("a refusal without an errno", expected);
                }
            }
        }
        FuzzBounds.readAll(tree);
    }

    private static List<byte[]> split(byte[] b) {
        List<byte[]> out = new ArrayList<>();
        int from = 0;
        for (int i = 0; i <= b.length && out.size() < 16; i++) {
            if (i == b.length || b[i] == 0) {
                out.add(Arrays.copyOfRange(b, from, i));
                from = i + 1;
            }
        }
        return out;
    }
}
