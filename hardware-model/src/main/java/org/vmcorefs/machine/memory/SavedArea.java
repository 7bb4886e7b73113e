package org.vmcorefs.machine.memory;

import org.vmcorefs.machine.DumpException;
import org.vmcorefs.machine.Errno;
import org.vmcorefs.machine.EventLog;
import org.vmcorefs.machine.FaultInjection;
import org.vmcorefs.machine.MemoryRange;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A copy of part of the crashed system's memory kept by the hardware or firmware (s390's HSA, the POWER
 * hypervisor's save area, kexec's 640 KiB backup). The copy is reachable only through a simulated
 * interface that fetches one block per request into a single bounce buffer, as the s390 SCLP SDIAS
 * driver does; nothing is fetched until a read asks for it, and every request is counted.
 */
public final class SavedArea implements PhysicalMemory {
    private static final Logger LOG = LoggerFactory.getLogger(SavedArea.class);

    private final String name;
    private final String interfaceName;
    private final MemoryRange range;
    private final int blockSize;
    private final long firstBlockNumber;
    private final PhysicalMemory saved;
    private final FaultInjection faults;
    private final EventLog events;
    private final ByteBuffer bounce;
    private final AtomicLong requests = new AtomicLong();
    private final AtomicLong blocks = new AtomicLong();
    private final AtomicLong bytes = new AtomicLong();
    private final AtomicLong failures = new AtomicLong();
    private volatile long lastRequestSequence;
    private volatile boolean released;
    private volatile FetchListener listener;

    /** Told of every block delivered: its physical address and length. */
    @FunctionalInterface
    public interface FetchListener {
        void fetched(long address, long length);
    }

    /**
     * @param name what the area is, e.g. "HSA"
     * @param interfaceName how it is reached, e.g. "SCLP SDIAS"
     * @param range the physical addresses whose crash-time bytes it holds
     * @param blockSize bytes per request
     * @param firstBlockNumber the interface's number for the first block (SDIAS counts from 2)
     * @param saved the bytes as they were when saved, addressed like {@code range}
     */
    public SavedArea(String name, String interfaceName, MemoryRange range, int blockSize, long firstBlockNumber,
            PhysicalMemory saved, FaultInjection faults, EventLog events) {
        if (blockSize <= 0 || Integer.bitCount(blockSize) != 1) {
            throw new IllegalArgumentException("block size must be a power of two: " + blockSize);
        }
        this.name = name;
        this.interfaceName = interfaceName;
        this.range = range;
        this.blockSize = blockSize;
        this.firstBlockNumber = firstBlockNumber;
        this.saved = saved;
        this.faults = faults;
        this.events = events;
        this.bounce = ByteBuffer.allocateDirect(blockSize);
    }

    public String name() {
        return name;
    }

    public String interfaceName() {
        return interfaceName;
    }

    public MemoryRange range() {
        return range;
    }

    public int blockSize() {
        return blockSize;
    }

    public long blockCount() {
        return (range.size() + blockSize - 1) / blockSize;
    }

    /** Sets the one listener told of every block fetched (vmcorefs's map of reads). */
    public void listen(FetchListener l) {
        this.listener = l;
    }

    public boolean released() {
        return released;
    }

    /** Gives the area back to the hardware; afterwards every read fails. Returns false if already released. */
    public synchronized boolean release() {
        if (released) {
            return false;
        }
        released = true;
        events.record("release", name + " " + range);
        LOG.info("{} released", name);
        return true;
    }

    /** Counters since the mount: requests made, blocks delivered, bytes delivered, failed requests. */
    public record Counters(long requests, long blocks, long bytes, long failures, long lastRequestSequence) {
    }

    public Counters counters() {
        return new Counters(requests.get(), blocks.get(), bytes.get(), failures.get(), lastRequestSequence);
    }

    /** Reads saved bytes at physical {@code address} (inside {@link #range()}), fetching block by block. */
    @Override
    public void read(long address, ByteBuffer dst) throws DumpException {
        if (address < range.start() || address + dst.remaining() > range.end()) {
            throw new DumpException(Errno.EIO, String.format("%s: [0x%x, +0x%x) is outside %s", name, address,
                    dst.remaining(), range));
        }
        long offset = address - range.start();
        while (dst.hasRemaining()) {
            long block = offset / blockSize;
            int inBlock = (int) (offset % blockSize);
            int n = Math.min(blockSize - inBlock, dst.remaining());
            fetch(block, inBlock, n, dst);
            offset += n;
        }
    }

    private synchronized void fetch(long block, int inBlock, int n, ByteBuffer dst) throws DumpException {
        if (released) {
            throw new ReleasedException(name + " has been released");
        }
        requests.incrementAndGet();
        lastRequestSequence = events.tick();
        long blockNumber = firstBlockNumber + block;
        if (faults.nextRequestFails()) {
            failures.incrementAndGet();
            throw new DumpException(Errno.EIO, String.format("%s request for %s block %d failed", interfaceName,
                    name, blockNumber));
        }
        long blockStart = range.start() + block * blockSize;
        int length = (int) Math.min(blockSize, range.end() - blockStart);
        bounce.clear().limit(length);
        saved.read(blockStart, bounce);
        blocks.incrementAndGet();
        bytes.addAndGet(length);
        FetchListener l = listener;
        if (l != null) {
            l.fetched(blockStart, length);
        }
        bounce.flip();
        dst.put(bounce.position(inBlock).limit(inBlock + n));
    }

    /** Thrown when a read asks a saved area that has been released. */
    public static final class ReleasedException extends DumpException {
        private static final long serialVersionUID = 1L;

        public ReleasedException(String message) {
            super(Errno.EIO, message);
        }
    }
}
