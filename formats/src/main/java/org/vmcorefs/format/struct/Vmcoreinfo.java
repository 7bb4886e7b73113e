package org.vmcorefs.format.struct;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import org.vmcorefs.machine.Architecture;
import org.vmcorefs.machine.KernelInfo;

/** The VMCOREINFO note's text: "KEY=value" lines that tell dump tools about the crashed kernel. */
public final class Vmcoreinfo {
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
        b.append("PAGESIZE=").append(arch.pageSize()).append('\n');
        Architecture.KernelMap map = arch.kernelMap();
        // Symbols are in the kernel's image mapping where it has one, else in its linear map.
        long base = map != null ? kernel.textVirtual() : arch.directMapBase();
        for (Architecture.Symbol s : arch.vmcoreinfoSymbols()) {
            b.append(symbol(s.name(), base + s.offset()));
        }
        for (String line : arch.vmcoreinfoLines()) {
            b.append(expand(line, arch, kernel)).append('\n');
        }
        b.append("CRASHTIME=").append(crashTime.getEpochSecond()).append('\n');
        return b.toString();
    }

    /**
     * {@code line} with the kernel's values for the placeholders an {@link Architecture}'s VMCOREINFO lines
     * use: {@code {phys_base}} (x86_64, decimal: where the kernel map's start is in physical memory),
     * {@code {kernel_offset}} (hex), {@code {kimage_voffset}} (arm64, hex: text virtual minus physical) and
     * {@code {phys_offset}} (arm64's memstart_addr, hex: PAGE_OFFSET minus the linear map's base).
     */
    static String expand(String line, Architecture arch, KernelInfo kernel) {
        if (line.indexOf('{') < 0) {
            return line;
        }
        Architecture.KernelMap map = arch.kernelMap();
        String out = line.replace("{kernel_offset}", Long.toHexString(kernel.kaslrOffset()))
                .replace("{kimage_voffset}", Long.toHexString(kernel.textVirtual() - kernel.textPhysical()))
                .replace("{phys_offset}", Long.toHexString(arch.linearMapStart() - kernel.directMapBase(arch)));
        if (map != null) {
            out = out.replace("{phys_base}", Long.toString(kernel.textPhysical() - (kernel.textVirtual() - map.start())));
        }
        return out;
    }

    /** A hex VMCOREINFO value (KERNELOFFSET, SYMBOL(...)), or {@code fallback} when absent or garbled. */
    public static long hex(String value, long fallback) {
        if (value == null) {
            return fallback;
        }
        try {
            return Long.parseUnsignedLong(value.trim(), 16);
        } catch (NumberFormatException e) {
            return fallback;
        }
    }

    private static String symbol(String name, long value) {
        return "SYMBOL(" + name + ")=" + Long.toHexString(value) + "\n";
    }
}
