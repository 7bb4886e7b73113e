package org.vmcorefs.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * QEMU dump-guest-memory ELFs of real x86_64 and arm64 kernels replayed with and without {@code --vmlinux}.
 * With it, the mount's kernel text PT_LOAD is [_text, _end) of the vmlinux (as nm reads it) at its KASLR
 * address, the convention the genuine kdump vmcore of the same kernel has, and each NT_PRSTATUS's pr_pid is
 * the pid of the task current on that CPU as drgn reads it through the mount (the same relation drgn shows on
 * the genuine kdump vmcore). Without it, today's derivation stays and the log says what it could not know.
 */
class VmlinuxReplayTest {
    private static final int NT_PRSTATUS = 1;
    /** pr_pid's offset in struct elf_prstatus (64-bit): after elf_siginfo (12), cursig (2+2), sigpend, sighold. */
    private static final int PR_PID = 32;

    /** One architecture's fixtures: the QEMU ELF, the genuine kdump vmcore and the debug vmlinux. */
    private record Arch(String name, Path qemu, Path kdump, Path vmlinux, String currentSymbol) {
        /** The per-CPU current task pointer, as a drgn expression for {@link CurrentTasks#drgn}. */
        String drgnCurrent() {
            return "per_cpu(prog['" + currentSymbol + "'], cpu)";
        }
    }

    private static Arch arch(String name) {
        if (name.equals("x86_64")) {
            return new Arch(name, Fixtures.dump(Fixtures.QEMU_ELF), Fixtures.dump(Fixtures.KDUMP_VMCORE),
                    Fixtures.VMLINUX, "current_task");
        }
        Path dir = Arm64KdumpMountTest.ARCH_DIR;
        return new Arch(name, Fixtures.arch(dir.resolve("guest.elf")),
                Fixtures.arch(dir.resolve("kdump-vmcore.elf")),
                Fixtures.arch(dir.resolve("vmlinux")), "__entry_task");
    }

    /** The symbols {@code names} of {@code vmlinux} as binutils' nm reads them. */
    private static Map<String, Long> nm(Path vmlinux, String... names) {
        Requirements.tool("nm");
        String out = Exec.run(300, "nm", vmlinux.toString()).ok().stdout();
        Map<String, Long> found = new HashMap<>();
        List<String> wanted = List.of(names);
        for (String line : out.split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length == 3 && wanted.contains(f[2]) && "TtDdBbAa".indexOf(f[1].charAt(0)) >= 0) {
                found.putIfAbsent(f[2], Long.parseUnsignedLong(f[0], 16));
            }
        }
        assertEquals(wanted.size(), found.size(), "nm " + vmlinux + " gives " + found);
        return found;
    }

    /** A dump's notes: the pr_pid of each CORE NT_PRSTATUS and VMCOREINFO's KERNELOFFSET. */
    private record Notes(List<Integer> pids, long kernelOffset) {
    }

    private static Notes notes(Path core) throws Exception {
        Elf elf = Elf.read(core);
        List<Integer> pids = new ArrayList<>();
        long offset = -1;
        for (Elf.Phdr p : elf.phdrs) {
            if (p.type() != Elf.PT_NOTE) {
                continue;
            }
            for (Elf.Note n : Elf.notes(core, p)) {
                if (n.name().equals("CORE") && n.type() == NT_PRSTATUS) {
                    pids.add(ByteBuffer.wrap(n.desc()).order(ByteOrder.LITTLE_ENDIAN).getInt(PR_PID));
                } else if (n.name().equals("VMCOREINFO")) {
                    for (String line : new String(n.desc(), StandardCharsets.US_ASCII).split("\n")) {
                        if (line.startsWith("KERNELOFFSET=")) {
                            offset = Long.parseUnsignedLong(line.substring(13).trim(), 16);
                        }
                    }
                }
            }
        }
        assertTrue(offset >= 0, core + " has no VMCOREINFO KERNELOFFSET");
        return new Notes(pids, offset);
    }

    /** The kernel text PT_LOAD: the first PT_LOAD, in the kernel image map (p_vaddr != p_paddr). */
    private static Elf.Phdr text(Path core) throws Exception {
        Elf.Phdr t = Elf.read(core).loads().get(0);
        assertNotEquals(t.vaddr(), t.paddr(), core + ": the first PT_LOAD is not a kernel text segment: " + t);
        return t;
    }

    @ParameterizedTest
    @ValueSource(strings = {"x86_64", "arm64"})
    void withTheVmlinuxTheQemuDumpReplaysAsTheKernelWritesIt(String name) throws Exception {
        Arch a = arch(name);
        Map<String, Long> sym = nm(a.vmlinux(), "_text", "_end");
        long kernelSize = sym.get("_end") - sym.get("_text");

        // The genuine kdump vmcore of the same kernel (another boot): text = [_text, _end), pr_pid = current.
        Elf.Phdr real = text(a.kdump());
        assertEquals(kernelSize, real.memsz(), "the kernel's own text segment is _end - _text");
        assertEquals(sym.get("_text") + notes(a.kdump()).kernelOffset(), real.vaddr(), "at _text + KASLR");
        CurrentTasks.assertPrPids(notes(a.kdump()).pids(), CurrentTasks.drgn(a.kdump(), a.vmlinux(), a.drgnCurrent()),
                "the genuine kdump vmcore");

        Notes qemu = notes(a.qemu());
        try (Mounted m = Mounted.mount("--image", a.qemu().toString(), "--vmlinux", a.vmlinux().toString())) {
            Path vmcore = m.path("proc/vmcore");
            Elf.Phdr t = text(vmcore);
            System.out.printf("%s QEMU dump with --vmlinux: text PT_LOAD vaddr 0x%x memsz 0x%x (_end - _text 0x%x)%n",
                    name, t.vaddr(), t.memsz(), kernelSize);
            assertEquals(kernelSize, t.memsz(), "p_memsz = _end - _text");
            assertEquals(kernelSize, t.filesz(), "p_filesz = _end - _text");
            assertEquals(sym.get("_text") + qemu.kernelOffset(), t.vaddr(), "p_vaddr = _text + KERNELOFFSET");
            List<Integer> pids = notes(vmcore).pids();
            List<int[]> current = CurrentTasks.drgn(vmcore, a.vmlinux(), a.drgnCurrent());
            System.out.printf("%s QEMU dump with --vmlinux: pr_pid %s (QEMU wrote %s)%n", name, pids, qemu.pids());
            CurrentTasks.assertPrPids(pids, current, "the mount");
            assertNotEquals(qemu.pids(), pids, "QEMU's cpu + 1 replaced");
            assertTrue(pids.contains(0), "an idle CPU's pr_pid is 0: " + pids);
            assertTrue(m.log().contains("pr_pid of each CPU's current task"), m.log());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"x86_64", "arm64"})
    void withoutItTodaysDerivationStaysAndTheLogSaysSo(String name) throws Exception {
        Arch a = arch(name);
        Map<String, Long> sym = nm(a.vmlinux(), "_text", "_end");
        long kernelSize = sym.get("_end") - sym.get("_text");
        try (Mounted m = Mounted.mount("--image", a.qemu().toString())) {
            Path vmcore = m.path("proc/vmcore");
            Elf.Phdr t = text(vmcore);
            System.out.printf("%s QEMU dump without --vmlinux: text PT_LOAD memsz 0x%x%n", name, t.memsz());
            if (name.equals("x86_64")) {
                // Up to the first empty PMD of the kernel image mapping: _end rounded up to 2 MiB.
                assertEquals((kernelSize + (2 << 20) - 1) / (2 << 20) * (2 << 20), t.memsz());
            } else {
                assertEquals(64L << 20, t.memsz(), "arm64: 64 MiB assumed (VMCOREINFO has no _end)");
            }
            assertNotEquals(kernelSize, t.memsz());
            assertEquals(notes(a.qemu()).pids(), notes(vmcore).pids(), "QEMU's pr_pid kept");
            String log = m.log();
            assertTrue(log.contains("no --vmlinux: the kernel text segment"), log);
            assertTrue(log.contains("no --vmlinux: pr_pid stays"), log);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"x86_64", "arm64"})
    void aGenuineKdumpVmcoreStaysByteForByteWithIt(String name) throws Exception {
        Arch a = arch(name);
        Requirements.tool("cmp");
        try (Mounted m = Mounted.mount("--image", a.kdump().toString(), "--vmlinux", a.vmlinux().toString())) {
            Exec.run(300, "cmp", a.kdump().toString(), m.path("proc/vmcore").toString()).ok();
        }
    }

    @org.junit.jupiter.api.Test
    void aVmlinuxStrippedOfItsDebugInfoGivesTheSameAndOneWithoutSymbolsIsRefused() throws Exception {
        Arch a = arch("x86_64");
        Requirements.tool("objcopy");
        Path dir = Files.createTempDirectory("vmcorefs-it-vmlinux");
        Path stripped = dir.resolve("vmlinux-strip-debug");
        Path bare = dir.resolve("vmlinux-strip-all");
        Path mnt = dir.resolve("mnt");
        try {
            Exec.run(300, "objcopy", "--strip-debug", a.vmlinux().toString(), stripped.toString()).ok();
            Map<String, Long> sym = nm(a.vmlinux(), "_text", "_end");
            List<Integer> full;
            try (Mounted m = Mounted.mount("--image", a.qemu().toString(), "--vmlinux", a.vmlinux().toString())) {
                full = notes(m.path("proc/vmcore")).pids();
            }
            try (Mounted m = Mounted.mount("--image", a.qemu().toString(), "--vmlinux", stripped.toString())) {
                Path vmcore = m.path("proc/vmcore");
                System.out.printf("x86_64 with a vmlinux stripped of DWARF (%d of %d bytes): text memsz 0x%x, pr_pid %s%n",
                        Files.size(stripped), Files.size(a.vmlinux()), text(vmcore).memsz(), notes(vmcore).pids());
                assertEquals(sym.get("_end") - sym.get("_text"), text(vmcore).memsz());
                assertEquals(full, notes(vmcore).pids(), "the same pids as with the debug vmlinux");
            }
            Exec.run(300, "objcopy", "--strip-all", a.vmlinux().toString(), bare.toString()).ok();
            Files.createDirectories(mnt);
            Exec.Result r = Mounted.mountFails(mnt, "--image", a.qemu().toString(), "--vmlinux", bare.toString());
            assertEquals(3, r.exit(), r.all());
            assertTrue(r.all().contains("no symbol table"), r.all());
        } finally {
            Files.deleteIfExists(stripped);
            Files.deleteIfExists(bare);
            Files.deleteIfExists(mnt);
            Files.deleteIfExists(dir);
        }
    }

    /**
     * QEMU's kdump-compressed dump of each guest with --vmlinux gets what its ELF dump gets (arm64's header names
     * the machine "Unknown"; its 392-byte NT_PRSTATUS says arm64).
     */
    @ParameterizedTest
    @ValueSource(strings = {"x86_64", "arm64"})
    void aKdumpCompressedQemuDumpGetsTheSameAsItsElf(String name) throws Exception {
        Arch a = arch(name);
        Path kdump = name.equals("x86_64") ? Fixtures.dump(Fixtures.QEMU_KDUMP)
                : Fixtures.arch(Arm64KdumpMountTest.ARCH_DIR.resolve(Fixtures.QEMU_KDUMP));
        Map<String, Long> sym = nm(a.vmlinux(), "_text", "_end");
        List<Integer> elfPids;
        try (Mounted m = Mounted.mount("--image", a.qemu().toString(), "--vmlinux", a.vmlinux().toString())) {
            elfPids = notes(m.path("proc/vmcore")).pids();
        }
        try (Mounted m = Mounted.mount("--image", kdump.toString(), "--vmlinux", a.vmlinux().toString())) {
            Path vmcore = m.path("proc/vmcore");
            System.out.printf("%s kdump-compressed QEMU dump with --vmlinux: text memsz 0x%x, pr_pid %s%n", name,
                    text(vmcore).memsz(), notes(vmcore).pids());
            assertEquals(sym.get("_end") - sym.get("_text"), text(vmcore).memsz());
            assertEquals(elfPids, notes(vmcore).pids(), "the same machine dumped at the same moment as " + a.qemu());
        }
    }

    @org.junit.jupiter.api.Test
    void vmlinuxWithoutImageIsAUsageErrorAndAMissingOneCannotBuildTheMachine() throws Exception {
        Path mnt = Files.createTempDirectory("vmcorefs-it");
        try {
            Exec.Result r = Mounted.mountFails(mnt, "--vmlinux", "/nonexistent/vmlinux");
            assertEquals(2, r.exit(), r.all());
            assertTrue(r.all().contains("--vmlinux needs --image"), r.all());
            r = Mounted.mountFails(mnt, "--image", Fixtures.dump(Fixtures.QEMU_ELF).toString(), "--vmlinux",
                    "/nonexistent/vmlinux");
            assertEquals(3, r.exit(), r.all());
            assertTrue(r.all().contains("no such vmlinux"), r.all());
        } finally {
            Files.deleteIfExists(mnt);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"x86_64", "arm64"})
    void theBtfOffsetsAndSymbolsAreWhatDwarfAndNmSay(String name) throws Exception {
        Arch a = arch(name);
        Requirements.pythonModule("drgn", "python3-drgn");
        String program = String.join("\n",
                "import sys, drgn",
                "from drgn import offsetof",
                "arch = drgn.Architecture.X86_64 if sys.argv[2] == 'x86_64' else drgn.Architecture.AARCH64",
                "prog = drgn.Program(drgn.Platform(arch, drgn.PlatformFlags.IS_64_BIT"
                        + " | drgn.PlatformFlags.IS_LITTLE_ENDIAN))",
                "prog.load_debug_info([sys.argv[1]])",
                "print(offsetof(prog.type('struct task_struct'), 'pid'), offsetof(prog.type('struct rq'), 'curr'))",
                "");
        String[] dwarf = Exec.run(300, program, List.of("/usr/bin/python3", "-", a.vmlinux().toString(), name)).ok()
                .stdout().trim().split(" ");
        org.vmcorefs.format.input.KernelSymbols k = org.vmcorefs.format.input.KernelSymbols.read(a.vmlinux());
        assertEquals(Long.parseLong(dwarf[0]), k.offset("task_struct", "pid").orElseThrow(), "task_struct.pid");
        assertEquals(Long.parseLong(dwarf[1]), k.offset("rq", "curr").orElseThrow(), "rq.curr");
        Map<String, Long> sym = nm(a.vmlinux(), "_text", "_stext", "_end", "__per_cpu_offset", a.currentSymbol());
        for (Map.Entry<String, Long> e : sym.entrySet()) {
            assertEquals(e.getValue(), k.symbol(e.getKey()).orElseThrow(), e.getKey());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"x86_64", "arm64"})
    void anotherKernelsVmlinuxFailsTheMount(String name) throws Exception {
        Arch a = arch(name);
        Arch other = arch(name.equals("x86_64") ? "arm64" : "x86_64");
        Path mnt = Files.createTempDirectory("vmcorefs-it");
        try {
            Exec.Result r = Mounted.mountFails(mnt, "--image", a.qemu().toString(), "--vmlinux",
                    other.vmlinux().toString());
            assertEquals(3, r.exit(), r.all());
            assertTrue(r.all().contains("the vmlinux is"), r.all());
        } finally {
            Files.deleteIfExists(mnt);
        }
    }
}
