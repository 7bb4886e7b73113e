package org.vmcorefs.fs.fuse3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The struct offsets, flag values and operation slots that the libfuse 3 adapter hard-codes, against the C
 * compiler's answer for the installed headers (layouts.c, built with gcc and pkg-config fuse3: libfuse3-dev).
 */
class LayoutsTest {
    private static final Map<String, Long> C = new HashMap<>();

    @BeforeAll
    static void compileAndRun(@TempDir Path dir) throws IOException, InterruptedException {
        Path src = dir.resolve("layouts.c");
        try (InputStream in = LayoutsTest.class.getResourceAsStream("layouts.c")) {
            Files.copy(in, src);
        }
        String cflags = run(List.of("pkg-config", "--cflags", "fuse3"));
        assumeTrue(cflags != null, "pkg-config fuse3 fails: install libfuse3-dev (scripts/install-deps.sh)");
        List<String> cc = new ArrayList<>(List.of("gcc", "-Wall", "-o", dir.resolve("layouts").toString(), src.toString()));
        cc.addAll(List.of(cflags.trim().split("\\s+")));
        assumeTrue(run(cc) != null, "gcc cannot build layouts.c");
        String out = run(List.of(dir.resolve("layouts").toString()));
        for (String line : out.split("\n")) {
            String[] f = line.trim().split(" ");
            C.put(f[0], Long.parseLong(f[1]));
        }
    }

    private static String run(List<String> cmd) throws IOException, InterruptedException {
        Process p;
        try {
            p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        } catch (IOException e) {
            return null;
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            return null;
        }
        return out;
    }

    private static void check(String name, long javaValue) {
        assertEquals(C.get(name), Long.valueOf(javaValue), name);
    }

    @Test
    void fileInfo() {
        check("fuse_file_info.size", FuseFileInfo.SIZE);
        check("fuse_file_info.flags", FuseFileInfo.FLAGS);
        check("fuse_file_info.fh", FuseFileInfo.FH);
        check("fuse_file_info.direct_io", FuseFileInfo.DIRECT_IO);
        check("fuse_file_info.keep_cache", FuseFileInfo.KEEP_CACHE);
    }

    @Test
    void connInfo() {
        check("fuse_conn_info.size", FuseConnInfo.SIZE);
        check("fuse_conn_info.max_write", FuseConnInfo.MAX_WRITE);
        check("fuse_conn_info.capable", FuseConnInfo.CAPABLE);
        check("fuse_conn_info.want", FuseConnInfo.WANT);
        check("FUSE_CAP_ATOMIC_O_TRUNC", FuseConnInfo.CAP_ATOMIC_O_TRUNC);
        check("FUSE_CAP_SPLICE_WRITE", FuseConnInfo.CAP_SPLICE_WRITE);
    }

    @Test
    void stat() {
        check("stat.size", Stat.SIZE);
        check("stat.st_ino", Stat.INO);
        check("stat.st_nlink", Stat.NLINK);
        check("stat.st_mode", Stat.MODE);
        check("stat.st_uid", Stat.UID);
        check("stat.st_gid", Stat.GID);
        check("stat.st_size", Stat.SIZE_);
        check("stat.st_blocks", Stat.BLOCKS);
        check("stat.st_atim", Stat.ATIME);
        check("stat.st_mtim", Stat.MTIME);
        check("stat.st_ctim", Stat.CTIME);
    }

    @Test
    void entryParam() {
        check("fuse_entry_param.size", FuseEntryParam.SIZE);
        check("fuse_entry_param.ino", FuseEntryParam.INO);
        check("fuse_entry_param.generation", FuseEntryParam.GENERATION);
        check("fuse_entry_param.attr", FuseEntryParam.ATTR);
        check("fuse_entry_param.attr_timeout", FuseEntryParam.ATTR_TIMEOUT);
        check("fuse_entry_param.entry_timeout", FuseEntryParam.ENTRY_TIMEOUT);
    }

    @Test
    void bufvec() {
        check("fuse_bufvec.size", FuseBufvec.SIZE);
        check("fuse_bufvec.count", FuseBufvec.COUNT);
        check("fuse_bufvec.idx", FuseBufvec.IDX);
        check("fuse_bufvec.off", FuseBufvec.OFF);
        check("fuse_bufvec.buf.size", FuseBufvec.BUF_SIZE);
        check("fuse_bufvec.buf.flags", FuseBufvec.BUF_FLAGS);
        check("fuse_bufvec.buf.mem", FuseBufvec.BUF_MEM);
        check("fuse_bufvec.buf.fd", FuseBufvec.BUF_FD);
        check("fuse_bufvec.buf.pos", FuseBufvec.BUF_POS);
        check("FUSE_BUF_IS_FD", FuseBufvec.FUSE_BUF_IS_FD);
        check("FUSE_BUF_FD_SEEK", FuseBufvec.FUSE_BUF_FD_SEEK);
    }

    @Test
    void args() {
        check("fuse_args.size", Fuse3Mount.ARGS_SIZE);
        check("fuse_args.argc", Fuse3Mount.ARGS_ARGC);
        check("fuse_args.argv", Fuse3Mount.ARGS_ARGV);
    }

    @Test
    void operationSlots() {
        check("slots", LowLevelOps.SLOTS);
        check("slot.init", LowLevelOps.INIT);
        check("slot.destroy", LowLevelOps.DESTROY);
        check("slot.lookup", LowLevelOps.LOOKUP);
        check("slot.getattr", LowLevelOps.GETATTR);
        check("slot.setattr", LowLevelOps.SETATTR);
        check("slot.open", LowLevelOps.OPEN);
        check("slot.read", LowLevelOps.READ);
        check("slot.write", LowLevelOps.WRITE);
        check("slot.release", LowLevelOps.RELEASE);
        check("slot.readdir", LowLevelOps.READDIR);
    }

    @Test
    void setattrBits() {
        check("FUSE_SET_ATTR_MODE", Fuse3Fs.SET_MODE);
        check("FUSE_SET_ATTR_UID", Fuse3Fs.SET_UID);
        check("FUSE_SET_ATTR_GID", Fuse3Fs.SET_GID);
        check("FUSE_SET_ATTR_SIZE", Fuse3Fs.SET_SIZE);
        check("FUSE_SET_ATTR_ATIME", Fuse3Fs.SET_ATIME);
        check("FUSE_SET_ATTR_MTIME", Fuse3Fs.SET_MTIME);
    }
}
