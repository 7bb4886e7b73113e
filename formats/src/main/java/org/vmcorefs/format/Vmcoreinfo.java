package org.vmcorefs.format;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import org.vmcorefs.machine.Architecture;
import org.vmcorefs.machine.KernelInfo;

/** The VMCOREINFO note's text: "KEY=value" lines that tell dump tools about the crashed kernel. */
public final class Vmcoreinfo {
    /** x86_64's __START_KERNEL_map. */
    static final long X86_START_KERNEL_MAP = 0xffffffff80000000L;

    private Vmcoreinfo() {
    }

    /** The key/value pairs of {@code text}, in order; lines without '=' are skipped. */
    public static Map<String, String> parse(String text) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String line : text.split("\n")) {
            int eq = line.indexOf('=');
            if (eq > 0) {
                out.put(line.substring(0, eq), line.substring(eq + 1));
            }
        }
        return out;
    }

    /**
     * A VMCOREINFO for a synthetic kernel, with the entries makedumpfile and drgn look for first; CRASHTIME
     * comes last, as the kernel appends it at the crash.
     */
    public static String synthesize(Architecture arch, KernelInfo kernel, Instant crashTime) {
        StringBuilder b = new StringBuilder();
        b.append("OSRELEASE=").append(kernel.osRelease()).append('\n');
        b.append("BUILD-ID=").append("0".repeat(40)).append('\n');
        b.append("PAGESIZE=").append(arch == Architecture.S390X || arch == Architecture.X86_64 ? 4096 : arch.pageSize())
                .append('\n');
        if (arch == Architecture.X86_64) {
            long text = kernel.textVirtual();
            b.append(symbol("init_uts_ns", text + 0x1a15380L));
            b.append(symbol("_stext", text));
            b.append(symbol("swapper_pg_dir", text + 0x180a000L));
            b.append(symbol("node_online_map", text + 0x1b4f4a0L));
            b.append("NUMBER(phys_base)=").append(kernel.textPhysical() - (text - X86_START_KERNEL_MAP)).append('\n');
            b.append("NUMBER(pgtable_l5_enabled)=0\n");
            b.append("KERNELOFFSET=").append(Long.toHexString(kernel.kaslrOffset())).append('\n');
        } else {
            long base = arch.directMapBase();
            b.append(symbol("init_uts_ns", base + 0x1a15380L));
            b.append(symbol("swapper_pg_dir", base + 0x180a000L));
            b.append(symbol("_stext", base + 0x100000L));
        }
        b.append("CRASHTIME=").append(crashTime.getEpochSecond()).append('\n');
        return b.toString();
    }

    private static String symbol(String name, long value) {
        return "SYMBOL(" + name + ")=" + Long.toHexString(value) + "\n";
    }
}
