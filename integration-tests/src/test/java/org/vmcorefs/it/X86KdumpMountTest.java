package org.vmcorefs.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import org.junit.jupiter.api.Test;

/** The x86_64-kdump profile on a real mount, checked with readelf and gdb. */
class X86KdumpMountTest {
    @Test
    void readelfShowsTheVmcoreLayout() throws Exception {
        try (Mounted m = Mounted.mount("--memory", "512M", "--cpus", "3")) {
            String out = Exec.run(60, "readelf", "-h", "-l", "-n", m.path("proc/vmcore").toString()).ok().stdout();
            assertTrue(out.contains("CORE (Core file)"), out);
            assertTrue(out.contains("Advanced Micro Devices X86-64"), out);
            assertEquals(3, out.split("NT_PRSTATUS", -1).length - 1, out);
            assertTrue(out.contains("VMCOREINFO"), out);
            assertTrue(Files.size(m.path("dev/oldmem")) > 512L << 20);
        }
    }
}
