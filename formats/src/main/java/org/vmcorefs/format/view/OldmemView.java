package org.vmcorefs.format.view;

import org.vmcorefs.machine.Machine;

/**
 * /dev/oldmem: physical memory as it is now, offset = physical address, up to the end of RAM. No hole
 * check, and the low memory shows the capture kernel's bytes, as the old driver did.
 */
public final class OldmemView {
    private OldmemView() {
    }

    public static Layout layout(Machine machine) {
        return Layout.builder().memory(machine.currentMemory(), 0, machine.system().endOfRam(), "physical memory")
                .build();
    }
}
