package org.vmcorefs.it;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

/**
 * What the integration tests need from the machine, and what happens when it is missing: the run FAILS, naming
 * what is missing and how to get it. A missing jar, fusermount or client tool is a broken build or install step
 * and always fails. Only two things may be declared absent, by a machine that truly cannot have them, with
 * {@code VMCOREFS_MAY_SKIP=fuse,fixtures}: the FUSE device (a container started without /dev/fuse) and the real
 * dumps (making them needs root, QEMU and ../shared/tools). Under {@code CI=true} that declaration is refused:
 * CI has everything, and anything missing there fails.
 *
 * <p>For the tests of this very rule, {@code VMCOREFS_PRETEND_MISSING} (comma-separated: /dev/fuse, fusermount,
 * jar, fixtures, or a tool's name) makes the named things count as missing without uninstalling anything.
 */
final class Requirements {
    /** What may be declared absent with VMCOREFS_MAY_SKIP. */
    enum Skippable { FUSE, FIXTURES }

    private static final boolean CI = "true".equalsIgnoreCase(System.getenv("CI"));
    private static final Set<String> MAY_SKIP = list("VMCOREFS_MAY_SKIP");
    private static final Set<String> PRETEND_MISSING = list("VMCOREFS_PRETEND_MISSING");
    private static final Map<String, Boolean> TOOLS = new ConcurrentHashMap<>();

    /** The Debian package of each client tool the tests run (scripts/install-deps.sh installs them all). */
    private static final Map<String, String> PACKAGES = Map.ofEntries(
            Map.entry("fusermount", "fuse3"), Map.entry("fusermount3", "fuse3"), Map.entry("readelf", "binutils"),
            Map.entry("gdb", "gdb"), Map.entry("gdb-multiarch", "gdb-multiarch"), Map.entry("crash", "crash"),
            Map.entry("drgn", "python3-drgn"), Map.entry("vmcore-dmesg", "kexec-tools"),
            Map.entry("makedumpfile", "makedumpfile"), Map.entry("gcc", "gcc"), Map.entry("setpriv", "util-linux"),
            Map.entry("unshare", "util-linux"), Map.entry("kdump-config", "kdump-tools"));

    private Requirements() {
    }

    private static Set<String> list(String env) {
        String v = System.getenv().getOrDefault(env, "");
        return Arrays.stream(v.split(",")).map(String::trim).filter(s -> !s.isEmpty())
                .map(s -> s.toLowerCase(java.util.Locale.ROOT)).collect(Collectors.toUnmodifiableSet());
    }

    /** Whether {@code thing} is there, unless a test of these rules pretends it is not. */
    static boolean present(String thing, boolean reallyPresent) {
        return reallyPresent && !PRETEND_MISSING.contains(thing.toLowerCase(java.util.Locale.ROOT));
    }

    /** Fails the calling test: {@code what} is missing; {@code how} says how to get it. */
    static void missing(String what, String how) {
        fail("MISSING: " + what + ". " + how
                + (CI ? " (CI=true: nothing may be skipped)" : ""));
    }

    /**
     * Fails the calling test, naming what is missing and how to get it, or skips it where this machine has
     * declared with VMCOREFS_MAY_SKIP that it cannot have {@code kind} (and this is not CI).
     */
    static void missing(Skippable kind, String what, String how) {
        String name = kind.name().toLowerCase(java.util.Locale.ROOT);
        if (!CI && MAY_SKIP.contains(name)) {
            assumeTrue(false, what + " (skipped: VMCOREFS_MAY_SKIP=" + String.join(",", MAY_SKIP) + ")");
        }
        missing(what, how + "; a machine that cannot have it may say so with VMCOREFS_MAY_SKIP=" + name
                + " (not under CI=true)");
    }

    /** FUSE: the device, fusermount and the built jar that bin/vmcorefs runs. */
    static void fuse(Path jar) {
        if (!present("/dev/fuse", Files.exists(Path.of("/dev/fuse")))) {
            missing(Skippable.FUSE, "/dev/fuse (the FUSE device)", "Load the module (modprobe fuse) or start the "
                    + "container with --device /dev/fuse");
        }
        if (!present("fusermount", has("fusermount") || has("fusermount3"))) {
            missing("fusermount (package fuse3)", "Run `make deps` as root (scripts/install-deps.sh), or "
                    + "apt-get install fuse3");
        }
        if (!present("jar", Files.isRegularFile(jar))) {
            missing(jar + " (the built daemon that bin/vmcorefs runs)", "Build it: `make build`, or run the tests "
                    + "with `make test` / `mvn verify` from the project root, which package it first");
        }
    }

    /** The client {@code tool} on the PATH. */
    static void tool(String tool) {
        if (!present(tool, has(tool))) {
            String pkg = PACKAGES.getOrDefault(tool, tool);
            missing(tool + " (package " + pkg + ")", "Run `make deps` as root (scripts/install-deps.sh installs "
                    + "every client the tests use), or apt-get install " + pkg);
        }
    }

    /** The Python module {@code module} for /usr/bin/python3, from Debian package {@code pkg}. */
    static void pythonModule(String module, String pkg) {
        boolean ok = Files.isExecutable(Path.of("/usr/bin/python3"))
                && Exec.run(30, "/usr/bin/python3", "-c", "import " + module).exit() == 0;
        if (!present(module, ok)) {
            missing("Python module " + module + " (package " + pkg + ")", "Run `make deps` as root, or apt-get "
                    + "install " + pkg);
        }
    }

    /** Every client tool the tests run, with its Debian package, that is not on the PATH. */
    static java.util.List<String> missingTools() {
        return PACKAGES.keySet().stream().sorted().filter(t -> !t.startsWith("fusermount"))
                .filter(t -> !present(t, has(t))).map(t -> t + " (package " + PACKAGES.get(t) + ")").toList();
    }

    /** Whether {@code tool} is on the PATH (looked up once). */
    static boolean has(String tool) {
        return TOOLS.computeIfAbsent(tool, t -> Exec.run(10, "sh", "-c", "command -v " + t).exit() == 0);
    }
}
