package org.vmcorefs.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Each CPU's current task as drgn reads a dump, and the check that a dump's pr_pids are those tasks. */
final class CurrentTasks {
    private CurrentTasks() {
    }

    /**
     * Per possible CPU, as drgn reads {@code core} with {@code vmlinux}: {pid of runqueues.curr, pid of
     * {@code task}}, where {@code task} is a drgn expression of {@code prog} and {@code cpu} naming the
     * architecture's own current-task pointer (for example {@code per_cpu(prog['__entry_task'], cpu)}).
     */
    static List<int[]> drgn(Path core, Path vmlinux, String task) {
        Requirements.pythonModule("drgn", "python3-drgn");
        String program = String.join("\n",
                "import sys, drgn",
                "from drgn import Object",
                "from drgn.helpers.linux.percpu import per_cpu",
                "from drgn.helpers.linux.cpumask import for_each_possible_cpu",
                "prog = drgn.Program()",
                "prog.set_core_dump(sys.argv[1])",
                "prog.load_debug_info([sys.argv[2]])",
                "for cpu in for_each_possible_cpu(prog):",
                "    print('cpu', cpu, per_cpu(prog['runqueues'], cpu).curr.pid.value_(),",
                "          (" + task + ").pid.value_())", "");
        String out = Exec.run(300, program, List.of("/usr/bin/python3", "-", core.toString(), vmlinux.toString()))
                .ok().stdout();
        List<int[]> cpus = new ArrayList<>();
        for (String line : out.split("\n")) {
            String[] f = line.trim().split(" ");
            if (f.length == 4 && f[0].equals("cpu")) {
                assertEquals(cpus.size(), Integer.parseInt(f[1]), out);
                cpus.add(new int[] {Integer.parseInt(f[2]), Integer.parseInt(f[3])});
            }
        }
        assertTrue(!cpus.isEmpty(), "drgn printed no CPUs: " + out);
        return cpus;
    }

    /** {@code pids} (one per NT_PRSTATUS) are {@code current}'s tasks, by both of drgn's readings. */
    static void assertPrPids(List<Integer> pids, List<int[]> current, String what) {
        assertEquals(current.size(), pids.size(), what + ": one NT_PRSTATUS per possible CPU");
        for (int cpu = 0; cpu < pids.size(); cpu++) {
            assertEquals(current.get(cpu)[1], pids.get(cpu), what + ": pr_pid of CPU " + cpu + " = its current task");
            assertEquals(current.get(cpu)[0], pids.get(cpu), what + ": pr_pid of CPU " + cpu + " = runqueues.curr");
        }
    }
}
