package org.vmcorefs.fs.cli;

import org.vmcorefs.fs.MountPoints;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vmcorefs.format.env.CaptureEnvironment;
import org.vmcorefs.format.env.CaptureEnvironments;
import org.vmcorefs.format.env.EnvironmentOption;
import org.vmcorefs.format.MachineFactory;
import org.vmcorefs.format.MachineSpec;
import org.vmcorefs.machine.DumpException;
import org.vmcorefs.machine.Machine;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code vmcorefs mount}: builds the machine, mounts its files, and returns once they are visible. */
@Command(name = "mount", mixinStandardHelpOptions = true, sortOptions = false, usageHelpWidth = 110,
        description = {"Mounts a simulated crashed machine's capture environment at MOUNTPOINT.",
            "Returns once the files are visible (the daemon goes on in the background, logging to a",
            "private file it names), or stays in the foreground with --foreground.",
            ""},
        footer = {"", "Examples:",
            "  vmcorefs mount ./mnt",
            "  vmcorefs mount --memory 4G --cpus 4 --seed 7 ./mnt",
            "  vmcorefs mount --memory 1T --populated 0.01 ./mnt",
            "  vmcorefs mount --image /var/crash/vmcore --foreground ./mnt",
            "  vmcorefs mount --image guest.elf --vmlinux /usr/lib/debug/boot/vmlinux-$(uname -r) ./mnt",
            "  vmcorefs mount --kernel ./vmlinux --kaslr-offset 0 ./mnt",
            "  vmcorefs mount --saved-area-fail-rate 0.2 --saved-area-latency-us 500 ./mnt",
            "  vmcorefs mount --profile ppc64-phyp --memory 1G --cpus 4 ./mnt",
            "  vmcorefs mount --profile arm64-kdump --memory 1T --kaslr-offset 206d95800000 ./mnt",
            "  vmcorefs mount --profile s390x-zfcpdump --memory 256M --hsa-size 32M ./mnt"})
final class MountCommand implements Callable<Integer> {
    private static final Logger LOG = LoggerFactory.getLogger(MountCommand.class);

    @Parameters(index = "0", paramLabel = "MOUNTPOINT", description = "An empty directory to mount on.")
    Path mountPoint;

    @Option(names = "--profile", paramLabel = "NAME",
            description = "Machine and dump mechanism: ${COMPLETION-CANDIDATES}. Default: with --image, the first "
                    + "profile of the image's architecture (an arm64 dump mounts as arm64-kdump, a ppc64le one as "
                    + "ppc64le-kdump, an s390 one as "
                    + "s390x-zfcpdump); else, and for a raw memory image, x86_64-kdump.",
            completionCandidates = ProfileNames.class)
    String profile;

    @Option(names = "--memory", paramLabel = "SIZE", defaultValue = "1G", converter = SizeConverter.class,
            description = "RAM of a synthetic machine, e.g. 512M, 4G, 1T. Default: ${DEFAULT-VALUE}.")
    long memory;

    @Option(names = "--cpus", paramLabel = "N", defaultValue = "2",
            description = "CPUs of a synthetic machine (1-4096). Default: ${DEFAULT-VALUE}.")
    int cpus;

    @Option(names = "--seed", paramLabel = "N", defaultValue = "1",
            description = "Seed of every synthetic byte and register. Default: ${DEFAULT-VALUE}.")
    long seed;

    @Option(names = "--populated", paramLabel = "FRACTION", defaultValue = "1.0",
            description = "Fraction of 2 MiB blocks of synthetic memory holding data; the rest are zero pages. "
                    + "Default: ${DEFAULT-VALUE}.")
    double populated;

    @Option(names = "--image", paramLabel = "FILE",
            description = "Replay this dump instead of synthetic memory: an ELF core (QEMU dump-guest-memory, "
                    + "virsh dump, a copy of /proc/vmcore), a kdump-compressed dump (makedumpfile -c, zlib), an "
                    + "s390 dump, or a raw memory image (offset = physical address).")
    Path image;

    @Option(names = "--vmlinux", paramLabel = "FILE",
            description = "With --image: the dumped kernel's vmlinux (debug, or stripped with --strip-debug). Its "
                    + "symbols make a dump without the kernel's headers (QEMU dump-guest-memory, kdump-compressed) "
                    + "replay as the kernel writes /proc/vmcore: the text segment [_text, _end), and pr_pid = the pid "
                    + "of each CPU's current task (0 idle). It must be the dumped kernel (its build-id and _stext "
                    + "are checked).")
    Path vmlinux;

    @Option(names = "--kernel", paramLabel = "ELF",
            description = "Plant this kernel ELF (linked at the kernel's virtual base) into memory, so that gdb "
                    + "can read its variables from the dump.")
    Path kernel;

    @Option(names = "--kaslr-offset", paramLabel = "HEX", defaultValue = "0",
            description = "KASLR offset of a synthetic kernel, in hex. Default: ${DEFAULT-VALUE}.")
    String kaslrOffset;

    @Option(names = "--crash-time", paramLabel = "TIME",
            description = "When the machine crashed: seconds since the epoch or ISO-8601. Default: the dump's "
                    + "CRASHTIME, else 2026-01-01T00:00:00Z.")
    String crashTime;

    @Option(names = "--saved-area-fail-rate", paramLabel = "RATE", defaultValue = "0",
            description = "Fraction of hardware-saved-area requests that fail (EIO for that read only). "
                    + "Default: ${DEFAULT-VALUE}.")
    double failRate;

    @Option(names = "--saved-area-latency-us", paramLabel = "MICROS", defaultValue = "0",
            description = "Latency added to every hardware-saved-area request. Default: ${DEFAULT-VALUE}.")
    long latencyMicros;

    @Option(names = "--fault-seed", paramLabel = "N", defaultValue = "42",
            description = "Seed of the injected failures. Default: ${DEFAULT-VALUE}.")
    long faultSeed;

    @Option(names = "--strict",
            description = "Control files refuse with EINVAL what the kernel silently accepts although it makes no "
                    + "sense (a release_region range outside the reserved memory or not page-aligned, a number "
                    + "that overflows, text after the numbers, \"0junk\" to zcore/hsa). Default: accept it as the "
                    + "kernel does, log a warning and count it in stats.json (toleratedInputs).")
    boolean strict;

    @Option(names = "--page-cache",
            description = "Let the kernel cache the dump files (immutable ones only); faster re-reads, allows "
                    + "mmap, but cached reads are not counted. Default: every read reaches vmcorefs (direct_io).")
    boolean pageCache;

    @Option(names = "--multithreaded",
            description = "Serve requests from libfuse's pool of threads instead of one thread. Slower here for "
                    + "sequential and random reads alike (see README, Performance), but a slow saved-area request "
                    + "(--saved-area-latency-us) then holds up only the reads that wait for it.")
    boolean multithreaded;

    @Option(names = "--fuse", paramLabel = "3|2",
            description = "Which FUSE adapter serves the files: 3, libfuse 3's low-level API (inode numbers, replies "
                    + "from a reused native buffer, requests up to 1008 KiB), or 2, jnr-fuse on libfuse 2 (for "
                    + "machines without libfuse 3). Default: 3 where libfuse3.so.3 loads, else 2.")
    String fuse;

    @Option(names = "--libfuse-loop",
            description = "With --fuse 3: let libfuse's own loop read the requests, every read then reaching "
                    + "vmcorefs through a callback from native code. Default: vmcorefs reads /dev/fuse itself, "
                    + "answers reads itself and hands the other requests to libfuse (faster: no callback per "
                    + "read). --multithreaded always uses libfuse's loop.")
    boolean libfuseLoop;

    @Option(names = "--passthrough",
            description = "Let the kernel serve a file whose bytes are one backing file's, byte for byte (a replayed "
                    + "kdump vmcore's /proc/vmcore, a raw image's /dev/oldmem), from that file's own page cache "
                    + "(FUSE passthrough, kernel 6.9 on): as fast as reading the image itself, but those files' "
                    + "reads are no longer counted nor fault-injected. Needs CAP_SYS_ADMIN and libfuse 3.")
    boolean passthrough;

    @Option(names = "--no-warm-up", hidden = true,
            description = "Mount without first running the read path over an empty image of its own (to measure "
                    + "what the warm-up gives).")
    boolean noWarmUp;

    @Option(names = "--no-splice",
            description = "Copy every read through vmcorefs. Default: bytes that come straight from the replayed "
                    + "image are handed to libfuse as the image's descriptor and offset, and the kernel moves them "
                    + "to the reader by splice, without a copy through vmcorefs (they are still counted).")
    boolean noSplice;

    @Option(names = "--allow-other",
            description = "Let other users reach the mount (FUSE allow_other). Dumps hold secrets: the files stay "
                    + "0400/0600 and owned by you, but think twice. Needs user_allow_other in /etc/fuse.conf "
                    + "unless run as root.")
    boolean allowOther;

    @Option(names = "--foreground", description = "Stay in the foreground until unmounted or signalled.")
    boolean foreground;

    @Option(names = "--debug-fuse", description = "Print libfuse's debug trace.")
    boolean debugFuse;

    @Option(names = "--ready-file", paramLabel = "FILE", hidden = true,
            description = "Written (atomically) with the mount's one-line summary once the files are visible: "
                    + "how bin/vmcorefs, which starts the daemon itself, learns that the mount is up.")
    Path readyFile;

    @Option(names = "--ready-timeout", paramLabel = "SECONDS", defaultValue = "30",
            description = "How long to wait for the mount to appear. Default: ${DEFAULT-VALUE}.")
    int readyTimeout;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** Profile names for --help. */
    static final class ProfileNames extends ArrayList<String> {
        private static final long serialVersionUID = 1L;

        ProfileNames() {
            addAll(CaptureEnvironments.ids());
        }
    }

    /**
     * Adds what the capture environments bring to the mount command: each one's files to the description,
     * and their own options (--crashkernel, --hsa-size, ...), whose values reach the machine by name.
     */
    static void addEnvironments(CommandLine mount) {
        CommandLine.Model.CommandSpec cs = mount.getCommandSpec();
        List<String> description = new ArrayList<>(List.of(cs.usageMessage().description()));
        // A block that several profiles share (both byte orders of POWER) is shown once, where the first is.
        java.util.Set<List<String>> shown = new java.util.HashSet<>();
        for (CaptureEnvironment e : CaptureEnvironments.ALL) {
            if (shown.add(e.help())) {
                description.addAll(e.help());
                description.add("");
            }
        }
        cs.usageMessage().description(description.toArray(new String[0]));
        for (EnvironmentOption o : CaptureEnvironments.options().keySet()) {
            cs.addOption(o.isFlag()
                    ? CommandLine.Model.OptionSpec.builder(o.name()).arity("0").type(Boolean.class)
                            .description(o.description()).build()
                    : CommandLine.Model.OptionSpec.builder(o.name()).paramLabel(o.paramLabel()).type(String.class)
                            .description(o.description()).build());
        }
    }

    /** The profile's own options as given on the command line; a usage error for another profile's. */
    Map<String, String> environmentOptions(CaptureEnvironment p) {
        Map<String, String> given = new LinkedHashMap<>();
        CaptureEnvironments.options().forEach((o, takers) -> {
            Object v = spec.findOption(o.name()).getValue();
            if (v == null || Boolean.FALSE.equals(v)) {
                return;
            }
            if (!takers.contains(p)) {
                throw new CommandLine.ParameterException(spec.commandLine(), o.name() + " is for --profile "
                        + String.join(", ", takers.stream().map(CaptureEnvironment::id).toList()));
            }
            given.put(o.name(), String.valueOf(v));
        });
        return given;
    }

    /** CAP_SYS_ADMIN (bit 21) in this process's effective capabilities. */
    static boolean hasCapSysAdmin() {
        try {
            for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/status"))) {
                if (line.startsWith("CapEff:")) {
                    return (Long.parseUnsignedLong(line.substring(7).trim(), 16) & (1L << 21)) != 0;
                }
            }
        } catch (java.io.IOException | NumberFormatException e) {
            return false;
        }
        return false;
    }

    @Override
    public Integer call() throws Exception {
        if (!foreground) {
            // The parent only checks and starts the daemon: its log would be noise on the user's terminal.
            ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger(Logger.ROOT_LOGGER_NAME))
                    .setLevel(ch.qos.logback.classic.Level.WARN);
        }
        if (fuse != null && !fuse.equals("2") && !fuse.equals("3")) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--fuse: '" + fuse + "' is neither 3 nor 2");
        }
        if (passthrough) {
            String no = "2".equals(fuse) ? "--fuse 2" : libfuseLoop ? "--libfuse-loop" : multithreaded ? "--multithreaded"
                    : noSplice ? "--no-splice" : null;
            if (no != null) {
                throw new CommandLine.ParameterException(spec.commandLine(),
                        "--passthrough works only with vmcorefs's own request loop on libfuse 3 and splice, not " + no);
            }
            if (!hasCapSysAdmin()) {
                System.err.println("vmcorefs: --passthrough needs CAP_SYS_ADMIN (the kernel lets only it register a "
                        + "backing file, FUSE_DEV_IOC_BACKING_OPEN); mount without it");
                return ExitCode.USAGE;
            }
        }
        MachineSpec ms = MountSpec.of(this);
        Path mp;
        try {
            mp = MountPoints.prepare(mountPoint);
        } catch (MountPoints.Unusable e) {
            System.err.println("vmcorefs: " + e.getMessage());
            return ExitCode.BAD_MOUNT_POINT;
        }
        if (allowOther) {
            System.err.println("vmcorefs: warning: --allow-other lets other users reach this mount; the dump's "
                    + "files stay readable by their owner only");
        }
        if (!foreground) {
            // The daemon builds the machine: doing it here too would only add to the mount time.
            return Daemon.start(this, mp, ms.profile().id());
        }
        Machine machine;
        try {
            machine = MachineFactory.create(ms);
        } catch (DumpException e) {
            System.err.println("vmcorefs: cannot build the machine: " + e.getMessage());
            return ExitCode.BAD_MACHINE;
        }
        return new FuseServer(this).serve(machine, mp);
    }
}
