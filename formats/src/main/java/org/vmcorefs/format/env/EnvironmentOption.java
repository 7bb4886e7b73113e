package org.vmcorefs.format.env;

/**
 * A command-line option that belongs to one or more capture environments, e.g. {@code --hsa-size}: the
 * command line offers it, and {@link MachineSpec#options()} carries what the user gave, by name.
 *
 * @param name the option as typed, e.g. {@code --crashkernel}
 * @param paramLabel its value's label in --help, e.g. {@code SIZE[@START]}; empty for a flag, which takes no
 *     value and is given as "true"
 * @param description what --help says of it
 */
public record EnvironmentOption(String name, String paramLabel, String description) {
    /** An option without a value, e.g. {@code --elf32-core-headers}. */
    public static EnvironmentOption flag(String name, String description) {
        return new EnvironmentOption(name, "", description);
    }

    public boolean isFlag() {
        return paramLabel.isEmpty();
    }
}
