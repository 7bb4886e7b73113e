package org.vmcorefs.machine;

import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** A CPU architecture as the dump formats see it: byte order, ELF machine, page size, mappings, registers. */
public enum Architecture {
    /** x86_64: little-endian, direct map at 0xffff888000000000 (Linux 4.20+), kernel text at 0xffffffff81000000. */
    X86_64("x86_64", ByteOrder.LITTLE_ENDIAN, 62, 4096, 0xffff888000000000L, 0xffffffff81000000L,
            List.of("r15", "r14", "r13", "r12", "rbp", "rbx", "r11", "r10", "r9", "r8", "rax", "rcx", "rdx",
                    "rsi", "rdi", "orig_rax", "rip", "cs", "eflags", "rsp", "ss", "fs_base", "gs_base", "ds",
                    "es", "fs", "gs")),
    /** s390x: big-endian, identity-mapped, registers saved in each CPU's lowcore. */
    S390X("s390x", ByteOrder.BIG_ENDIAN, 22, 4096, 0, -1, s390Registers()),
    /** 64-bit POWER, big-endian, 64 KiB pages, kernel linear map at 0xc000000000000000. */
    PPC64("ppc64", ByteOrder.BIG_ENDIAN, 21, 65536, 0xc000000000000000L, -1, ppcRegisters()),
    /** 64-bit POWER, little-endian. */
    PPC64LE("ppc64le", ByteOrder.LITTLE_ENDIAN, 21, 65536, 0xc000000000000000L, -1, ppcRegisters());

    private final String linuxName;
    private final ByteOrder byteOrder;
    private final int elfMachine;
    private final int pageSize;
    private final long directMapBase;
    private final long kernelTextBase;
    private final List<String> registerNames;

    Architecture(String linuxName, ByteOrder byteOrder, int elfMachine, int pageSize, long directMapBase,
            long kernelTextBase, List<String> registerNames) {
        this.linuxName = linuxName;
        this.byteOrder = byteOrder;
        this.elfMachine = elfMachine;
        this.pageSize = pageSize;
        this.directMapBase = directMapBase;
        this.kernelTextBase = kernelTextBase;
        this.registerNames = List.copyOf(registerNames);
    }

    /** The name {@code uname -m} gives. */
    public String linuxName() {
        return linuxName;
    }

    public ByteOrder byteOrder() {
        return byteOrder;
    }

    public int elfMachine() {
        return elfMachine;
    }

    public int pageSize() {
        return pageSize;
    }

    /** Virtual address of physical address 0 in the kernel's linear map. */
    public long directMapBase() {
        return directMapBase;
    }

    /** Default virtual address of the kernel's {@code _text}, or -1 where no separate text mapping exists. */
    public long kernelTextBase() {
        return kernelTextBase;
    }

    public boolean hasKernelTextMapping() {
        return kernelTextBase != -1;
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
}
