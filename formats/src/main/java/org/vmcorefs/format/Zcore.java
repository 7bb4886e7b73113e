package org.vmcorefs.format;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vmcorefs.machine.DumpException;
import org.vmcorefs.machine.Errno;
import org.vmcorefs.machine.Machine;
import org.vmcorefs.machine.SavedArea;

/**
 * The files of an s390x zfcpdump environment and the one state they share: whether the machine has been
 * re-IPLed. debugfs zcore/mem, hsa, memmap and reipl behave as drivers/s390/char/zcore.c; /proc/vmcore as
 * the zfcpdump kernel's; the complete s390 dump is vmcorefs' own. After a write to zcore/reipl the
 * machine has booted the crashed system again: every dump file then answers ENODEV.
 */
public final class Zcore {
    private static final Logger LOG = LoggerFactory.getLogger(Zcore.class);
    public static final String DIR = "/sys/kernel/debug/zcore";
    public static final String MEM = DIR + "/mem";
    public static final String HSA = DIR + "/hsa";
    public static final String MEMMAP = DIR + "/memmap";
    public static final String REIPL = DIR + "/reipl";
    /** The complete s390 dump (zcore/mem + "DUMP_END"), for zgetdump, libkdumpfile and crash. */
    public static final String COMPLETE = "/.vmcorefs/s390.dump";

    private final Machine machine;
    private final SavedArea hsa;
    private volatile boolean reipled;

    private final KernelLeniency leniency;

    Zcore(Machine machine, KernelLeniency leniency) {
        this.leniency = leniency;
        this.machine = machine;
        this.hsa = machine.savedArea();
    }

    /** Adds the profile's files to {@code tree}. */
    public static void addTo(DumpTree tree, Machine machine, KernelLeniency leniency) {
        Zcore z = new Zcore(machine, leniency);
        tree.add(CaptureEnvironment.VMCORE, z.new DumpFile(ZcoreView.vmcore(machine), Errno.EIO));
        tree.add(MEM, z.new MemFile(ZcoreView.mem(machine)));
        tree.add(HSA, z.new HsaFile());
        tree.add(MEMMAP, z.new MemmapFile(ZcoreView.memmap(machine)));
        tree.add(REIPL, z.new ReiplFile());
        tree.add(COMPLETE, z.new DumpFile(ZcoreView.complete(machine), Errno.EINVAL));
    }

    public boolean reipled() {
        return reipled;
    }

    void checkRunning(String path) throws DumpException {
        if (reipled) {
            throw new DumpException(Errno.ENODEV, path + ": the machine has been re-IPLed; the dump is gone");
        }
    }

    /** What the dump kernel's release_hsa does (DIAG 308 subcode 2); releasing twice is harmless. */
    void releaseHsa(String why) {
        if (hsa.release()) {
            LOG.info("HSA released by {}", why);
        }
    }

    /** A dump file (/proc/vmcore, the complete dump) that never comes from the page cache and ends with a re-IPL. */
    final class DumpFile extends LayoutFile {
        DumpFile(Layout layout, Errno writeErrno) {
            super(layout, writeErrno);
        }

        @Override
        public VirtualFile open() throws DumpException {
            checkRunning("dump file");
            return this;
        }

        @Override
        public int read(long offset, ByteBuffer dst) throws DumpException {
            checkRunning("dump file");
            return super.read(offset, dst);
        }

        @Override
        public boolean changes() {
            return true;
        }
    }

    /**
     * zcore/mem: open fails with ENODATA once the HSA is released; a read past the end is EINVAL; the last
     * close of an open releases the HSA, as zcore_release does.
     */
    final class MemFile extends LayoutFile {
        MemFile(Layout layout) {
            super(layout, Errno.EINVAL);
        }

        @Override
        public boolean changes() {
            return true;
        }

        @Override
        public int read(long offset, ByteBuffer dst) throws DumpException {
            checkRunning(MEM);
            if (offset > layout().size()) {
                throw new DumpException(Errno.EINVAL, String.format("%s: offset %d is past the end (%d)", MEM, offset,
                        layout().size()));
            }
            return layout().read(offset, dst);
        }

        @Override
        public VirtualFile open() throws DumpException {
            checkRunning(MEM);
            if (hsa.released()) {
                throw new DumpException(Errno.ENODATA, MEM + ": the HSA has been released");
            }
            return new Opened();
        }

        /** One open of zcore/mem; its release is what gives the HSA back. */
        private final class Opened implements VirtualFile {
            @Override
            public long size() {
                return MemFile.this.size();
            }

            @Override
            public int mode() {
                return MemFile.this.mode();
            }

            @Override
            public boolean changes() {
                return true;
            }

            @Override
            public int read(long offset, ByteBuffer dst) throws DumpException {
                return MemFile.this.read(offset, dst);
            }

            @Override
            public void release() {
                releaseHsa("close of " + MEM);
            }
        }
    }

    /** zcore/hsa: the HSA size in hex, "0" once released; writing '0' at offset 0 releases it. */
    final class HsaFile implements VirtualFile {
        private byte[] text() {
            String s = hsa.released() ? "0\n" : Long.toHexString(hsa.range().size()) + "\n";
            return s.getBytes(StandardCharsets.US_ASCII);
        }

        @Override
        public long size() {
            return text().length;
        }

        @Override
        public int mode() {
            return 0600;
        }

        @Override
        public boolean changes() {
            return true;
        }

        @Override
        public VirtualFile open() throws DumpException {
            checkRunning(HSA);
            return this;
        }

        @Override
        public int read(long offset, ByteBuffer dst) throws DumpException {
            checkRunning(HSA);
            return BytesFile.slice(text(), offset, dst);
        }

        @Override
        public int write(long offset, ByteBuffer src) throws DumpException {
            checkRunning(HSA);
            int count = src.remaining();
            if (offset != 0) {
                throw new DumpException(Errno.EPIPE, HSA + ": write at offset " + offset + " (only offset 0)");
            }
            if (count == 0 || src.get(src.position()) != '0') {
                throw new DumpException(Errno.EINVAL, HSA + ": only \"0\" (release the HSA) can be written");
            }
            // The kernel reads only the first character: "0junk" releases the HSA too.
            byte[] all = new byte[count];
            src.duplicate().get(all);
            String input = new String(all, java.nio.charset.StandardCharsets.ISO_8859_1);
            String rest = input.substring(1);
            if (!rest.isEmpty() && !rest.equals("\n")) {
                leniency.check(HSA, input, java.util.List.of("only the first character counts; '"
                        + KernelLeniency.printable(rest) + "' after the 0 is ignored"));
            }
            releaseHsa("write of 0 to " + HSA);
            src.position(src.limit());
            return count;
        }
    }

    /** zcore/memmap: a record per memory chunk, fixed since the dump kernel booted. */
    final class MemmapFile implements VirtualFile {
        private final byte[] text;

        MemmapFile(byte[] text) {
            this.text = text.clone();
        }

        @Override
        public long size() {
            return text.length;
        }

        @Override
        public int mode() {
            return 0400;
        }

        @Override
        public VirtualFile open() throws DumpException {
            checkRunning(MEMMAP);
            return this;
        }

        @Override
        public boolean changes() {
            return true;
        }

        @Override
        public int read(long offset, ByteBuffer dst) throws DumpException {
            checkRunning(MEMMAP);
            return BytesFile.slice(text, offset, dst);
        }
    }

    /** zcore/reipl: any write boots the crashed system again (the HSA goes with it); it has no read. */
    final class ReiplFile implements VirtualFile {
        @Override
        public long size() {
            return 0;
        }

        @Override
        public int mode() {
            return 0400;
        }

        @Override
        public boolean changes() {
            return true;
        }

        @Override
        public VirtualFile open() throws DumpException {
            checkRunning(REIPL);
            return this;
        }

        @Override
        public int read(long offset, ByteBuffer dst) throws DumpException {
            throw new DumpException(Errno.EINVAL, REIPL + " cannot be read");
        }

        @Override
        public int write(long offset, ByteBuffer src) throws DumpException {
            checkRunning(REIPL);
            int count = src.remaining();
            synchronized (Zcore.this) {
                if (!reipled) {
                    releaseHsa("re-IPL");
                    reipled = true;
                    machine.events().record("reipl", "zcore/reipl written: the crashed system is booted again");
                    LOG.info("re-IPL: the machine reboots; dump files now answer ENODEV");
                }
            }
            src.position(src.limit());
            return count;
        }
    }
}
