package org.vmcorefs.fs.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code vmcorefs} command: mount a simulated crashed machine, unmount it, show its statistics. */
@Command(name = "vmcorefs", mixinStandardHelpOptions = true, usageHelpWidth = 110, version = "vmcorefs 0.1.0",
        description = {
            "Serves a crashed machine's dump interfaces (/proc/vmcore, /dev/oldmem, ...) as real files,",
            "from a simulated machine or a real dump replayed as one."},
        subcommands = {MountCommand.class, UnmountCommand.class, StatsCommand.class, SaveCommand.class, RunCommand.class, CommandLine.HelpCommand.class},
        footerHeading = "%nExit codes:%n",
        footer = {
            "  0  success",
            "  1  the mount failed or the daemon ended abnormally",
            "  2  bad usage",
            "  3  the machine could not be built (bad parameters, missing or corrupt image)",
            "  4  the mount point is missing, not a directory, not empty, or already mounted",
            "  5  not mounted (unmount, stats, run)",
            "",
            "Examples:",
            "  vmcorefs mount ./mnt                          # 1 GiB synthetic x86_64 kdump machine",
            "  vmcorefs mount --memory 1T --cpus 8 ./mnt     # a sparse 1 TiB machine, mounted as fast",
            "  vmcorefs mount --image guest.elf ./mnt        # replay a QEMU or /proc/vmcore dump",
            "  vmcorefs stats ./mnt",
            "  vmcorefs save ./mnt /var/tmp/vmcore           # copy the dump away (see save --help)",
            "  vmcorefs run ./mnt -- kdump-config savecore   # a tool at the real paths (see run --help)",
            "  vmcorefs unmount ./mnt"})
public final class Main {
    private Main() {
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }

    static int run(String... args) {
        CommandLine cl = new CommandLine(Main.class);
        MountCommand.addEnvironments(cl.getSubcommands().get("mount"));
        cl.getSubcommands().get("run").setStopAtPositional(true); // COMMAND's own options are its own
        cl.setExecutionExceptionHandler((e, line, parsed) -> {
            line.getErr().println("vmcorefs: " + e.getMessage());
            return ExitCode.FAILED;
        });
        // A usage error is one clear line and a pointer to the help, not the whole help.
        cl.setParameterExceptionHandler((e, arguments) -> {
            CommandLine cmd = e.getCommandLine();
            cmd.getErr().println("vmcorefs: " + e.getMessage());
            cmd.getErr().println("Try '" + cmd.getCommandSpec().qualifiedName() + " --help'.");
            return ExitCode.USAGE;
        });
        return cl.execute(args);
    }
}
