package org.vmcorefs.format.input;

import org.vmcorefs.format.struct.Vmcoreinfo;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vmcorefs.machine.Architecture;
import org.vmcorefs.machine.MemoryRange;
import org.vmcorefs.machine.memory.PhysicalMemory;

/**
 * What an arm64 dump without virtual addresses (QEMU's dump-guest-memory) leaves out, as the kernel's
 * elfcorehdr would have it, from the VMCOREINFO the arm64 kernel writes (arch/arm64/kernel/vmcore_info.c,
 * crash_core.c before 6.9): the linear map's base is PAGE_OFFSET - NUMBER(PHYS_OFFSET), PAGE_OFFSET being
 * -(1 << NUMBER(VA_BITS)); {@code _text} is at KIMAGE_VADDR + KERNELOFFSET and its physical address is
 * that minus NUMBER(kimage_voffset). VMCOREINFO does not give {@code _end}: the text segment's size is
 * then assumed (64 MiB, clipped to its RAM range).
 */
final class Arm64KernelMappings {
    private static final Logger LOG = LoggerFactory.getLogger(Arm64KernelMappings.class);

    private Arm64KernelMappings() {
    }

    /** {@code given}, completed from {@code info} where it is unknown (0). */
    static KernelMappings derive(Path path, Map<String, String> info, PhysicalMemory mem, List<MemoryRange> ram,
            KernelMappings given) {
        long textVirtual = given.textVirtual();
        long textPhysical = given.textPhysical();
        long textSize = given.textSize();
        long directMap = given.directMap();
        long vaBits = number(info, "NUMBER(VA_BITS)");
        long physOffset = number(info, "NUMBER(PHYS_OFFSET)");
        if (directMap == 0 && vaBits > 0 && vaBits < 64 && info.containsKey("NUMBER(PHYS_OFFSET)")) {
            directMap = -(1L << vaBits) - physOffset;
        }
        if (textSize == 0 && info.containsKey("NUMBER(kimage_voffset)") && info.containsKey("KERNELOFFSET")) {
            textVirtual = Architecture.ARM64.kernelTextBase() + Vmcoreinfo.hex(info.get("KERNELOFFSET"), 0);
            textPhysical = textVirtual - number(info, "NUMBER(kimage_voffset)");
            textSize = X86KernelMappings.defaultTextSize(ram, textPhysical);
            LOG.info("{}: kernel text 0x{} -> 0x{} from VMCOREINFO, assuming 0x{} bytes", path,
                    Long.toHexString(textVirtual), Long.toHexString(textPhysical), Long.toHexString(textSize));
            if (textSize == 0) {
                textVirtual = given.textVirtual();
                textPhysical = given.textPhysical();
            }
        }
        return new KernelMappings(textVirtual, textPhysical, textSize, directMap);
    }

    /** A NUMBER(...) value: decimal, or hex with 0x (the arm64 kernel writes both); 0 when absent or garbled. */
    static long number(Map<String, String> info, String key) {
        String v = info.getOrDefault(key, "").trim();
        try {
            return v.startsWith("0x") ? Long.parseUnsignedLong(v.substring(2), 16) : Long.parseLong(v);
        } catch (NumberFormatException e) {
            return 0;
        }
    }
}
