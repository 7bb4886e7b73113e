package org.vmcorefs.fs;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vmcorefs.format.CaptureEnvironment;
import org.vmcorefs.format.DumpTree;
import org.vmcorefs.format.MachineFactory;
import org.vmcorefs.format.MachineSpec;
import org.vmcorefs.machine.DumpException;
import org.vmcorefs.machine.FaultInjection;
import org.vmcorefs.machine.Machine;
import org.vmcorefs.machine.MemoryRange;
import org.vmcorefs.machine.Profile;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code vmcorefs mount}: builds the machine, mounts its files, and returns once they are visible. */
@Command(name = "mount", mixinStandardHelpOptions = true, sortOptions = false, usageHelpWidth = 110,
        description = {"Mounts a simulated crashed machine's capture environment at MOUNTPOINT.",
            "Returns once the files are visible (the daemon goes on in the background, logging to a",
            "private file it names), or stays in the foreground with --foreground.",
            "",
            "Files of profile x86_64-kdump:",
            "  MOUNTPOINT/proc/vmcore           the crashed kernel's memory as an ELF core (0400)",
            "  MOUNTPOINT/dev/oldmem            physical memory as it is now, offset = address (0400)",
            "  MOUNTPOINT/.vmcorefs/stats.json  what was served and fetched (0400)",
            "  MOUNTPOINT/.vmcorefs/zero-ranges proc/vmcore's ranges known to be zero, for save --exclude-zero (0400)",
            "",
            "Files of profile ppc64-phyp (phyp-assisted dump; --memory 768M or more):",
            "  MOUNTPOINT/proc/vmcore                the dump, ELF64 MSB core (0400)",
            "  MOUNTPOINT/sys/kernel/release_region  what is still reserved, as",
            "    'CPU:0xA-0xLEN: HPTE:0xA-0xLEN: DUMP:0xA-0xLEN, 0xA-0xLEN:';",
            "    echo '<start> <length>' (hex) releases memory (0600)",
            "  MOUNTPOINT/proc/device-tree/rtas/ibm,kernel-dump  dump header (0444)",
            "",
            "Files of profiles ppc64-fadump, ppc64le-fadump (--memory 768M or more):",
            "  MOUNTPOINT/proc/vmcore                     the dump, ELF64 core (0400)",
            "  MOUNTPOINT/sys/kernel/fadump/enabled       1 (0444)",
            "  MOUNTPOINT/sys/kernel/fadump/registered    0/1, writable once",
            "                                             the dump is released (0644)",
            "  MOUNTPOINT/sys/kernel/fadump/mem_reserved  bytes of the dump area (0444)",
            "  MOUNTPOINT/sys/kernel/fadump/release_mem   echo 1: removes /proc/vmcore,",
            "                                             frees the memory (0200)",
            "  (.vmcorefs/stats.json also shows the memory released and the dump state)",
            "",
            "Files of profile s390x-zfcpdump (the HSA is read through simulated SCLP requests;",
            "--saved-area-fail-rate/-latency-us inject SCLP failures and latency):",
            "  MOUNTPOINT/proc/vmcore                     the crashed system as an s390x ELF core (0400)",
            "  MOUNTPOINT/sys/kernel/debug/zcore/mem      s390 dump format v5, no end marker (0400);",
            "                                             closing it releases the HSA, as the kernel's does",
            "  MOUNTPOINT/sys/kernel/debug/zcore/hsa      HSA size in hex; write 0 to release it (0600)",
            "  MOUNTPOINT/sys/kernel/debug/zcore/memmap   \"start size \" per memory range (0400)",
            "  MOUNTPOINT/sys/kernel/debug/zcore/reipl    any write re-IPLs: dump files then fail ENODEV",
            "  MOUNTPOINT/.vmcorefs/s390.dump             the complete s390 dump, with DUMP_END, for",
            "                                             zgetdump, libkdumpfile, crash (0400)",
            "  MOUNTPOINT/.vmcorefs/stats.json            what was served, SCLP requests, events (0400)",
            "  --image also replays an s390 dump (a zcore/mem copy, zgetdump's output) or an s390x ELF core.",
            ""},
        footer = {"", "Examples:",
            "  vmcorefs mount ./mnt",
            "  vmcorefs mount --memory 4G --cpus 4 --seed 7 ./mnt",
            "  vmcorefs mount --memory 1T --populated 0.01 ./mnt",
            "  vmcorefs mount --image /var/crash/vmcore --foreground ./mnt",
            "  vmcorefs mount --kernel ./vmlinux --kaslr-offset 0 ./mnt",
            "  vmcorefs mount --saved-area-fail-rate 0.2 --saved-area-latency-us 500 ./mnt",
            "  vmcorefs mount --profile ppc64-phyp --memory 1G --cpus 4 ./mnt",
            "  vmcorefs mount --profile s390x-zfcpdump --memory 256M --hsa-size 32M ./mnt"})
final class MountCommand implements Callable<Integer> {
    private static final Logger LOG = LoggerFactory.getLogger(MountCommand.class);

    @Parameters(index = "0", paramLabel = "MOUNTPOINT", description = "An empty directory to mount on.")
    Path mountPoint;

    @Option(names = "--profile", paramLabel = "NAME", defaultValue = "x86_64-kdump",
            description = "Machine and dump mechanism: ${COMPLETION-CANDIDATES}. Default: ${DEFAULT-VALUE}.",
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

    @Option(names = "--kernel", paramLabel = "ELF",
            description = "Plant this kernel ELF (linked at the kernel's virtual base) into memory, so that gdb "
                    + "can read its variables from the dump.")
    Path kernel;

    @Option(names = "--kaslr-offset", paramLabel = "HEX", defaultValue = "0",
            description = "KASLR offset of a synthetic kernel, in hex. Default: ${DEFAULT-VALUE}.")
    String kaslrOffset;

    @Option(names = "--crashkernel", paramLabel = "SIZE[@START]",
            description = "The capture kernel's reservation, as the crashkernel= boot option. Default: 128M for "
                    + "512 MiB-2 GiB of RAM, 256M above, placed high below 4 GiB; none for a replayed dump.")
    String crashkernel;

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

    @Option(names = "--hsa-size", paramLabel = "SIZE", converter = SizeConverter.class,
            description = "s390x-zfcpdump: bytes the hardware saved from address 0 (the HSA), a multiple of 4K. "
                    + "Default: 32M.")
    Long hsaSize;

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
            for (Profile p : Profile.values()) {
                add(p.id());
            }
        }
    }

    MachineSpec machineSpec() {
        Profile p;
        try {
            p = Profile.fromId(profile);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), "unknown profile '" + profile
                    + "' (known: " + String.join(", ", new ProfileNames()) + ")");
        }
        long kaslr;
        try {
            kaslr = Long.parseUnsignedLong(kaslrOffset.replaceFirst("^0[xX]", ""), 16);
        } catch (NumberFormatException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--kaslr-offset: '" + kaslrOffset
                    + "' is not a hex number");
        }
        if (kaslr % (2L << 20) != 0) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--kaslr-offset must be 2 MiB aligned");
        }
        MemoryRange ck = null;
        if (crashkernel != null) {
            String[] parts = crashkernel.split("@", 2);
            try {
                long size = SizeConverter.parse(parts[0]);
                ck = parts.length == 2 ? new MemoryRange(SizeConverter.parse(parts[1]), size)
                        : size == 0 ? new MemoryRange(0, 0) : null;
                if (ck == null) {
                    ck = org.vmcorefs.machine.Kdump.placeCrashkernel(
                            org.vmcorefs.machine.SyntheticSystem.x86Ram(memory), size);
                }
            } catch (CommandLine.TypeConversionException | IllegalArgumentException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--crashkernel: " + e.getMessage());
            }
        }
        Instant when = null;
        if (crashTime != null) {
            try {
                when = crashTime.matches("\\d+") ? Instant.ofEpochSecond(Long.parseLong(crashTime))
                        : Instant.parse(crashTime);
            } catch (DateTimeParseException | NumberFormatException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--crash-time: '" + crashTime
                        + "' is neither seconds since the epoch nor ISO-8601 (2026-01-01T00:00:00Z)");
            }
        }
        FaultInjection faults;
        try {
            faults = new FaultInjection(failRate, TimeUnit.MICROSECONDS.toNanos(latencyMicros), faultSeed, false);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        if (hsaSize != null) {
            if (p != Profile.S390X_ZFCPDUMP) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--hsa-size is for --profile "
                        + Profile.S390X_ZFCPDUMP.id());
            }
            // For zfcpdump the dump kernel's region is [0, HSA size): MachineSpec carries it as the crashkernel.
            ck = new MemoryRange(0, hsaSize);
        }
        return new MachineSpec(p, memory, cpus, seed, populated, image, kernel, kaslr, ck, when, faults);
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
        MachineSpec ms = machineSpec();
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
            return daemonize(mp);
        }
        Machine machine;
        try {
            machine = MachineFactory.create(ms);
        } catch (DumpException e) {
            System.err.println("vmcorefs: cannot build the machine: " + e.getMessage());
            return ExitCode.BAD_MACHINE;
        }
        return serve(machine, mp);
    }

    /** Starts this command again with --foreground in a new process, and waits until its mount is visible. */
    private int daemonize(Path mp) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(Main.class.getName());
        // The same command line, with --foreground right after the subcommand's name.
        List<String> args = new ArrayList<>(spec.commandLine().getParseResult().originalArgs());
        int at = args.indexOf(spec.name()) + 1;
        args.add(at, "--foreground");
        cmd.addAll(args);
        Path log = RuntimeFiles.log(mp);
        Process child = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(log.toFile()).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(readyTimeout);
        while (System.nanoTime() < deadline) {
            if (Mounts.isMounted(mp) && Files.exists(mp.resolve(StatsFile.PATH.substring(1)))) {
                System.out.println("vmcorefs: mounted " + profile + " at " + mp + " (pid " + child.pid() + ", log "
                        + log + ")");
                return ExitCode.OK;
            }
            if (child.waitFor(10, TimeUnit.MILLISECONDS)) {
                // The daemon's own one-line verdicts; the full log stays in the file.
                Files.readAllLines(log).stream().filter(l -> l.startsWith("vmcorefs: ")).forEach(System.err::println);
                System.err.println("vmcorefs: the daemon exited with status " + child.exitValue() + "; log: " + log);
                RuntimeFiles.clear(mp);
                return child.exitValue() == 0 ? ExitCode.FAILED : child.exitValue();
            }
        }
        System.err.println("vmcorefs: the mount did not appear within " + readyTimeout + " s; see " + log);
        child.destroy();
        return ExitCode.FAILED;
    }

    /** Mounts in this process and serves until unmounted or signalled. */
    int serve(Machine machine, Path mp) throws InterruptedException, IOException {
        DumpTree tree = CaptureEnvironment.of(machine, strict);
        MountStats stats = new MountStats();
        Map<String, Object> about = new LinkedHashMap<>();
        about.put("pid", ProcessHandle.current().pid());
        about.put("mountPoint", mp.toString());
        about.put("mountedAt", Instant.now().toString());
        about.put("directIo", !pageCache);
        about.put("strict", strict);
        about.put("fuseThreads", multithreaded ? "multi" : "single");
        // Splicing the image's bytes measured 2.0 vs 1.76 GB/s for a first sequential read (direct_io); with
        // --page-cache the two were within the run-to-run noise (1.0-1.4 GB/s both).
        boolean splice = !noSplice;
        about.put("splice", splice);
        tree.add(StatsFile.PATH, new StatsFile(machine, stats, about));
        tree.add(ZeroRangesFile.PATH, ZeroRangesFile.of(tree));
        com.sun.security.auth.module.UnixSystem user = new com.sun.security.auth.module.UnixSystem();
        boolean fuse3 = fuse == null ? org.vmcorefs.fs.fuse3.Fuse3Mount.available() : fuse.equals("3");
        if (!fuse3 && fuse == null) {
            LOG.info("libfuse 3 is not available ({}): serving with jnr-fuse on libfuse 2",
                    org.vmcorefs.fs.fuse3.Fuse3Mount.whyNot());
        } else if (fuse3 && !org.vmcorefs.fs.fuse3.Fuse3Mount.available()) {
            System.err.println("vmcorefs: --fuse 3: " + org.vmcorefs.fs.fuse3.Fuse3Mount.whyNot());
            return ExitCode.FAILED;
        }
        about.put("fuse", fuse3 ? 3 : 2);
        org.vmcorefs.fs.fuse3.Fuse3Mount fs3 = fuse3 ? new org.vmcorefs.fs.fuse3.Fuse3Mount(tree, stats,
                user.getUid(), user.getGid(), !pageCache, splice) : null;
        VmcoreFs fs = fuse3 ? null : new VmcoreFs(tree, stats, user.getUid(), user.getGid(), !pageCache,
                new ReadBuffers(splice));

        List<String> opts = new ArrayList<>(List.of("-o", "fsname=vmcorefs", "-o", "subtype=vmcorefs", "-o",
                "default_permissions"));
        if (allowOther) {
            opts.addAll(List.of("-o", "allow_other"));
        }
        if (splice) {
            opts.addAll(List.of("-o", "splice_write"));
        }
        if (!multithreaded) {
            // libfuse's single-threaded loop: measured faster here for one reader and for four (no worker
            // threads woken, created or attached to the JVM per request).
            opts.add("-s");
        }
        Thread loop = new Thread(() -> {
            try {
                if (fs3 != null) {
                    fs3.serve(mp, allowOther, multithreaded, debugFuse);
                } else {
                    fs.mount(mp, true, debugFuse, opts.toArray(new String[0]));
                }
            } catch (Throwable e) {
                LOG.error("FUSE mount of {} failed", mp, e);
                System.err.println("vmcorefs: mount failed: " + e.getMessage());
            }
        }, "fuse-loop");
        Thread hook = new Thread(() -> {
            if (loop.isAlive() && Mounts.isMounted(mp)) {
                LOG.info("signalled: unmounting {}", mp);
                if (Mounts.fusermountUnmount(mp, false) != 0) {
                    Mounts.fusermountUnmount(mp, true);
                }
                try {
                    loop.join(10_000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }, "unmount-on-signal");
        Runtime.getRuntime().addShutdownHook(hook);
        loop.start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(readyTimeout);
        while (!Mounts.isMounted(mp)) {
            if (!loop.isAlive() || System.nanoTime() > deadline) {
                System.err.println("vmcorefs: the mount of " + mp + " did not come up (is /dev/fuse available?)");
                return ExitCode.FAILED;
            }
            Thread.sleep(5);
        }
        RuntimeFiles.writePid(mp, ProcessHandle.current().pid());
        LOG.info("mounted {} at {}: {}", machine.profile(), mp, machine.system().origin());
        System.out.println("vmcorefs: serving " + machine.profile() + " at " + mp);
        System.out.flush();
        if (readyFile != null) {
            Path tmp = readyFile.resolveSibling(readyFile.getFileName() + ".tmp");
            Files.writeString(tmp, "vmcorefs: mounted " + machine.profile() + " at " + mp + " (pid "
                    + ProcessHandle.current().pid() + ")\n");
            Files.move(tmp, readyFile, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        }
        loop.join();
        LOG.info("unmounted {}", mp);
        return ExitCode.OK;
    }
}
