package org.vmcorefs.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The real crash dumps made by scripts/make-fixtures.sh (a Debian kernel crashed under QEMU), looked for in
 * ${VMCOREFS_FIXTURES:-/var/cache/vmcore-fixtures}. Tests fail, saying what is missing and how to make it, when
 * they are missing (VMCOREFS_MAKE_FIXTURES=1 makes them first); only a machine that declares it cannot make them
 * (VMCOREFS_MAY_SKIP=fixtures, not under CI=true) skips them. See {@link Requirements}.
 */
final class Fixtures {
    static final Path DIR = Path.of(System.getenv().getOrDefault("VMCOREFS_FIXTURES", "/var/cache/vmcore-fixtures"));
    static final Path VMLINUX = DIR.resolve("vmlinux");
    static final String MARKER = "FIXTURE-MARKER-42";
    /** A genuine /proc/vmcore copied by a capture kernel. */
    static final String KDUMP_VMCORE = "kdump-vmcore.elf";
    /** QEMU dump-guest-memory of the panicked guest (physical PT_LOADs, QEMU notes, VMCOREINFO). */
    static final String QEMU_ELF = "guest.elf";
    /** The same guest dumped with paging: one PT_LOAD per virtual mapping (tens of thousands, PN_XNUM). */
    static final String QEMU_PAGING_ELF = "guest-paging.elf";
    /** The same guest dumped kdump-compressed by QEMU (zlib, zero pages left out). */
    static final String QEMU_KDUMP = "guest.kdump";
    /** The other architectures' fixtures, one folder each (arm64, i386, ppc64le, s390x). */
    static final Path ARCH_ROOT = Path.of(System.getenv().getOrDefault("VMCOREFS_ARCH_FIXTURES",
            "/var/cache/vmcore-fixtures-arch"));
    private static final Pattern SLEEP_PID = Pattern.compile(MARKER + " sleep_pid=(\\d+)");
    private static final long MAKE_TIMEOUT_SECONDS = 3600;
    private static boolean made;

    private Fixtures() {
    }

    /**
     * {@code p}, a file of one architecture's fixtures (under {@link #ARCH_ROOT}); fails the calling test (CI) or
     * skips it (VMCOREFS_MAY_SKIP=fixtures) when it is missing, naming the architecture and how to make it.
     */
    static Path arch(Path p) {
        if (!Files.isReadable(p) || !Requirements.present("fixtures", true)) {
            String arch = p.startsWith(ARCH_ROOT) && p.getNameCount() > ARCH_ROOT.getNameCount()
                    ? p.getName(ARCH_ROOT.getNameCount()).toString() : "architecture";
            Requirements.missing(Requirements.Skippable.FIXTURES, arch + " fixture " + p, "Make the fixtures: "
                    + "`make fixtures` (as root; ../shared/tools/make-arch-dump.sh with ARCH=" + arch + " and its"
                    + " tools' setup script), or point VMCOREFS_ARCH_FIXTURES at a complete set");
        }
        return p;
    }

    /** Fails unless the kernel, its release and at least one dump are there; makes them first if asked to. */
    static synchronized void require() {
        if (!present() && "1".equals(System.getenv("VMCOREFS_MAKE_FIXTURES")) && !made) {
            made = true;
            Path script = Mounted.HOME.resolve("scripts/make-fixtures.sh");
            Exec.Result r = Exec.run(MAKE_TIMEOUT_SECONDS, null, List.of(script.toString()));
            assertEquals(0, r.exit(), "scripts/make-fixtures.sh failed:\n" + r.all());
        }
        if (!present()) {
            Requirements.missing(Requirements.Skippable.FIXTURES, "the real dumps in " + DIR + " (vmlinux, KVER and "
                    + KDUMP_VMCORE + " or " + QEMU_ELF + ")", "Run `make fixtures` as root (needs QEMU and "
                    + "../shared/tools), or set VMCOREFS_MAKE_FIXTURES=1 to make them before the tests, or point "
                    + "VMCOREFS_FIXTURES at a directory that has them");
        }
    }

    private static boolean present() {
        return Requirements.present("fixtures", true) && Files.isReadable(VMLINUX) && Files.isReadable(DIR.resolve("KVER"))
                && (Files.isReadable(DIR.resolve(KDUMP_VMCORE)) || Files.isReadable(DIR.resolve(QEMU_ELF)));
    }

    /** The dump {@code name}; fails the calling test if this one is missing. */
    static Path dump(String name) {
        require();
        Path p = DIR.resolve(name);
        if (!Files.isReadable(p)) {
            Requirements.missing(Requirements.Skippable.FIXTURES, "fixture " + p, "Make the fixtures again: "
                    + "`make fixtures` (as root), or point VMCOREFS_FIXTURES at a complete set");
        }
        return p;
    }

    /** The crashed kernel's release ({@code uname -r}), from KVER. */
    static String kernelRelease() throws IOException {
        return Files.readString(DIR.resolve("KVER"), StandardCharsets.US_ASCII).trim();
    }

    /** The serial console log of the run that made {@code dump}. */
    static Path consoleLog(String dump) {
        return DIR.resolve(dump.equals(KDUMP_VMCORE) ? "kdump-console.log" : "guest-console.log");
    }

    /** The pid of the guest's {@code sleep 12345}, as the guest wrote it beside the marker. */
    static int sleepPid(String dump) throws IOException {
        dump(dump);
        if (!Files.isReadable(consoleLog(dump))) {
            Requirements.missing(Requirements.Skippable.FIXTURES, "console log " + consoleLog(dump), "Make the "
                    + "fixtures again: `make fixtures` (as root)");
        }
        String log = Files.readString(consoleLog(dump), StandardCharsets.ISO_8859_1);
        Matcher m = SLEEP_PID.matcher(log);
        assertTrue(m.find(), "no '" + MARKER + " sleep_pid=N' line in " + consoleLog(dump)
                + ": the fixtures are broken; make them again with `make fixtures`");
        return Integer.parseInt(m.group(1));
    }
}
