package org.vmcorefs.fs.fuse3;

import java.util.concurrent.atomic.AtomicReferenceArray;
import org.vmcorefs.format.view.VirtualFile;

/**
 * The open files, by the handle number given to FUSE (fuse_file_info.fh): a slot index, so that a read finds
 * its file with one array load, no map and no boxing. Slots are reused after release.
 */
final class Handles {
    /**
     * One open of a file: what its reads read and where they are counted; {@code backingId} is the passthrough
     * backing file the kernel serves it from (0: none, every read comes here).
     */
    record Open(String path, VirtualFile file, VirtualFile opened, int backingId) {
        /** Whether this open has a copy of its own (a report fixed at open) whose release must be called. */
        boolean ownsCopy() {
            return opened != file;
        }
    }

    private volatile AtomicReferenceArray<Open> slots = new AtomicReferenceArray<>(64);
    private int next = 1; // slot 0 is never used: fh 0 would look like "no handle"

    synchronized long add(Open o) {
        AtomicReferenceArray<Open> s = slots;
        for (int n = 0; n < s.length(); n++) {
            int i = next;
            next = next + 1 < s.length() ? next + 1 : 1;
            if (s.get(i) == null) {
                s.set(i, o);
                return i;
            }
        }
        AtomicReferenceArray<Open> bigger = new AtomicReferenceArray<>(s.length() * 2);
        for (int i = 0; i < s.length(); i++) {
            bigger.set(i, s.get(i));
        }
        int i = s.length();
        bigger.set(i, o);
        next = i + 1;
        slots = bigger;
        return i;
    }

    Open get(long fh) {
        AtomicReferenceArray<Open> s = slots;
        return fh > 0 && fh < s.length() ? s.get((int) fh) : null;
    }

    synchronized Open remove(long fh) {
        AtomicReferenceArray<Open> s = slots;
        if (fh <= 0 || fh >= s.length()) {
            return null;
        }
        return s.getAndSet((int) fh, null);
    }
}
