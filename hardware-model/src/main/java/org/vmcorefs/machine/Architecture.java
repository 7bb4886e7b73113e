package org.vmcorefs.machine;

import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;

/**
 * A CPU architecture as the dump formats see it, one row of data each: ELF class, machine and byte order,
 * page size, the kernel's mappings, the register set and its NT_PRSTATUS layout, and what a synthesized
 * VMCOREINFO says. Code that differs per architecture reads these fields instead of testing which one it is.
 */
public enum Architecture {
    /** x86_64: little-endian, direct map at 0xffff888000000000 (Linux 4.20+), kernel text at 0xffffffff81000000. */
    X86_64("x86_64", 64, 62, ByteOrder.LITTLE_ENDIAN, 4096, 0, 0xffff888000000000L,
            new KernelMap(0xffffffff80000000L, 1L << 30, 0xffffffff81000000L, 0x1000000),
            x86Registers(), 336, null,
            List.of(new Symbol("init_uts_ns", 0x1a15380L), new Symbol("_stext", 0),
                    new Symbol("swapper_pg_dir", 0x180a000L), new Symbol("node_online_map", 0x1b4f4a0L)),
            List.of("NUMBER(phys_base)={phys_base}", "NUMBER(pgtable_l5_enabled)=0", "KERNELOFFSET={kernel_offset}")),
    /** s390x: big-endian, identity-mapped, registers saved in each CPU's lowcore; its vmcore's PT_LOADs say p_align 4096. */
    S390X("s390x", 64, 22, ByteOrder.BIG_ENDIAN, 4096, 4096, 0, null, s390Registers(), 336, s390PrReg(),
            directMapSymbols(), List.of()),
    /** 64-bit POWER, big-endian, 64 KiB pages, kernel linear map at 0xc000000000000000. */
    PPC64("ppc64", 64, 21, ByteOrder.BIG_ENDIAN, 65536, 0, 0xc000000000000000L, null, ppcRegisters(), 504, null,
            powerSymbols(), List.of("KERNELOFFSET={kernel_offset}")),
    /** 64-bit POWER, little-endian. */
    PPC64LE("ppc64le", 64, 21, ByteOrder.LITTLE_ENDIAN, 65536, 0, 0xc000000000000000L, null, ppcRegisters(), 504,
            null, powerSymbols(), List.of("KERNELOFFSET={kernel_offset}")),
    /**
     * arm64 (4 KiB pages, 48-bit VAs, as Debian builds it): the linear map at PAGE_OFFSET 0xffff000000000000
     * holds RAM from PHYS_OFFSET (memstart_addr; 0x40000000 on QEMU virt, so that is the default), the
     * kernel image is mapped at KIMAGE_VADDR 0xffff800008000000 plus the KASLR offset (kimage_voffset =
     * its virtual minus physical address); pr_reg is struct user_pt_regs: x0..x30, sp, pc, pstate.
     */
    ARM64("aarch64", "arm64", 64, 183, ByteOrder.LITTLE_ENDIAN, 4096, 0, 0xffff000000000000L - 0x40000000L,
            0xffff000000000000L, new KernelMap(0xffff800000000000L, 0x7c0000000000L, 0xffff800008000000L,
                    0x40200000L), arm64Registers(), 392, null,
            List.of(new Symbol("init_uts_ns", 0x1f1c030L), new Symbol("node_online_map", 0x1cbf568L),
                    new Symbol("swapper_pg_dir", 0x1658000L), new Symbol("_stext", 0x10000L)),
            List.of("NUMBER(VA_BITS)=48", "NUMBER(MODULES_VADDR)=0xffff800000000000",
                    "NUMBER(MODULES_END)=0xffff800008000000", "NUMBER(VMALLOC_START)=0xffff800008000000",
                    "NUMBER(VMALLOC_END)=0xfffffbfff0000000", "NUMBER(VMEMMAP_START)=0xfffffc0000000000",
                    "NUMBER(VMEMMAP_END)=0xfffffe0000000000", "NUMBER(kimage_voffset)=0x{kimage_voffset}",
                    "NUMBER(PHYS_OFFSET)=0x{phys_offset}", "NUMBER(TCR_EL1_T1SZ)=0x10",
                    "KERNELOFFSET={kernel_offset}", "NUMBER(KERNELPACMASK)=0x0")),
    /**
     * i386 (Debian's 686-pae: PAE, so RAM up to 64 GiB): the 3G/1G split, the linear map at PAGE_OFFSET
     * 0xc0000000 holding the low 896 MiB (lowmem; above it, highmem, is not mapped), the kernel running from
     * it (no separate text mapping). pr_reg is struct user_regs_struct: 17 registers of 4 bytes (ebx ecx edx
     * esi edi ebp eax ds es fs gs orig_eax eip cs eflags esp ss), elf_prstatus 144 bytes.
     */
    I386("i686", "i386", 32, 3, ByteOrder.LITTLE_ENDIAN, 4096, 0, 0xc0000000L, 0xc0000000L, null, i386Registers(),
            144, i386Registers().stream().map(n -> new PrReg(n, 4)).toList(),
            List.of(new Symbol("init_uts_ns", 0x1d6ca00L), new Symbol("node_online_map", 0x1d93d34L),
                    new Symbol("swapper_pg_dir", 0x1ea6000L), new Symbol("_stext", 0x1000000L)),
            List.of("CONFIG_X86_PAE=y"));

    /**
     * The kernel's own image mapping, apart from the linear map (x86_64: {@code __START_KERNEL_map}).
     *
     * @param start the mapping's lowest virtual address
     * @param size its largest size (KERNEL_IMAGE_SIZE)
     * @param text the default virtual address of {@code _text} (without KASLR)
     * @param loadPhysical where an unrelocated kernel's p_paddr start (LOAD_PHYSICAL_ADDR)
     */
    public record KernelMap(long start, long size, long text, long loadPhysical) {
        /** Whether {@code vaddr} is in [start, start + size). */
        public boolean contains(long vaddr) {
            return Long.compareUnsigned(vaddr, start) >= 0 && Long.compareUnsigned(vaddr, start + size) < 0;
        }
    }

    /** One register in NT_PRSTATUS's pr_reg: its name in {@link #registerNames()} and its width (4 or 8 bytes). */
    public record PrReg(String name, int size) {
    }

    /** A symbol a synthesized VMCOREINFO names, at {@code offset} from the kernel's text (or linear map). */
    public record Symbol(String name, long offset) {
    }

    private final String linuxName;
    private final int elfClass;
    private final int elfMachine;
    private final ByteOrder byteOrder;
    private final int pageSize;
    private final long loadAlign;
    private final long directMapBase;
    private final long linearMapStart;
    private final String shortName;
    private final KernelMap kernelMap;
    private final List<String> registerNames;
    private final int prstatusSize;
    private final List<PrReg> prReg;
    private final List<Symbol> vmcoreinfoSymbols;
    private final List<String> vmcoreinfoLines;

    /** An architecture whose linear map starts with physical address 0 (its PAGE_OFFSET is the direct map's base). */
    Architecture(String linuxName, int elfClass, int elfMachine, ByteOrder byteOrder, int pageSize, long loadAlign,
            long directMapBase, KernelMap kernelMap, List<String> registerNames, int prstatusSize, List<PrReg> prReg,
            List<Symbol> vmcoreinfoSymbols, List<String> vmcoreinfoLines) {
        this(linuxName, linuxName, elfClass, elfMachine, byteOrder, pageSize, loadAlign, directMapBase, directMapBase,
                kernelMap,
                registerNames, prstatusSize, prReg, vmcoreinfoSymbols, vmcoreinfoLines);
    }

    /**
     * @param shortName the name profiles use ({@code arm64-kdump}): the kernel's and Debian's name where it
     *     differs from {@code uname -m}'s
     * @param linearMapStart PAGE_OFFSET: the linear map's lowest address, where its first RAM (PHYS_OFFSET) is
     * @param prReg pr_reg's layout, or null when it is every register of {@code registerNames} as a u64
     * @param vmcoreinfoLines fixed lines of a synthesized VMCOREINFO; {@code {name}} stands for a value of the
     *     kernel's (see the formats' Vmcoreinfo)
     */
    Architecture(String linuxName, String shortName, int elfClass, int elfMachine, ByteOrder byteOrder, int pageSize,
            long loadAlign, long directMapBase, long linearMapStart, KernelMap kernelMap, List<String> registerNames, int prstatusSize,
            List<PrReg> prReg, List<Symbol> vmcoreinfoSymbols, List<String> vmcoreinfoLines) {
        this.linearMapStart = linearMapStart;
        this.shortName = shortName;
        this.linuxName = linuxName;
        this.elfClass = elfClass;
        this.elfMachine = elfMachine;
        this.byteOrder = byteOrder;
        this.pageSize = pageSize;
        this.loadAlign = loadAlign;
        this.directMapBase = directMapBase;
        this.kernelMap = kernelMap;
        this.registerNames = List.copyOf(registerNames);
        this.prstatusSize = prstatusSize;
        this.prReg = prReg != null ? List.copyOf(prReg)
                : registerNames.stream().map(n -> new PrReg(n, 8)).toList();
        this.vmcoreinfoSymbols = List.copyOf(vmcoreinfoSymbols);
        this.vmcoreinfoLines = List.copyOf(vmcoreinfoLines);
    }

    /** The name {@code uname -m} gives. */
    public String linuxName() {
        return linuxName;
    }

    /** The name profile ids start with: {@code uname -m}'s, or the kernel's where shorter (arm64). */
    public String shortName() {
        return shortName;
    }

    /** 64 or 32: the ELF class of its cores (ELFCLASS64, ELFCLASS32). */
    public int elfClass() {
        return elfClass;
    }

    public int elfMachine() {
        return elfMachine;
    }

    public ByteOrder byteOrder() {
        return byteOrder;
    }

    public int pageSize() {
        return pageSize;
    }

    /** The p_align of the PT_LOADs of the kernel's /proc/vmcore (0 where the kernel leaves it so). */
    public long loadAlign() {
        return loadAlign;
    }

    /** Virtual address of physical address 0 in the kernel's linear map. */
    public long directMapBase() {
        return directMapBase;
    }

    /**
     * PAGE_OFFSET: the linear map's lowest virtual address. A kernel whose RAM starts at PHYS_OFFSET has it
     * there, so that PHYS_OFFSET = PAGE_OFFSET - (direct map base).
     */
    public long linearMapStart() {
        return linearMapStart;
    }

    /** The kernel's separate image mapping, or null where the kernel runs from its linear map. */
    public KernelMap kernelMap() {
        return kernelMap;
    }

    /** Default virtual address of the kernel's {@code _text}, or -1 where no separate text mapping exists. */
    public long kernelTextBase() {
        return kernelMap == null ? -1 : kernelMap.text();
    }

    public boolean hasKernelTextMapping() {
        return kernelMap != null;
    }

    /** The names of {@link CpuState#registers()} in order. */
    public List<String> registerNames() {
        return registerNames;
    }

    public int registerIndex(String name) {
        int i = registerNames.indexOf(name);
        if (i < 0) {
            throw new IllegalArgumentException(this + " has no register " + name);
        }
        return i;
    }

    /** The size of NT_PRSTATUS's descriptor, {@code struct elf_prstatus}, as the kernel and gdb use it. */
    public int prstatusSize() {
        return prstatusSize;
    }

    /** The registers of NT_PRSTATUS's pr_reg, in order. */
    public List<PrReg> prReg() {
        return prReg;
    }

    /** The symbols a synthesized VMCOREINFO names, in order. */
    public List<Symbol> vmcoreinfoSymbols() {
        return vmcoreinfoSymbols;
    }

    /** Fixed lines a synthesized VMCOREINFO has (after the symbols). */
    public List<String> vmcoreinfoLines() {
        return vmcoreinfoLines;
    }

    private static List<String> x86Registers() {
        return List.of("r15", "r14", "r13", "r12", "rbp", "rbx", "r11", "r10", "r9", "r8", "rax", "rcx", "rdx",
                "rsi", "rdi", "orig_rax", "rip", "cs", "eflags", "rsp", "ss", "fs_base", "gs_base", "ds", "es", "fs",
                "gs");
    }

    /** i386's struct user_regs_struct, the order of elf_gregset_t. */
    private static List<String> i386Registers() {
        return List.of("ebx", "ecx", "edx", "esi", "edi", "ebp", "eax", "ds", "es", "fs", "gs", "orig_eax", "eip",
                "cs", "eflags", "esp", "ss");
    }

    /** struct user_pt_regs: regs[31], sp, pc, pstate. */
    private static List<String> arm64Registers() {
        List<String> names = new ArrayList<>();
        addNumbered(names, "x", 31);
        names.addAll(List.of("sp", "pc", "pstate"));
        return Collections.unmodifiableList(names);
    }

    private static List<String> s390Registers() {
        List<String> names = new ArrayList<>(List.of("psw_mask", "psw_addr"));
        addNumbered(names, "r", 16);
        addNumbered(names, "a", 16);
        names.add("orig_gpr2");
        addNumbered(names, "c", 16);
        addNumbered(names, "f", 16);
        names.addAll(List.of("fpc", "timer", "todcmp", "todpreg", "prefix"));
        return Collections.unmodifiableList(names);
    }

    /** s390_regs: psw mask and address, 16 gprs (u64), 16 access registers (u32), orig_gpr2. */
    private static List<PrReg> s390PrReg() {
        List<PrReg> regs = new ArrayList<>(List.of(new PrReg("psw_mask", 8), new PrReg("psw_addr", 8)));
        for (int i = 0; i < 16; i++) {
            regs.add(new PrReg("r" + i, 8));
        }
        for (int i = 0; i < 16; i++) {
            regs.add(new PrReg("a" + i, 4));
        }
        regs.add(new PrReg("orig_gpr2", 8));
        return regs;
    }

    private static List<String> ppcRegisters() {
        List<String> names = new ArrayList<>();
        addNumbered(names, "r", 32);
        names.addAll(List.of("nip", "msr", "orig_r3", "ctr", "link", "xer", "ccr", "softe", "trap", "dar",
                "dsisr", "result", "padding"));
        while (names.size() < 48) {
            names.add("pad" + names.size());
        }
        return Collections.unmodifiableList(names);
    }

    /** What a kernel without a separate text mapping names, from its linear map's base. */
    private static List<Symbol> directMapSymbols() {
        return List.of(new Symbol("init_uts_ns", 0x1a15380L), new Symbol("swapper_pg_dir", 0x180a000L),
                new Symbol("_stext", 0x100000L));
    }

    /**
     * What Debian's 6.1 ppc64el kernel names (its real kdump vmcore's VMCOREINFO): the kernel runs from the start
     * of the linear map, _stext = KERNELBASE.
     */
    private static List<Symbol> powerSymbols() {
        return List.of(new Symbol("init_uts_ns", 0x26ab3c0L), new Symbol("node_online_map", 0x26e84f0L),
                new Symbol("swapper_pg_dir", 0x2740000L), new Symbol("_stext", 0));
    }

    private static void addNumbered(List<String> names, String prefix, int count) {
        for (int i = 0; i < count; i++) {
            names.add(prefix + i);
        }
    }

    public static Architecture fromName(String name) {
        for (Architecture a : values()) {
            if (a.linuxName.equals(name)) {
                return a;
            }
        }
        throw new IllegalArgumentException("unknown architecture " + name);
    }

    /**
     * The architectures whose cores are of ELF class {@code elfClass} (64, 32) with e_machine {@code machine}. A
     * 32-bit architecture's cores may be ELF64 too (kexec-tools' --elf64-core-headers, QEMU's dump of an i386
     * guest), so it is found for both classes.
     */
    public static List<Architecture> ofElfMachine(int elfClass, int machine) {
        List<Architecture> found = new ArrayList<>();
        for (Architecture a : values()) {
            if ((a.elfClass == elfClass || a.elfClass == 32) && a.elfMachine == machine) {
                found.add(a);
            }
        }
        return found;
    }

    /** The architecture of a core of ELF class {@code elfClass}, e_machine {@code machine} and byte order {@code order}. */
    public static Optional<Architecture> ofElf(int elfClass, int machine, ByteOrder order) {
        return ofElfMachine(elfClass, machine).stream().filter(a -> a.byteOrder == order).findFirst();
    }
}
