package org.vmcorefs.format.input;

import org.vmcorefs.format.FormatException;
import org.vmcorefs.format.struct.Elf64Ehdr;
import org.vmcorefs.format.struct.Elf64Phdr;
import org.vmcorefs.format.view.Layout;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.vmcorefs.machine.Architecture;
import org.vmcorefs.machine.CrashedSystem;
import org.vmcorefs.machine.DumpException;
import org.vmcorefs.machine.Errno;
import org.vmcorefs.machine.memory.FileMemory;
import org.vmcorefs.machine.KernelInfo;
import org.vmcorefs.machine.memory.LayeredMemory;
import org.vmcorefs.machine.memory.PhysicalMemory;

/**
 * Plants a kernel ELF (a vmlinux, or any executable linked at the kernel's virtual base) into a crashed
 * system's memory where that kernel would have been loaded, so that gdb can read its variables from the
 * dump. Segments are read from the file lazily; .bss reads as zeros.
 */
public final class KernelImage {
    private KernelImage() {
    }

    /** Where a segment linked at {@code vaddr} (load address {@code paddr}) lies in physical memory. */
    static long physical(Architecture arch, KernelInfo kernel, long vaddr, long paddr) {
        Architecture.KernelMap map = arch.kernelMap();
        if (map != null) {
            if (Long.compareUnsigned(vaddr, map.start()) >= 0) {
                return kernel.textPhysical() + (vaddr - map.text());
            }
            return kernel.textPhysical() + (paddr - map.loadPhysical());
        }
        return vaddr - arch.directMapBase();
    }

    public static CrashedSystem plant(CrashedSystem system, Path elf) throws DumpException {
        try (FileChannel probe = FileChannel.open(elf, StandardOpenOption.READ)) {
            return plant(system, elf, FileChannel.open(elf, StandardOpenOption.READ), probe);
        } catch (IOException e) {
            throw new FormatException(elf + ": cannot open kernel image: " + e.getMessage(), e);
        }
    }

    private static CrashedSystem plant(CrashedSystem system, Path elf, FileChannel ch, FileChannel probe)
            throws DumpException {
        ImageFile image = ImageFile.of(elf, probe);
        long fileSize = image.size();
        Elf64Ehdr ehdr;
        try {
            ehdr = Elf64Ehdr.readFrom(image.head(Elf64Ehdr.SIZE));
        } catch (FormatException e) {
            throw new FormatException(elf + ": " + e.getMessage(), e);
        }
        Architecture arch = system.architecture();
        if (Architecture.ofElfMachine(64, ehdr.machine()).isEmpty()) {
            throw new FormatException(elf + ": unsupported ELF machine " + ehdr.machine());
        }
        if (Architecture.ofElf(64, ehdr.machine(), ehdr.order()).orElse(null) != arch) {
            throw new FormatException(elf + ": kernel is not a " + arch.linuxName() + " ELF");
        }
        if (ehdr.phoff() <= 0 || ehdr.phoff() + (long) ehdr.phnum() * Elf64Phdr.SIZE > fileSize) {
            throw new FormatException(elf + ": program headers run past the end of the file");
        }
        ByteBuffer ph = image.readAt(ehdr.phoff(), ehdr.phnum() * Elf64Phdr.SIZE);
        KernelInfo kernel = system.kernel();
        FileMemory file = new FileMemory(elf, ch);
        LayeredMemory.Builder memory = LayeredMemory.over(system.memory());
        long lowest = Long.MAX_VALUE;
        long highest = 0;
        List<String> placed = new ArrayList<>();
        for (int i = 0; i < ehdr.phnum(); i++) {
            Elf64Phdr p = Elf64Phdr.readFrom(ph, ehdr.order());
            if (p.type() != Elf64Phdr.PT_LOAD || p.memsz() == 0) {
                continue;
            }
            if (p.offset() < 0 || p.offset() + p.filesz() > fileSize || p.filesz() > p.memsz()) {
                throw new FormatException(elf + ": PT_LOAD at offset " + p.offset() + " runs past the end of the file");
            }
            long phys = physical(arch, kernel, p.vaddr(), p.paddr());
            if (phys < 0 || system.ram().stream().noneMatch(r -> r.contains(phys))) {
                throw new DumpException(Errno.EINVAL, String.format("%s: segment at 0x%x would land at physical "
                        + "0x%x, outside the machine's RAM", elf, p.vaddr(), phys));
            }
            memory.put(phys, p.filesz(), file, p.offset());
            memory.put(phys + p.filesz(), p.memsz() - p.filesz(), PhysicalMemory.ZEROS, 0);
            lowest = Math.min(lowest, phys);
            highest = Math.max(highest, phys + p.memsz());
            placed.add(String.format("0x%x", phys));
        }
        if (placed.isEmpty()) {
            throw new FormatException(elf + ": no loadable segments");
        }
        KernelInfo planted = kernel;
        if (arch.hasKernelTextMapping()) {
            long span = Layout.roundUp(highest - kernel.textPhysical(), 2L << 20);
            planted = kernel.withText(kernel.textVirtual(), kernel.textPhysical(), Math.max(kernel.textSize(), span));
        }
        return new CrashedSystem(arch, system.ram(), memory.build(), system.cpus(), planted, system.crashTime(),
                system.origin() + ", kernel " + elf + " planted at " + String.join(",", placed));
    }
}
