package org.vmcorefs.format.input;

import org.vmcorefs.format.struct.Vmcoreinfo;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vmcorefs.machine.Architecture;
import org.vmcorefs.machine.DumpException;
import org.vmcorefs.machine.MemoryRange;
import org.vmcorefs.machine.memory.PhysicalMemory;

/**
 * What an x86_64 dump without virtual addresses (QEMU's dump-guest-memory, kdump-compressed dumps) leaves
 * out, as the kernel's elfcorehdr would have it: the kernel text segment ({@code _text} from SYMBOL(_stext),
 * else KERNELOFFSET; its physical address from NUMBER(phys_base); its size from the kernel's own page
 * tables) and the linear map's base, which KASLR randomizes, found by walking swapper_pg_dir.
 */
final class X86KernelMappings {
    private static final Logger LOG = LoggerFactory.getLogger(X86KernelMappings.class);
    private static final Architecture.KernelMap MAP = Architecture.X86_64.kernelMap();

    private X86KernelMappings() {
    }

    /** {@code given}, completed from the dump where it is unknown (0); what cannot be derived stays as given. */
    static KernelMappings derive(Path path, Map<String, String> info, PhysicalMemory mem, List<MemoryRange> ram,
            KernelMappings given) {
        long textVirtual = given.textVirtual();
        long textPhysical = given.textPhysical();
        long textSize = given.textSize();
        long directMap = given.directMap();
        if (textSize != 0 && directMap != 0) {
            return given;
        }
        long physBase;
        if (textSize != 0) {
            physBase = textPhysical - (textVirtual - MAP.start());
        } else if (info.getOrDefault("NUMBER(phys_base)", "").trim().matches("-?[0-9]+")) {
            physBase = Long.parseLong(info.get("NUMBER(phys_base)").trim());
            textVirtual = info.containsKey("SYMBOL(_stext)") ? Vmcoreinfo.hex(info.get("SYMBOL(_stext)"), 0)
                    : MAP.text() + Vmcoreinfo.hex(info.get("KERNELOFFSET"), 0);
            textPhysical = textVirtual - MAP.start() + physBase;
        } else {
            LOG.info("{}: no kernel text segment and no usable NUMBER(phys_base): kernel mappings unknown", path);
            return given;
        }
        long pgdVirtual = Vmcoreinfo.hex(info.get("SYMBOL(swapper_pg_dir)"), 0);
        X86PageTables tables = null;
        if (pgdVirtual != 0 && !"1".equals(info.getOrDefault("NUMBER(pgtable_l5_enabled)", "0").trim())) {
            tables = new X86PageTables(mem, pgdVirtual - MAP.start() + physBase);
        }
        try {
            if (textSize == 0) {
                textSize = tables == null ? 0 : tables.kernelImageSize(textVirtual, textPhysical);
                if (textSize == 0) {
                    textSize = defaultTextSize(ram, textPhysical);
                    LOG.info("{}: kernel text at 0x{} not found in the page tables: assuming 0x{} bytes", path,
                            Long.toHexString(textVirtual), Long.toHexString(textSize));
                } else {
                    LOG.info("{}: kernel text 0x{} -> 0x{}, 0x{} bytes mapped", path, Long.toHexString(textVirtual),
                            Long.toHexString(textPhysical), Long.toHexString(textSize));
                }
            }
            if (directMap == 0 && tables != null) {
                long probe = ram.stream().filter(r -> r.size() >= 4096).mapToLong(MemoryRange::start).findFirst()
                        .orElse(0);
                directMap = tables.linearMapBase(textPhysical > probe ? textPhysical : probe).orElse(0);
                LOG.info("{}: linear map base {}", path, directMap == 0 ? "not found in the page tables, default"
                        : "0x" + Long.toHexString(directMap) + " from the page tables");
            }
        } catch (DumpException e) {
            LOG.info("{}: cannot walk the kernel's page tables: {}", path, e.getMessage());
            if (textSize == 0) {
                textSize = defaultTextSize(ram, textPhysical);
            }
        }
        return new KernelMappings(textVirtual, textPhysical, textSize, directMap);
    }

    /** The kernel image size to assume when a dump does not say: 64 MiB, clipped to the RAM holding it. */
    static long defaultTextSize(List<MemoryRange> ram, long textPhysical) {
        for (MemoryRange r : MemoryRange.normalize(ram)) {
            if (r.contains(textPhysical)) {
                return Math.min(64L << 20, r.end() - textPhysical);
            }
        }
        return 0;
    }
}
