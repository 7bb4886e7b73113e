package org.vmcorefs.fs.cli;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.vmcorefs.format.MachineFactory;
import org.vmcorefs.format.MachineSpec;
import org.vmcorefs.machine.DumpException;
import picocli.CommandLine;

/**
 * Fuzzes the command line's sizes and --crashkernel SIZE[@START] (and --hsa-size), from the converter to the
 * machine they make: each value is refused with a picocli ParameterException (one clear line, exit 2) or becomes a
 * spec that MachineFactory builds or refuses with a DumpException; nothing else, in bounded time.
 */
class CommandLineFuzzTest {
    private static final long MAX_NANOS = TimeUnit.SECONDS.toNanos(10);

    /** One size through SizeConverter: a non-negative count of bytes or a TypeConversionException. */
    @FuzzTest(maxDuration = "30s")
    void size(byte[] data) {
        String value = new String(data, StandardCharsets.UTF_8);
        try {
            long n = SizeConverter.parse(value);
            if (n < 0) {
                throw new AssertionError("'" + value + "' parsed as " + n);
            }
        } catch (CommandLine.TypeConversionException expected) {
            // "'x' is not a size", "out of range", "empty size".
        }
    }

    /**
     * --memory, --crashkernel and, for s390, --hsa-size together, as the mount command takes them. The input is
     * a flag byte (bit 0: s390) and then MEMORY NUL CRASHKERNEL NUL HSA-SIZE.
     */
    @FuzzTest(maxDuration = "30s")
    void crashkernel(byte[] data) throws Exception {
        if (data.length == 0) {
            return;
        }
        boolean s390 = (data[0] & 1) != 0;
        String[] v = (new String(data, 1, data.length - 1, StandardCharsets.UTF_8) + "\0\0").split("\0", -1);
        String memory = v[0];
        String crashkernel = v[1];
        String hsa = v[2];
        // --crashkernel belongs to x86_64-kdump, --hsa-size to s390x-zfcpdump (the other way round is a usage
        // error, also fuzzed now and then).
        List<String> args = new ArrayList<>(List.of("--memory", memory));
        if (s390) {
            args.addAll(List.of("--profile", "s390x-zfcpdump", "--hsa-size", hsa));
            if (crashkernel.startsWith("x")) {
                args.addAll(List.of("--crashkernel", crashkernel));
            }
        } else {
            args.addAll(List.of("--crashkernel", crashkernel));
        }
        args.add("/nonexistent/mnt");
        long t0 = System.nanoTime();
        MountCommand cmd = new MountCommand();
        MachineSpec spec;
        try {
            CommandLine cl = new CommandLine(cmd);
            MountCommand.addEnvironments(cl);
            cl.parseArgs(args.toArray(String[]::new));
            spec = MountSpec.of(cmd);
        } catch (CommandLine.ParameterException expected) {
            return;
        }
        try {
            MachineFactory.create(spec);
        } catch (DumpException expected) {
            // A reservation outside RAM, an HSA larger than memory, ...: refused with a message.
        }
        long nanos = System.nanoTime() - t0;
        if (nanos > MAX_NANOS) {
            throw new AssertionError(args + " took " + nanos / 1_000_000 + " ms");
        }
    }
}
