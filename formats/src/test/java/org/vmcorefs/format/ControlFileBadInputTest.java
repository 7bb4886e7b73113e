package org.vmcorefs.format;

import org.vmcorefs.format.env.CaptureEnvironment;
import org.vmcorefs.format.env.CaptureEnvironments;
import org.vmcorefs.format.env.zfcpdump.ZcoreViewTest;
import org.vmcorefs.format.view.DumpTree;
import org.vmcorefs.format.view.VirtualFile;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.vmcorefs.machine.DumpException;
import org.vmcorefs.machine.Errno;
import org.vmcorefs.machine.FaultInjection;
import org.vmcorefs.machine.mechanism.FirmwareDump;
import org.vmcorefs.machine.Machine;

/**
 * One table per writable control file: input the kernel refuses gets the kernel's errno and leaves every
 * piece of state as it was (what every control file reads, what is released, the machine's events), in the
 * default mode and under --strict alike.
 */
class ControlFileBadInputTest {
    private static final String LONG = "9".repeat(100_000);

    /** (profile, file, what is written, at which offset, the errno, whether fadump's dump is released first). */
    static Stream<Arguments> refused() {
        List<Arguments> rows = new ArrayList<>();
        String rr = DumpPaths.RELEASE_REGION;
        for (String[] r : new String[][] {
            {"", "empty"}, {"\n", "a blank line"}, {"hello\n", "garbage"}, {"0x10000000\n", "one number"},
            {"-1 0x10000\n", "negative"}, {"0x10000000,0x10000\n", "no separator"}, {"x" + LONG + "\n", "a long line"},
            {"0xg 0x10000\n", "not hex"}}) {
            rows.add(Arguments.of(CaptureEnvironments.PPC64_PHYP, rr, r[0], 0L, Errno.EINVAL, false, r[1]));
        }
        rows.add(Arguments.of(CaptureEnvironments.PPC64_PHYP, rr, "hello\n", 7L, Errno.EINVAL, false, "garbage at an offset"));
        String hsa = DumpPaths.ZCORE_HSA;
        for (String[] r : new String[][] {{"", "empty"}, {"1\n", "another number"}, {"hello\n", "garbage"},
            {"-0\n", "negative"}, {"x" + LONG, "a long line"}, {" 0\n", "a blank first"}}) {
            rows.add(Arguments.of(CaptureEnvironments.S390X_ZFCPDUMP, hsa, r[0], 0L, Errno.EINVAL, false, r[1]));
        }
        rows.add(Arguments.of(CaptureEnvironments.S390X_ZFCPDUMP, hsa, "0\n", 1L, Errno.EPIPE, false, "0 at offset 1"));
        rows.add(Arguments.of(CaptureEnvironments.S390X_ZFCPDUMP, hsa, "0\n", 4096L, Errno.EPIPE, false, "0 at offset 4096"));
        String registered = DumpPaths.FADUMP_REGISTERED;
        for (String in : new String[] {"1\n", "0\n", "hello\n", ""}) {
            rows.add(Arguments.of(CaptureEnvironments.PPC64_FADUMP, registered, in, 0L, Errno.EPERM, false,
                    "while a dump is active: " + in.strip()));
        }
        for (String[] r : new String[][] {{"", "empty"}, {"2\n", "neither 0 nor 1"}, {"hello\n", "garbage"},
            {"-1\n", "negative"}, {"99999999999\n", "overflowing int"}, {LONG + "\n", "a long line"},
            {"1 1\n", "two numbers"}}) {
            rows.add(Arguments.of(CaptureEnvironments.PPC64_FADUMP, registered, r[0], 0L, Errno.EINVAL, true, r[1]));
        }
        String release = DumpPaths.FADUMP_RELEASE_MEM;
        for (String[] r : new String[][] {{"", "empty"}, {"0\n", "zero"}, {"2\n", "two"}, {"hello\n", "garbage"},
            {"-1\n", "negative"}, {"4294967297\n", "overflowing int"}, {LONG + "\n", "a long line"}}) {
            rows.add(Arguments.of(CaptureEnvironments.PPC64_FADUMP, release, r[0], 0L, Errno.EINVAL, false, r[1]));
        }
        rows.add(Arguments.of(CaptureEnvironments.PPC64_FADUMP, release, "1\n", 0L, Errno.EPERM, true, "after the release"));
        List<Arguments> both = new ArrayList<>();
        for (Arguments a : rows) {
            for (boolean strict : new boolean[] {false, true}) {
                Object[] v = a.get();
                both.add(Arguments.of(v[0], v[1], v[2], v[3], v[4], v[5], strict, v[6]));
            }
        }
        return both.stream();
    }

    private static Machine machine(CaptureEnvironment profile) throws DumpException {
        return profile == CaptureEnvironments.S390X_ZFCPDUMP ? ZcoreViewTest.machine(FaultInjection.NONE)
                : PowerMachines.machine(profile, 2);
    }

    /** Everything a bad write must not change. */
    private static Map<String, String> state(Machine m, DumpTree tree) throws DumpException {
        Map<String, String> s = new TreeMap<>();
        for (Map.Entry<String, VirtualFile> e : tree.files().entrySet()) {
            VirtualFile f = e.getValue();
            if (f.changes() && (f.mode() & 0444) != 0 && !e.getKey().startsWith("/.vmcorefs/")) {
                try {
                    VirtualFile open = f.open();
                    ByteBuffer b = ByteBuffer.allocate(8192);
                    open.read(0, b);
                    s.put(e.getKey(), new String(b.array(), 0, b.position(), StandardCharsets.ISO_8859_1));
                } catch (DumpException refused) {
                    s.put(e.getKey(), "refused: " + refused.errno());
                }
            }
        }
        s.put("files", tree.files().keySet().toString());
        s.put("events", m.events().events().toString());
        if (m.savedArea() != null) {
            s.put("savedArea released", Boolean.toString(m.savedArea().released()));
        }
        FirmwareDump fw = m.firmwareDump();
        if (fw != null) {
            s.put("released", fw.reservations().released().toString());
            s.put("active", Boolean.toString(fw.dumpActive()));
            s.put("registered", Boolean.toString(fw.registered()));
        }
        return s;
    }

    @ParameterizedTest(name = "{1} <- {7} (strict {6})")
    @MethodSource("refused")
    void theKernelsErrnoAndNothingChanges(CaptureEnvironment profile, String path, String input, long offset, Errno errno,
            boolean releaseFirst, boolean strict, String what) throws DumpException {
        Machine m = machine(profile);
        DumpTree tree = CaptureEnvironment.of(m, strict);
        if (releaseFirst) {
            tree.file(DumpPaths.FADUMP_RELEASE_MEM).open().write(0, ByteBuffer.wrap("1\n".getBytes(StandardCharsets.US_ASCII)));
        }
        Map<String, String> before = state(m, tree);
        VirtualFile f = tree.file(path);
        byte[] bytes = input.getBytes(StandardCharsets.ISO_8859_1);
        DumpException e = assertThrows(DumpException.class, () -> f.open().write(offset, ByteBuffer.wrap(bytes)),
                path + " <- " + what);
        assertEquals(errno, e.errno(), path + " <- " + what + ": " + e.getMessage());
        assertEquals(before, state(m, tree), path + " <- " + what + " changed something");
    }
}
