package org.vmcorefs.fs;

import org.vmcorefs.fs.map.ReadMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/** What the mount has served, per file: reads, bytes read, writes, failed operations. */
public final class MountStats {
    /** Counters of one file. */
    static final class FileCounters {
        final LongAdder reads = new LongAdder();
        final LongAdder bytes = new LongAdder();
        /** Bytes handed to libfuse as a backing file's descriptor and offset, never read by vmcorefs. */
        final LongAdder bytesByDescriptor = new LongAdder();
        final LongAdder writes = new LongAdder();
        final LongAdder errors = new LongAdder();

        Map<String, Long> snapshot() {
            Map<String, Long> m = new LinkedHashMap<>();
            m.put("reads", reads.sum());
            m.put("bytesRead", bytes.sum());
            m.put("bytesByDescriptor", bytesByDescriptor.sum());
            m.put("writes", writes.sum());
            m.put("errors", errors.sum());
            return m;
        }
    }

    private final Map<String, FileCounters> files = new ConcurrentHashMap<>();
    private volatile ReadMap map;

    /** Where reads also mark the memory they touched ({@link ReadMap}). */
    public void map(ReadMap readMap) {
        this.map = readMap;
    }

    /** A read of {@code bytes} at {@code offset} of {@code path} was served: the map marks the memory behind it. */
    public void touched(String path, long offset, long bytes) {
        ReadMap m = map;
        if (m != null) {
            m.read(path, offset, bytes);
        }
    }

    private FileCounters of(String path) {
        return files.computeIfAbsent(path, p -> new FileCounters());
    }

    public void read(String path, int bytes) {
        counted(path, bytes);
    }

    /** A read served as a backing file's descriptor and offset (see {@link ReadBuffers}). */
    public void readByDescriptor(String path, long bytes) {
        counted(path, bytes).bytesByDescriptor.add(bytes);
    }

    private FileCounters counted(String path, long bytes) {
        FileCounters c = of(path);
        c.reads.increment();
        c.bytes.add(bytes);
        return c;
    }

    public void wrote(String path, int bytes) {
        of(path).writes.increment();
    }

    public void failed(String path) {
        of(path).errors.increment();
    }

    public Map<String, Map<String, Long>> snapshot() {
        Map<String, Map<String, Long>> m = new java.util.TreeMap<>();
        files.forEach((path, c) -> m.put(path, c.snapshot()));
        return m;
    }
}
