package org.vmcorefs.fs.fuse3;

import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Inode numbers for the paths of the tree, handed out on first lookup and never reused: the root is 1 (the
 * kernel's FUSE_ROOT_ID), then 2, 3, ... A tree has a handful of paths, so the table is never pruned (forget
 * needs no bookkeeping).
 */
final class Inodes {
    static final long ROOT = 1;

    private final Map<String, Long> byPath = new ConcurrentHashMap<>();
    /** Path of inode i at index i; index 0 unused. Replaced, never changed in place, so reads need no lock. */
    private volatile String[] paths = {null, "/"};

    Inodes() {
        byPath.put("/", ROOT);
    }

    /** The path of inode {@code ino}, or null if no lookup gave it out. */
    String path(long ino) {
        String[] p = paths;
        return ino > 0 && ino < p.length ? p[(int) ino] : null;
    }

    /** The inode of {@code path}, given out now if it has none yet. */
    long of(String path) {
        Long ino = byPath.get(path);
        return ino != null ? ino : add(path);
    }

    private synchronized long add(String path) {
        Long ino = byPath.get(path);
        if (ino != null) {
            return ino;
        }
        String[] p = Arrays.copyOf(paths, paths.length + 1);
        p[p.length - 1] = path;
        paths = p;
        byPath.put(path, (long) (p.length - 1));
        return p.length - 1;
    }

    /** The path of {@code name} inside directory {@code parent}. */
    static String child(String parent, String name) {
        return parent.equals("/") ? "/" + name : parent + "/" + name;
    }

    /** The directory holding {@code path} ("/" for the root itself). */
    static String parent(String path) {
        int i = path.lastIndexOf('/');
        return i <= 0 ? "/" : path.substring(0, i);
    }
}
