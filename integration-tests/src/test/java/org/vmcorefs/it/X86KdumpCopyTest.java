package org.vmcorefs.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.vmcorefs.format.MachineFactory;
import org.vmcorefs.machine.memory.SyntheticMemory;

/**
 * A 64 MiB machine with a crashkernel region and a kernel ELF built here with gcc and planted with
 * --kernel: cp of both dump files, every byte checked against the model; gdb reads the kernel's variable.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class X86KdumpCopyTest {
    static final long SEED = 3;
    static final long CK_START = 48L << 20;
    static final long CK_SIZE = 16L << 20;
    static final long TEXT_VIRTUAL = 0xffffffff81000000L;
    static final long TEXT_PHYSICAL = 0x1000000;
    static final long ANSWER = 0x1234abcd5678ef00L;

    @TempDir
    static Path tmp;
    private Path kernel;
    private byte[] kernelBytes;
    private Elf kernelElf;
    private List<Elf.Phdr> kernelLoads;
    private Mounted m;
    private final SyntheticMemory crashTime = new SyntheticMemory(SEED, 1.0);
    private final SyntheticMemory capture = new SyntheticMemory(SEED ^ MachineFactory.CAPTURE_SEED, 1.0);

    /** A tiny freestanding x86_64 "kernel" linked at _text, its variable in .data on the next page. */
    private Path buildKernel() throws IOException {
        Requirements.tool("gcc");
        Path src = Files.writeString(tmp.resolve("kernel.c"), ""
                + "volatile long vmcorefs_answer = 0x1234abcd5678ef00;\n"
                + "void _start(void) { for (;;) vmcorefs_answer++; }\n");
        Path lds = Files.writeString(tmp.resolve("kernel.lds"), ""
                + "ENTRY(_start)\n"
                + "SECTIONS {\n"
                + "  . = 0xffffffff81000000;\n"
                + "  .text : { *(.text*) }\n"
                + "  . = ALIGN(4096);\n"
                + "  .data : { *(.data*) }\n"
                + "  .bss : { *(.bss*) *(COMMON) }\n"
                + "  /DISCARD/ : { *(.note*) *(.eh_frame*) *(.comment) }\n"
                + "}\n");
        Path elf = tmp.resolve("kernel.elf");
        Exec.run(60, "gcc", "-g", "-O1", "-ffreestanding", "-nostdlib", "-static", "-no-pie", "-fno-pic",
                "-mcmodel=kernel", "-Wl,--build-id=none", "-T", lds.toString(), "-o", elf.toString(), src.toString())
                .ok();
        return elf;
    }

    @BeforeAll
    void mount() throws IOException {
        kernel = buildKernel();
        String size = "64M";
        String ck = (CK_SIZE >> 20) + "M@" + (CK_START >> 20) + "M";
        if (kernel != null) {
            kernelBytes = Files.readAllBytes(kernel);
            kernelElf = Elf.read(kernel);
            kernelLoads = kernelElf.loads();
            m = Mounted.mount("--memory", size, "--seed", String.valueOf(SEED), "--cpus", "2", "--crashkernel", ck,
                    "--kernel", kernel.toString());
        } else {
            m = Mounted.mount("--memory", size, "--seed", String.valueOf(SEED), "--cpus", "2", "--crashkernel", ck);
        }
    }

    @AfterAll
    void unmount() throws IOException {
        if (m != null) {
            m.close();
        }
    }

    /** Memory at the crash: the synthetic bytes, with the planted kernel's segments where it was loaded. */
    private byte crashByte(long address) {
        if (kernelLoads != null) {
            for (Elf.Phdr p : kernelLoads) {
                long phys = TEXT_PHYSICAL + (p.vaddr() - TEXT_VIRTUAL);
                if (address >= phys && address < phys + p.memsz()) {
                    long i = address - phys;
                    return i < p.filesz() ? kernelBytes[(int) (p.offset() + i)] : 0;
                }
            }
        }
        return crashTime.byteAt(address);
    }

    /** Memory now: the capture kernel over the low 640 KiB and its region, the backup at the region's start. */
    private byte nowByte(long address) {
        if (address < 0xa0000) {
            return capture.byteAt(address);
        }
        if (address >= CK_START && address < CK_START + 0xa0000) {
            return crashByte(address - CK_START);
        }
        if (address >= CK_START && address < CK_START + CK_SIZE) {
            return capture.byteAt(address);
        }
        return crashByte(address);
    }

    private Path cp(String file) throws IOException {
        Path copy = tmp.resolve(Path.of(file).getFileName() + ".copy");
        Exec.run(120, "cp", m.path(file).toString(), copy.toString()).ok();
        return copy;
    }

    @Test
    void cpOfVmcoreHoldsTheCrashTimeMemoryOfEveryPtLoad() throws IOException {
        Path copy = cp("proc/vmcore");
        assertEquals(Files.size(m.path("proc/vmcore")), Files.size(copy));
        Elf elf = Elf.read(copy);
        List<Elf.Phdr> loads = elf.loads();
        assertEquals(4, loads.size(), "text, [0, 640K), [1M, crashkernel), [crashkernel end, end of RAM)");
        assertEquals(CK_START, loads.get(2).paddr() + loads.get(2).filesz(), "RAM stops at the crashkernel");
        assertEquals(CK_START + CK_SIZE, loads.get(3).paddr(), "and resumes after it");
        byte[] data = Files.readAllBytes(copy);
        long compared = Expected.assertVmcoreBytes(loads, 0, data, this::crashByte);
        long expected = loads.stream().mapToLong(p -> p.chunkEnd() - p.chunkStart()).sum();
        assertEquals(expected, compared, "every byte of every PT_LOAD's pages");
        List<Elf.Note> notes = Elf.notes(copy, elf.phdrs.get(0));
        assertEquals(3, notes.size());
        assertEquals(336, notes.get(0).desc().length);
        assertEquals("VMCOREINFO", notes.get(2).name());
        if (kernelElf != null) {
            long off = loads.get(0).offset() + 0x1000;   // .data, one page after _text
            assertEquals(ANSWER, ByteBuffer.wrap(data, (int) off, 8).order(ByteOrder.LITTLE_ENDIAN).getLong(),
                    "the planted variable in the copy");
        }
    }

    @Test
    void cpOfOldmemHoldsPhysicalMemoryAsItIsNow() throws IOException {
        Path copy = cp("dev/oldmem");
        byte[] data = Files.readAllBytes(copy);
        assertEquals(0x100000 + (64L << 20) - 0xa0000, data.length, "up to the end of RAM");
        for (int a = 0; a < data.length; a++) {
            if (data[a] != nowByte(a)) {
                throw new AssertionError(String.format("oldmem at 0x%x: got %02x, expected %02x", a, data[a],
                        nowByte(a)));
            }
        }
        // The two facts of section 2 and the backup, stated on their own.
        assertEquals(capture.byteAt(0x1234), data[0x1234], "low memory is the capture kernel's");
        assertEquals(crashTime.byteAt(0x1234), data[(int) CK_START + 0x1234], "the backup copy");
    }

    @Test
    void gdbPrintsThePlantedKernelsVariable() {
        Requirements.tool("gdb");
        String out = Exec.run(120, "gdb", "-nx", "-batch", "-ex", "print/x vmcorefs_answer", kernel.toString(),
                m.path("proc/vmcore").toString()).ok().stdout();
        assertTrue(out.contains("= 0x1234abcd5678ef00"), out);
    }
}
