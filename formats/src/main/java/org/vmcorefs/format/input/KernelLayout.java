package org.vmcorefs.format.input;

import org.vmcorefs.format.FormatException;
import org.vmcorefs.format.struct.Vmcoreinfo;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vmcorefs.machine.Architecture;
import org.vmcorefs.machine.CpuState;
import org.vmcorefs.machine.DumpException;
import org.vmcorefs.machine.MemoryRange;
import org.vmcorefs.machine.memory.PhysicalMemory;

/**
 * What only the dumped kernel's symbols give a dump that lacks the kernel's own headers (QEMU's
 * dump-guest-memory, kdump-compressed dumps): the kernel text segment as the kernel's elfcorehdr has it,
 * [_text, _end) (kernel/crash_core.c crash_prepare_elf64_headers; kexec-tools takes the same bounds from
 * /proc/kcore's text entry on x86_64, from "Kernel code".."Kernel data" in /proc/iomem on arm64), and each
 * NT_PRSTATUS's pr_pid as crash_save_cpu writes it: the pid of the task current on that CPU, 0 for its idle
 * task. The current task is where the architecture keeps it: x86_64 {@code pcpu_hot.current_task} (before
 * 6.2, and on i386, the per-CPU {@code current_task}); arm64 {@code __entry_task}, which __switch_to keeps equal
 * to sp_el0; ppc64 {@code paca_ptrs[cpu]->__current} (r13's paca); else {@code runqueues.curr}. Per-CPU
 * addresses through {@code __per_cpu_offset[cpu]}, pointers of the architecture's width, the pid at
 * task_struct.pid's offset from the vmlinux's BTF (or DWARF, for a kernel without BTF). ppc64 and i386 have no text segment (the kernel runs in the
 * linear map), so only their pr_pids change. s390x is left alone: its zfcpdump kernel numbers pr_pid by CPU
 * from 1. Without a vmlinux, what is derived stays, and the log says
 * what could not be known.
 */
final class KernelLayout {
    private static final Logger LOG = LoggerFactory.getLogger(KernelLayout.class);
    /** PID_MAX_LIMIT on 64-bit: a larger pid is not a task's. */
    static final int PID_MAX_LIMIT = 4 * 1024 * 1024;

    private KernelLayout() {
    }

    /** The kernel's mappings and CPUs after the vmlinux has said what the dump does not. */
    record Result(KernelMappings mappings, List<CpuState> cpus) {
    }

    /**
     * Completes what a dump leaves unknown with {@code symbols} (null without --vmlinux).
     *
     * @param textFromDump whether the dump gave the kernel text segment (a kernel elfcorehdr): then it stays
     * @param pidsFromKernel whether the dump's pr_pids are the kernel's own: then they stay
     */
    static Result complete(Path path, Architecture arch, Map<String, String> info, PhysicalMemory mem,
            List<MemoryRange> ram, KernelMappings mappings, boolean textFromDump, List<CpuState> cpus,
            boolean pidsFromKernel, KernelSymbols symbols) throws DumpException {
        if (symbols != null) {
            check(path, arch, info, symbols);
        }
        if (arch == Architecture.S390X) {
            if (symbols != null) {
                LOG.info("{}: --vmlinux {}: s390x has no kernel text segment, and its zfcpdump kernel numbers "
                        + "NT_PRSTATUS pr_pid by CPU from 1 (arch/s390/kernel/crash_dump.c), not by task", path,
                        symbols.path());
            }
            return new Result(mappings, cpus);
        }
        if (symbols == null) {
            if (arch.hasKernelTextMapping() && !textFromDump && mappings.textSize() != 0) {
                LOG.info("{}: no --vmlinux: the kernel text segment is 0x{} bytes as derived from the dump, where "
                        + "the kernel's ends at _end, which only the vmlinux's symbols give", path,
                        Long.toHexString(mappings.textSize()));
            }
            if (!pidsFromKernel && !cpus.isEmpty()) {
                LOG.info("{}: no --vmlinux: pr_pid stays as the dump has it ({}), where the kernel writes the pid "
                        + "of the task current on each CPU (0 for idle), which needs the vmlinux's symbols", path,
                        cpus.stream().map(c -> String.valueOf(c.pid())).toList());
            }
            return new Result(mappings, cpus);
        }
        long kaslr = Vmcoreinfo.hex(info.get("KERNELOFFSET"), 0);
        KernelMappings m = mappings;
        if (arch.hasKernelTextMapping() && !textFromDump) {
            m = text(path, mappings, kaslr, symbols);
        }
        List<CpuState> out = cpus;
        if (!pidsFromKernel && !cpus.isEmpty()) {
            out = pids(path, arch, info, mem, ram, m, kaslr, cpus, symbols);
        }
        return new Result(m, out);
    }

    /** Refuses a vmlinux that is not the dumped kernel: another architecture, build-id or _stext. */
    static void check(Path path, Architecture arch, Map<String, String> info, KernelSymbols symbols)
            throws FormatException {
        if (symbols.architecture() != arch) {
            throw new FormatException(symbols.path() + ": the vmlinux is " + symbols.architecture().linuxName()
                    + " but " + path + " is " + arch.linuxName());
        }
        String dumpId = info.getOrDefault("BUILD-ID", "").trim();
        if (!dumpId.isEmpty() && symbols.buildId() != null && !dumpId.equalsIgnoreCase(symbols.buildId())) {
            throw new FormatException(symbols.path() + ": build-id " + symbols.buildId() + " is not the dumped "
                    + "kernel's (VMCOREINFO BUILD-ID=" + dumpId + "): not the vmlinux of this dump");
        }
        long kaslr = Vmcoreinfo.hex(info.get("KERNELOFFSET"), 0);
        OptionalLong stext = symbols.symbol("_stext");
        if (info.containsKey("SYMBOL(_stext)") && stext.isPresent()
                && Vmcoreinfo.hex(info.get("SYMBOL(_stext)"), 0) != stext.getAsLong() + kaslr) {
            throw new FormatException(String.format("%s: _stext 0x%x + KERNELOFFSET 0x%x is not the dump's "
                    + "SYMBOL(_stext)=%s: not the vmlinux of this dump", symbols.path(), stext.getAsLong(), kaslr,
                    info.get("SYMBOL(_stext)").trim()));
        }
    }

    /** The text segment [_text, _end) at its KASLR address; its physical address follows the derived one. */
    private static KernelMappings text(Path path, KernelMappings derived, long kaslr, KernelSymbols symbols)
            throws FormatException {
        OptionalLong text = symbols.symbol("_text");
        OptionalLong end = symbols.symbol("_end");
        if (text.isEmpty() || end.isEmpty() || Long.compareUnsigned(end.getAsLong(), text.getAsLong()) <= 0) {
            throw new FormatException(symbols.path() + ": the symbol table has no _text and _end");
        }
        if (derived.textSize() == 0) {
            LOG.warn("{}: the dump gives no physical address of the kernel text (no usable VMCOREINFO): the "
                    + "vmlinux's _text and _end cannot place it", path);
            return derived;
        }
        long virt = text.getAsLong() + kaslr;
        long phys = derived.textPhysical() + (virt - derived.textVirtual());
        long size = end.getAsLong() - text.getAsLong();
        LOG.info("{}: kernel text [_text, _end) from {}: 0x{} -> 0x{}, 0x{} bytes (derived from the dump: 0x{})",
                path, symbols.path(), Long.toHexString(virt), Long.toHexString(phys), Long.toHexString(size),
                Long.toHexString(derived.textSize()));
        return new KernelMappings(virt, phys, size, derived.directMap());
    }

    /** The CPUs with pr_pid = their current task's pid; as given, with a warning, when one cannot be read. */
    private static List<CpuState> pids(Path path, Architecture arch, Map<String, String> info, PhysicalMemory mem,
            List<MemoryRange> ram, KernelMappings m, long kaslr, List<CpuState> cpus, KernelSymbols symbols) {
        Kernel k = new Kernel(arch, info, mem, ram, m, kaslr, symbols);
        List<CpuState> out = new ArrayList<>();
        String how;
        try {
            Current current = current(arch, symbols);
            how = current.name();
            long pidOffset = symbols.offset("task_struct", "pid").orElseThrow(() -> new FormatException(
                    "no offset of task_struct.pid (the vmlinux has " + (symbols.hasBtf() ? "no such member in its"
                            : "no") + " .BTF, and no DWARF that gives it)"));
            for (CpuState c : cpus) {
                long task = current.task(k, c.index());
                if (task == 0) {
                    throw new FormatException("CPU " + c.index() + " has no current task");
                }
                int pid = (int) k.u32(task + pidOffset);
                if (pid < 0 || pid > PID_MAX_LIMIT) {
                    throw new FormatException(String.format("CPU %d: task 0x%x has pid %d: not a task", c.index(),
                            task, pid));
                }
                out.add(new CpuState(arch, c.index(), c.registers(), c.vectorRegisters(), pid));
            }
        } catch (DumpException e) {
            LOG.warn("{}: pr_pid stays as the dump has it: the current tasks cannot be read with {}: {}", path,
                    symbols.path(), e.getMessage());
            return cpus;
        }
        LOG.info("{}: pr_pid of each CPU's current task ({}) from {}: {} (the dump had {})", path, how,
                symbols.path(), out.stream().map(c -> String.valueOf(c.pid())).toList(),
                cpus.stream().map(c -> String.valueOf(c.pid())).toList());
        return out;
    }

    /** How the kernel finds a CPU's current task: the task_struct address for CPU {@code cpu}. */
    private interface Current {
        long task(Kernel k, int cpu) throws DumpException;

        String name();
    }

    /**
     * A per-CPU pointer: the word at per-CPU symbol {@code symbol} plus {@code member}, in CPU {@code cpu}'s
     * area (its __per_cpu_offset[cpu] added).
     */
    private record PerCpu(String name, long symbol, long member) implements Current {
        @Override
        public long task(Kernel k, int cpu) throws DumpException {
            long perCpuOffset = k.symbol("__per_cpu_offset");
            long offset = k.word(perCpuOffset + (long) k.wordSize() * cpu);
            return k.word(k.perCpu(symbol) + offset + member);
        }
    }

    /**
     * ppc64: r13 holds the CPU's paca, whose __current is the current task (arch/powerpc/include/asm/current.h);
     * paca_ptrs[cpu] points to it.
     */
    private record Paca(long member) implements Current {
        @Override
        public long task(Kernel k, int cpu) throws DumpException {
            long array = k.word(k.symbol("paca_ptrs"));
            long paca = k.word(array + (long) k.wordSize() * cpu);
            if (paca == 0) {
                throw new FormatException("CPU " + cpu + " has no paca (paca_ptrs[" + cpu + "] is NULL)");
            }
            return k.word(paca + member);
        }

        @Override
        public String name() {
            return "paca_ptrs[cpu]->__current";
        }
    }

    private static Current current(Architecture arch, KernelSymbols s) throws FormatException {
        if (arch == Architecture.X86_64) {
            OptionalLong hot = s.symbol("pcpu_hot");
            OptionalLong member = s.offset("pcpu_hot", "current_task");
            if (hot.isPresent() && member.isPresent()) {
                return new PerCpu("pcpu_hot.current_task", hot.getAsLong(), member.getAsLong());
            }
        }
        // i386 and x86_64 before 6.2: the per-CPU current_task (arch/x86/include/asm/current.h).
        if ((arch == Architecture.X86_64 || arch == Architecture.I386) && s.symbol("current_task").isPresent()) {
            return new PerCpu("current_task", s.symbol("current_task").getAsLong(), 0);
        }
        if (arch == Architecture.ARM64 && s.symbol("__entry_task").isPresent()) {
            return new PerCpu("__entry_task", s.symbol("__entry_task").getAsLong(), 0);
        }
        if ((arch == Architecture.PPC64 || arch == Architecture.PPC64LE) && s.symbol("paca_ptrs").isPresent()
                && s.offset("paca_struct", "__current").isPresent()) {
            return new Paca(s.offset("paca_struct", "__current").getAsLong());
        }
        OptionalLong rq = s.symbol("runqueues");
        OptionalLong curr = s.offset("rq", "curr");
        if (rq.isPresent() && curr.isPresent()) {
            return new PerCpu("runqueues.curr", rq.getAsLong(), curr.getAsLong());
        }
        throw new FormatException("no per-CPU current task symbol (current_task, pcpu_hot, __entry_task, "
                + "paca_ptrs with paca_struct.__current, runqueues with rq.curr in the BTF)");
    }

    /** The crashed kernel's virtual memory, as far as the replay reads it. */
    private static final class Kernel {
        private final Architecture arch;
        private final PhysicalMemory mem;
        private final List<MemoryRange> ram;
        private final KernelMappings m;
        private final long kaslr;
        private final KernelSymbols symbols;
        private final X86PageTables tables;
        /** Where the linear map starts: the dump's, else the architecture's PAGE_OFFSET (ppc64, i386 lowmem). */
        private final long directMap;

        Kernel(Architecture arch, Map<String, String> info, PhysicalMemory mem, List<MemoryRange> ram,
                KernelMappings m, long kaslr, KernelSymbols symbols) {
            this.arch = arch;
            this.mem = mem;
            this.ram = MemoryRange.normalize(ram);
            this.m = m;
            this.kaslr = kaslr;
            this.symbols = symbols;
            this.directMap = m.directMap() != 0 || arch.hasKernelTextMapping() ? m.directMap() : arch.directMapBase();
            long pgd = Vmcoreinfo.hex(info.get("SYMBOL(swapper_pg_dir)"), 0);
            this.tables = arch == Architecture.X86_64 && pgd != 0 && inText(pgd)
                    && !"1".equals(info.getOrDefault("NUMBER(pgtable_l5_enabled)", "0").trim())
                    ? new X86PageTables(mem, pgd - m.textVirtual() + m.textPhysical()) : null;
        }

        private boolean inText(long v) {
            return m.textSize() != 0 && Long.compareUnsigned(v - m.textVirtual(), m.textSize()) < 0;
        }

        /**
         * The address of per-CPU symbol {@code value} in CPU 0's template plus KASLR, to which a CPU's
         * __per_cpu_offset is added: x86_64 links per-CPU symbols from 0 (__per_cpu_start = 0), which KASLR
         * does not move; other architectures link them in the image.
         */
        long perCpu(long value) {
            OptionalLong start = symbols.symbol("__per_cpu_start");
            OptionalLong end = symbols.symbol("__per_cpu_end");
            boolean zeroBased = start.isPresent() && start.getAsLong() == 0 && end.isPresent()
                    && Long.compareUnsigned(value, end.getAsLong()) < 0;
            return zeroBased ? value : value + kaslr;
        }

        long physical(long v) throws DumpException {
            if (inText(v)) {
                return v - m.textVirtual() + m.textPhysical();
            }
            if (directMap != 0 && Long.compareUnsigned(v, directMap) >= 0 && inRam(v - directMap)) {
                return v - directMap;
            }
            if (tables != null) {
                OptionalLong p = tables.translate(v);
                if (p.isPresent()) {
                    return p.getAsLong();
                }
            }
            throw new FormatException(String.format("0x%x is neither in the kernel text, the linear map nor "
                    + "mapped", v));
        }

        private boolean inRam(long p) {
            return ram.stream().anyMatch(r -> r.contains(p));
        }

        /** The link-time value of symbol {@code name} plus KASLR. */
        long symbol(String name) throws FormatException {
            return symbols.symbol(name).orElseThrow(() -> new FormatException("no " + name
                    + " in the symbol table")) + kaslr;
        }

        /** The size of a pointer and of unsigned long: 4 on i386, 8 elsewhere. */
        int wordSize() {
            return arch.elfClass() == 32 ? 4 : 8;
        }

        /** A pointer or unsigned long at {@code v}. */
        long word(long v) throws DumpException {
            return wordSize() == 4 ? u32(v) : u64(v);
        }

        long u64(long v) throws DumpException {
            ByteBuffer b = ByteBuffer.allocate(8).order(arch.byteOrder());
            mem.read(physical(v), b);
            return b.getLong(0);
        }

        long u32(long v) throws DumpException {
            ByteBuffer b = ByteBuffer.allocate(4).order(arch.byteOrder());
            mem.read(physical(v), b);
            return Integer.toUnsignedLong(b.getInt(0));
        }
    }
}
