package org.vmcorefs.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The real ppc64le, i386 and s390x kernels' QEMU dumps replayed with {@code --vmlinux}: pr_pid of each
 * NT_PRSTATUS as the dumped kernel's own capture would write it, checked against what drgn reads from the
 * same memory (the task current on each CPU through runqueues.curr and through the architecture's own pointer:
 * i386 per-CPU current_task, ppc64 paca_ptrs[cpu]->__current, s390x lowcore_ptr[cpu]->current_task), against
 * the genuine kdump vmcore of the same kernel (where the kernel wrote them), and in gdb-multiarch's
 * {@code info threads}. Also drgn's view of the crashing CPU's stack through the mounted real kdump vmcores of
 * arm64 and ppc64le (and, on i386, that drgn 0.0.22 cannot unwind there, on the original as on the mount).
 */
class VmlinuxCurrentTaskTest {
    private static final int NT_PRSTATUS = 1;

    /** One architecture's fixtures and how drgn reads its CPUs' current task pointer. */
    private record Arch(String name, Path dir, String drgnCurrent) {
        Path file(String name) {
            return Fixtures.arch(dir.resolve(name));
        }
    }

    private static Arch arch(String name) {
        return switch (name) {
            case "i386" -> new Arch(name, I386KdumpMountTest.ARCH_DIR, "per_cpu(prog['current_task'], cpu)");
            case "ppc64le" -> new Arch(name, PowerKdumpChecks.ARCH_DIR, "prog['paca_ptrs'][cpu].__current");
            case "s390x" -> new Arch(name, S390RealDumpReplayTest.DIR,
                    "Object(prog, 'struct task_struct *', prog['lowcore_ptr'][cpu].current_task)");
            case "arm64" -> new Arch(name, Arm64KdumpMountTest.ARCH_DIR, "per_cpu(prog['__entry_task'], cpu)");
            default -> throw new IllegalArgumentException(name);
        };
    }

    /**
     * pr_pid of each "CORE" NT_PRSTATUS of {@code core}, read here from the ELF file (ELF32 or ELF64, either byte
     * order): at offset 24 of an ELF32 elf_prstatus, 32 of an ELF64 one.
     */
    static List<Integer> prPids(Path core) throws IOException {
        try (FileChannel ch = FileChannel.open(core, StandardOpenOption.READ)) {
            ByteBuffer eh = read(ch, 0, 64, ByteOrder.LITTLE_ENDIAN);
            boolean elf32 = eh.get(4) == 1;
            ByteOrder order = eh.get(5) == 2 ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN;
            eh.order(order);
            long phoff = elf32 ? Integer.toUnsignedLong(eh.getInt(28)) : eh.getLong(32);
            int phentsize = Short.toUnsignedInt(eh.getShort(elf32 ? 42 : 54));
            int phnum = Short.toUnsignedInt(eh.getShort(elf32 ? 44 : 56));
            List<Integer> pids = new ArrayList<>();
            for (int i = 0; i < phnum; i++) {
                ByteBuffer ph = read(ch, phoff + (long) i * phentsize, phentsize, order);
                if (ph.getInt(0) != 4) {
                    continue;
                }
                long offset = elf32 ? Integer.toUnsignedLong(ph.getInt(4)) : ph.getLong(8);
                long size = elf32 ? Integer.toUnsignedLong(ph.getInt(16)) : ph.getLong(32);
                ByteBuffer n = read(ch, offset, (int) size, order);
                int at = 0;
                while (at + 12 <= n.limit()) {
                    int namesz = n.getInt(at);
                    int descsz = n.getInt(at + 4);
                    int type = n.getInt(at + 8);
                    byte[] name = new byte[Math.max(0, namesz - 1)];
                    n.get(at + 12, name);
                    int desc = at + 12 + ((namesz + 3) & ~3);
                    if (new String(name).equals("CORE") && type == NT_PRSTATUS) {
                        pids.add(n.getInt(desc + (elf32 ? 24 : 32)));
                    }
                    at = desc + ((descsz + 3) & ~3);
                }
            }
            return pids;
        }
    }

    private static ByteBuffer read(FileChannel ch, long offset, int size, ByteOrder order) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(size);
        while (b.hasRemaining() && ch.read(b, offset + b.position()) > 0) {
            // until full or end of file
        }
        return b.flip().order(order);
    }

    /** The LWP (or process) ids of the threads gdb-multiarch lists for {@code core} with the vmlinux. */
    static List<Integer> gdbThreads(Path core, Path vmlinux) {
        Requirements.tool("gdb-multiarch");
        String out = Exec.run(300, null, List.of("gdb-multiarch", "-batch", "-nx", "-ex", "file " + vmlinux, "-ex",
                "core-file " + core, "-ex", "info threads")).ok().stdout();
        List<Integer> ids = new ArrayList<>();
        Matcher m = Pattern.compile("(?m)^[* ] +\\d+ +(?:LWP|process) (\\d+)").matcher(out);
        while (m.find()) {
            ids.add(Integer.parseInt(m.group(1)));
        }
        assertTrue(!ids.isEmpty(), "gdb lists no threads: " + out);
        return ids;
    }

    @ParameterizedTest
    @ValueSource(strings = {"ppc64le", "i386"})
    void withTheVmlinuxPrPidIsTheCurrentTaskAsTheKernelsKdumpWritesIt(String name) throws Exception {
        Arch a = arch(name);
        Path vmlinux = a.file("vmlinux");
        // The genuine kdump vmcore: crash_save_cpu wrote the current task's pid; drgn reads the same tasks.
        Path real = a.file("kdump-vmcore.elf");
        List<Integer> realPids = prPids(real);
        CurrentTasks.assertPrPids(realPids, CurrentTasks.drgn(real, vmlinux, a.drgnCurrent()),
                name + " genuine kdump vmcore");

        List<Integer> qemu;
        try (Mounted m = Mounted.mount("--image", a.file("guest.elf").toString())) {
            qemu = prPids(m.path("proc/vmcore"));
            assertTrue(m.log().contains("no --vmlinux: pr_pid stays"), m.log());
        }
        List<Integer> elfPids;
        try (Mounted m = Mounted.mount("--image", a.file("guest.elf").toString(), "--vmlinux", vmlinux.toString())) {
            Path vmcore = m.path("proc/vmcore");
            elfPids = prPids(vmcore);
            System.out.printf("%s QEMU ELF with --vmlinux: pr_pid %s (without it %s; the genuine kdump vmcore has "
                    + "%s)%n", name, elfPids, qemu, realPids);
            CurrentTasks.assertPrPids(elfPids, CurrentTasks.drgn(vmcore, vmlinux, a.drgnCurrent()),
                    name + " the mount");
            assertNotEquals(qemu, elfPids, "QEMU's pr_pid replaced");
            assertTrue(elfPids.contains(0), "an idle CPU's pr_pid is 0: " + elfPids);
            assertTrue(m.log().contains("pr_pid of each CPU's current task"), m.log());
            List<Integer> threads = gdbThreads(vmcore, vmlinux);
            System.out.printf("%s gdb-multiarch info threads on the mount: %s%n", name, threads);
            assertEquals(elfPids.size(), threads.size(), "gdb shows every CPU: " + threads);
        }
        // The kdump-compressed dump of the same QEMU run: the same pids.
        try (Mounted m = Mounted.mount("--image", a.file("guest.kdump").toString(), "--vmlinux",
                vmlinux.toString())) {
            assertEquals(elfPids, prPids(m.path("proc/vmcore")), "guest.kdump as guest.elf");
        }
        // The genuine vmcore's own pids stay, byte for byte.
        try (Mounted m = Mounted.mount("--image", real.toString(), "--vmlinux", vmlinux.toString())) {
            Exec.run(300, "cmp", real.toString(), m.path("proc/vmcore").toString()).ok();
        }
    }

    /** On POWER, fadump's kernel writes no pid (fadump_regs_to_elf_notes): 0 for every CPU, --vmlinux or not. */
    @Test
    void fadumpKeepsItsKernelsZeroPids() throws Exception {
        Arch a = arch("ppc64le");
        try (Mounted m = Mounted.mount("--profile", "ppc64le-fadump", "--image", a.file("guest.elf").toString(),
                "--vmlinux", a.file("vmlinux").toString())) {
            List<Integer> pids = prPids(m.path("proc/vmcore"));
            System.out.printf("ppc64le-fadump of the QEMU ELF with --vmlinux: pr_pid %s%n", pids);
            assertTrue(!pids.isEmpty() && pids.stream().allMatch(p -> p == 0), "fadump's pr_pid is 0: " + pids);
        }
    }

    /**
     * s390x: the zfcpdump kernel numbers NT_PRSTATUS by CPU from 1 (arch/s390/kernel/crash_dump.c notes_init),
     * whatever task runs there, so the replay keeps 1..n with --vmlinux too; drgn finds the current tasks in the
     * lowcores, and gdb lists every CPU.
     */
    @Test
    void s390xPrPidsAreTheZfcpdumpKernelsCpuNumbers() throws Exception {
        Arch a = arch("s390x");
        Path vmlinux = a.file("vmlinux");
        try (Mounted m = Mounted.mount("--image", a.file("guest.elf").toString(), "--vmlinux", vmlinux.toString())) {
            Path vmcore = m.path("proc/vmcore");
            List<Integer> pids = prPids(vmcore);
            List<int[]> current = CurrentTasks.drgn(vmcore, vmlinux, a.drgnCurrent());
            List<Integer> threads = gdbThreads(vmcore, vmlinux);
            System.out.printf("s390x-zfcpdump with --vmlinux: pr_pid %s, current tasks (drgn) %s, gdb threads %s%n",
                    pids, current.stream().map(c -> c[1]).toList(), threads);
            List<Integer> numbers = new ArrayList<>();
            for (int i = 1; i <= pids.size(); i++) {
                numbers.add(i);
            }
            assertEquals(numbers, pids, "pr_pid = CPU number from 1");
            assertEquals(current.size(), pids.size(), "one NT_PRSTATUS per CPU");
            for (int[] c : current) {
                assertEquals(c[0], c[1], "lowcore current_task = runqueues.curr");
            }
            assertEquals(pids, threads, "gdb shows every CPU");
            assertTrue(m.log().contains("numbers NT_PRSTATUS pr_pid by CPU from 1"), m.log());
        }
    }

    /** drgn on {@code core}: the task on the panicking CPU and its stack (or the error drgn gives for it). */
    private static String drgnPanicStack(Path core, Path vmlinux) {
        Requirements.pythonModule("drgn", "python3-drgn");
        String program = String.join("\n",
                "import sys, drgn",
                "from drgn.helpers.linux.percpu import per_cpu",
                "prog = drgn.Program()",
                "prog.set_core_dump(sys.argv[1])",
                "prog.load_debug_info([sys.argv[2]])",
                "cpu = prog['panic_cpu'].counter.value_()",
                "task = per_cpu(prog['runqueues'], cpu).curr",
                "print('panic_cpu', cpu, 'pid', task.pid.value_(), 'crashed_thread', prog.crashed_thread().tid)",
                "try:",
                "    print(prog.stack_trace(task))",
                "except Exception as e:",
                "    print('error:', e)", "");
        return Exec.run(300, program, List.of("/usr/bin/python3", "-", core.toString(), vmlinux.toString())).ok()
                .stdout();
    }

    /**
     * The crashing CPU's stack through the mounted real kdump vmcore is the original's, with the crash path.
     * (drgn 0.0.22's crashed_thread() is CPU 0's outside x86, which has no crashing_cpu: the stack is the panic
     * CPU's task's.) i386: drgn cannot unwind i386 cores at all, on the original as through the mount.
     */
    @ParameterizedTest
    @ValueSource(strings = {"arm64", "ppc64le", "i386"})
    void theCrashingCpusStackThroughTheMountIsTheOriginals(String name) throws Exception {
        Arch a = arch(name);
        Path real = a.file("kdump-vmcore.elf");
        Path vmlinux = a.file("vmlinux");
        String original = drgnPanicStack(real, vmlinux);
        try (Mounted m = Mounted.mount("--image", real.toString())) {
            String mounted = drgnPanicStack(m.path("proc/vmcore"), vmlinux);
            System.out.printf("%s drgn, panic CPU's stack through the mount:%n%s", name, mounted);
            assertEquals(original, mounted, "drgn through the mount = on the original");
        }
        List<String> want = switch (name) {
            case "arm64" -> List.of("__crash_kexec", "panic", "sysrq_handle_crash", "write_sysrq_trigger");
            case "ppc64le" -> List.of("#0  panic ");
            default -> List.of("stack unwinding is not supported for i386");
        };
        for (String w : want) {
            assertTrue(original.contains(w), name + ": " + w + " in " + original);
        }
    }

    /** The offsets the replay takes from DWARF (these kernels have no .BTF) are drgn's. */
    @ParameterizedTest
    @ValueSource(strings = {"ppc64le", "i386"})
    void theDwarfOffsetsAreDrgns(String name) throws Exception {
        Arch a = arch(name);
        Requirements.pythonModule("drgn", "python3-drgn");
        String member = name.equals("i386") ? "" : ", offsetof(prog.type('struct paca_struct'), '__current')";
        String program = String.join("\n",
                "import sys, drgn",
                "from drgn import offsetof",
                "prog = drgn.Program()",
                "prog.set_core_dump(sys.argv[1])",
                "prog.load_debug_info([sys.argv[2]])",
                "print(offsetof(prog.type('struct task_struct'), 'pid')" + member + ")", "");
        String[] dwarf = Exec.run(300, program, List.of("/usr/bin/python3", "-", a.file("kdump-vmcore.elf")
                .toString(), a.file("vmlinux").toString())).ok().stdout().trim().split(" ");
        org.vmcorefs.format.input.KernelSymbols k = org.vmcorefs.format.input.KernelSymbols.read(a.file("vmlinux"));
        assertTrue(!k.hasBtf(), name + "'s vmlinux has no .BTF: the offsets come from DWARF");
        assertEquals(Long.parseLong(dwarf[0]), k.offset("task_struct", "pid").orElseThrow(), "task_struct.pid");
        if (dwarf.length > 1) {
            assertEquals(Long.parseLong(dwarf[1]), k.offset("paca_struct", "__current").orElseThrow(),
                    "paca_struct.__current");
        }
    }
}
