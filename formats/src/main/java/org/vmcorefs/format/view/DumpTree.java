package org.vmcorefs.format.view;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableSet;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.ConcurrentSkipListSet;

/**
 * The files of a capture environment by absolute path; directories are implied by the files' paths. Safe for
 * readers while a control file removes a file (fadump's release_mem takes /proc/vmcore away).
 */
public final class DumpTree {
    private final Map<String, VirtualFile> files = new ConcurrentSkipListMap<>();
    private final NavigableSet<String> directories = new ConcurrentSkipListSet<>(List.of("/"));
    private final Instant time;

    public DumpTree(Instant time) {
        this.time = time;
    }

    /** The time every file shows: the crash. */
    public Instant time() {
        return time;
    }

    public DumpTree add(String path, VirtualFile file) {
        if (!path.startsWith("/") || path.endsWith("/")) {
            throw new IllegalArgumentException("bad path " + path);
        }
        files.put(path, file);
        for (int i = path.indexOf('/', 1); i > 0; i = path.indexOf('/', i + 1)) {
            directories.add(path.substring(0, i));
        }
        return this;
    }

    public DumpTree remove(String path) {
        files.remove(path);
        return this;
    }

    public VirtualFile file(String path) {
        return files.get(path);
    }

    public boolean isDirectory(String path) {
        return directories.contains(path);
    }

    public Map<String, VirtualFile> files() {
        return Map.copyOf(files);
    }

    /** The names directly inside directory {@code path}. */
    public List<String> list(String path) {
        String prefix = path.equals("/") ? "/" : path + "/";
        List<String> names = new ArrayList<>();
        for (String p : directories.tailSet(prefix, false)) {
            if (!p.startsWith(prefix)) {
                break;
            }
            if (p.indexOf('/', prefix.length()) < 0) {
                names.add(p.substring(prefix.length()));
            }
        }
        for (String p : files.keySet()) {
            if (p.startsWith(prefix) && p.indexOf('/', prefix.length()) < 0) {
                names.add(p.substring(prefix.length()));
            }
        }
        return names;
    }
}
