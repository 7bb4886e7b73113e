package org.vmcorefs.fs.cli;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import org.vmcorefs.fs.Mounts;
import org.vmcorefs.fs.RuntimeFiles;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code vmcorefs run MOUNTPOINT -- COMMAND}: runs COMMAND in a private mount namespace where the mount's files
 * are at the capture kernel's paths ({@code /proc/vmcore}, {@code /dev/oldmem}, {@code /sys/kernel/...}), the
 * rest of the system as it is. The files are bind mounts of the mount's own (no copies), so reads and writes
 * reach the mount; the namespace is made by util-linux's {@code unshare} and set up by
 * {@code run-namespace.sh}, which execs COMMAND, so the exit status is COMMAND's.
 */
@Command(name = "run", mixinStandardHelpOptions = true,
        header = "Runs a command in a namespace where the mount's files are at the capture kernel's paths.",
        description = {
            "Runs COMMAND (default: your shell) in a private mount namespace where the files of the capture",
            "environment mounted at MOUNTPOINT are at the paths a capture kernel has: /proc/vmcore (in the real",
            "procfs, so /proc/meminfo and /proc/iomem are there too), /dev/oldmem, /sys/kernel/debug/zcore/*,",
            "/sys/kernel/release_region, /sys/kernel/fadump/*, /proc/device-tree/rtas/ibm,kernel-dump, as the",
            "profile has them. They are bind mounts of the mount's files: reads are served and counted by the",
            "mount, writes to control files reach it. Nothing outside the namespace changes.",
            "",
            "As root the namespace is made directly; as another user inside a new user namespace (COMMAND then",
            "runs as root of that namespace), where the kernel allows ordinary users to make one.",
            "In the namespace /proc is the real procfs's entries bound into a small tmpfs, plus the mount's;",
            "/proc/self is there, other processes' /proc/PID directories are under /proc/.vmcorefs-procfs."},
        footer = {"", "Exit status: COMMAND's; 125 if the namespace could not be made; 126/127 if COMMAND cannot",
            "be run or is not found; 5 if MOUNTPOINT is not mounted.",
            "", "Examples:",
            "  vmcorefs run ./mnt -- kdump-config savecore",
            "  vmcorefs run ./mnt -- makedumpfile -d 31 /proc/vmcore /var/tmp/dump",
            "  vmcorefs run ./mnt -- sh -c 'dd if=/sys/kernel/debug/zcore/mem of=dump bs=1M; echo 0 > /sys/kernel/debug/zcore/hsa'",
            "  vmcorefs run ./mnt -- vmcorefs save / /var/tmp/vmcore"})
final class RunCommand implements Callable<Integer> {
    /** Exit status when the namespace cannot be made (as env, chroot and timeout use 125). */
    static final int NO_NAMESPACE = 125;
    static final String SCRIPT = "run-namespace.sh";

    @Parameters(index = "0", paramLabel = "MOUNTPOINT", description = "Where vmcorefs is mounted.")
    Path mountPoint;

    @Parameters(index = "1..*", paramLabel = "COMMAND", arity = "0..*",
            description = "The command and its arguments (after --); default: $SHELL, or /bin/sh.")
    List<String> command = new ArrayList<>();

    @Option(names = "--user-namespace",
            description = "Make a user namespace even when run as root (what an ordinary user gets).")
    boolean userNamespace;

    @Override
    public Integer call() throws IOException, InterruptedException {
        Path mp = mountPoint.toAbsolutePath().normalize();
        if (!Mounts.isMounted(mp)) {
            System.err.println("vmcorefs: " + mp + " is not mounted");
            return ExitCode.NOT_MOUNTED;
        }
        List<String> cmd = new ArrayList<>(command);
        if (!cmd.isEmpty() && cmd.get(0).equals("--")) {
            cmd.remove(0);
        }
        if (cmd.isEmpty()) {
            String shell = System.getenv("SHELL");
            cmd.add(shell != null && !shell.isEmpty() ? shell : "/bin/sh");
        }
        boolean asRoot = new com.sun.security.auth.module.UnixSystem().getUid() == 0;
        boolean user = userNamespace || !asRoot;
        List<String> unshare = new ArrayList<>(List.of("unshare", "--mount", "--propagation", "private"));
        if (user) {
            unshare.addAll(1, List.of("--user", "--map-root-user"));
            String why = userNamespaceRefused();
            if (why != null) {
                System.err.println("vmcorefs run: this kernel does not let " + (asRoot ? "root" : "an ordinary user")
                        + " make a user namespace (" + why + "); run vmcorefs run as root");
                return NO_NAMESPACE;
            }
        }
        Path stage = Files.createTempDirectory(RuntimeFiles.directory(), "run-");
        try {
            List<String> argv = new ArrayList<>(unshare);
            argv.addAll(List.of("/bin/sh", "-c", script(), "vmcorefs-run", stage.toString(), mp.toString()));
            argv.addAll(files(mp));
            argv.add("--");
            argv.addAll(cmd);
            Process p = new ProcessBuilder(argv).inheritIO().start();
            // The terminal's SIGINT reaches COMMAND itself; this process waits for it and passes SIGTERM on.
            ignore("INT");
            ignore("QUIT");
            Runtime.getRuntime().addShutdownHook(new Thread(p::destroy));
            return p.waitFor();
        } finally {
            Files.deleteIfExists(stage);
        }
    }

    /** The mount's files, relative to it, without vmcorefs's own .vmcorefs directory. */
    static List<String> files(Path mountPoint) throws IOException {
        try (Stream<Path> s = Files.walk(mountPoint)) {
            return s.filter(Files::isRegularFile)
                    .map(p -> mountPoint.relativize(p).toString())
                    .filter(r -> !r.startsWith(".vmcorefs/") && !r.equals(".vmcorefs"))
                    .sorted()
                    .toList();
        }
    }

    static String script() throws IOException {
        try (InputStream in = RunCommand.class.getResourceAsStream(SCRIPT)) {
            if (in == null) {
                throw new IOException(SCRIPT + " is missing from the build");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /** Why a user namespace cannot be made here (the kernel's switches, or unshare's own answer), or null. */
    private static String userNamespaceRefused() throws IOException, InterruptedException {
        for (String[] knob : new String[][] {{"/proc/sys/kernel/unprivileged_userns_clone", "0"},
                {"/proc/sys/user/max_user_namespaces", "0"},
                {"/proc/sys/kernel/apparmor_restrict_unprivileged_userns", "1"}}) {
            Path k = Path.of(knob[0]);
            if (Files.isReadable(k) && Files.readString(k).trim().equals(knob[1])) {
                return k.toString().substring("/proc/sys/".length()).replace('/', '.') + " = " + knob[1];
            }
        }
        Process probe = new ProcessBuilder("unshare", "--user", "--map-root-user", "--mount", "true")
                .redirectErrorStream(true).start();
        String out = new String(probe.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        return probe.waitFor() == 0 ? null : "unshare: " + out;
    }

    @SuppressWarnings("restriction")
    private static void ignore(String signal) {
        try {
            sun.misc.Signal.handle(new sun.misc.Signal(signal), s -> { });
        } catch (IllegalArgumentException e) {
            // The JVM reserves this signal here: the default stands.
        }
    }
}
