package org.vmcorefs.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Each architecture's own makedumpfile and crash (Debian's arm64, ppc64el and i386 builds, from
 * shared/tools' setup-native-tools.sh / setup-i386-tools.sh; qemu-user for the first two) read the genuine
 * in-guest kdump vmcore of that architecture replayed through the mount, and give what they give on the
 * original file: {@code makedumpfile --dump-dmesg} the same log, byte for byte, with the fixture's marker;
 * crash's {@code sys}, {@code bt -a} and {@code log} the same output (but the DUMPFILE line). crash 8.0.2
 * cannot start on i386 6.1 kernels ("cannot resolve sys_open"), so i386 runs it with {@code --minimal}, where
 * only {@code log} of the three is available.
 */
class NativeToolsReplayTest {
    static final Path ARCH_DIR = Fixtures.ARCH_ROOT;

    static Path fixture(String arch, String name) {
        return Fixtures.arch(ARCH_DIR.resolve(arch).resolve(name));
    }

    @ParameterizedTest
    @ValueSource(strings = {"arm64", "ppc64le", "i386"})
    void makedumpfileDumpsTheSameLogThroughTheMount(String arch, @TempDir Path tmp) throws Exception {
        Path makedumpfile = fixture(arch, "bin/makedumpfile");
        Path original = fixture(arch, "kdump-vmcore.elf");
        Path want = tmp.resolve("original.txt");
        Path got = tmp.resolve("mounted.txt");
        Exec.run(300, null, List.of(makedumpfile.toString(), "--dump-dmesg", original.toString(), want.toString()))
                .ok();
        try (Mounted m = Mounted.mount("--image", original.toString())) {
            Exec.run(300, null, List.of(makedumpfile.toString(), "--dump-dmesg", m.path("proc/vmcore").toString(),
                    got.toString())).ok();
        }
        String log = Files.readString(want, StandardCharsets.ISO_8859_1);
        assertTrue(log.contains("FIXTURE-MARKER-42"), arch + ": the original's log has the marker:\n" + log);
        assertEquals(log, Files.readString(got, StandardCharsets.ISO_8859_1), arch + ": makedumpfile --dump-dmesg");
    }

    /** crash's answers to {@code commands} on a dump, without the DUMPFILE line (the only one naming the file). */
    static String crash(String arch, Path dump, String commands, boolean minimal) {
        List<String> cmd = new ArrayList<>(List.of(fixture(arch, "bin/crash").toString(), "-s"));
        if (minimal) {
            cmd.add("--minimal");
        }
        cmd.addAll(List.of(fixture(arch, "vmlinux").toString(), dump.toString()));
        String out = Exec.run(1200, commands, cmd).ok().stdout();
        return out.lines().filter(l -> !l.trim().startsWith("DUMPFILE:")).reduce("", (a, b) -> a + b + "\n");
    }

    @ParameterizedTest
    @ValueSource(strings = {"arm64", "ppc64le", "i386"})
    void crashAnswersAsOnTheOriginal(String arch) throws Exception {
        Path original = fixture(arch, "kdump-vmcore.elf");
        boolean minimal = arch.equals("i386");
        String commands = minimal ? "log\nquit\n" : "sys\nbt -a\nlog\nquit\n";
        // crash under qemu-user takes a minute or more per run: the original's runs beside the mount's.
        CompletableFuture<String> want = CompletableFuture.supplyAsync(() -> crash(arch, original, commands, minimal));
        String got;
        try (Mounted m = Mounted.mount("--image", original.toString())) {
            got = crash(arch, m.path("proc/vmcore"), commands, minimal);
        }
        String expected = want.get();
        assertTrue(expected.contains("FIXTURE-MARKER-42"), arch + ": crash's log on the original:\n" + expected);
        if (!minimal) {
            assertTrue(expected.contains("PANIC: \"Kernel panic - not syncing: sysrq triggered crash\""), expected);
        }
        assertEquals(expected, got, arch + ": crash through the mount");
    }
}
