package org.vmcorefs.format.input;

/**
 * Where a crashed kernel is mapped, as far as a dump says: its text segment and its linear map's base
 * (0 for what is unknown; then the architecture's default applies).
 *
 * @param textVirtual virtual address of {@code _text}
 * @param textPhysical physical address of {@code _text}
 * @param textSize bytes of the text mapping
 * @param directMap virtual address of physical 0 in the linear map
 */
record KernelMappings(long textVirtual, long textPhysical, long textSize, long directMap) {
    static final KernelMappings UNKNOWN = new KernelMappings(0, 0, 0, 0);
}
