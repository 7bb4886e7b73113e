package org.vmcorefs.format.struct;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * The NT_PRPSINFO descriptor of 64-bit Linux, as the s390 dump kernel writes it once before the CPUs'
 * notes: zeros but the state letter 'R' and the name "vmlinux".
 *
 * <pre>
 * struct elf_prpsinfo {
 *   char pr_state;           // 0x00
 *   char pr_sname;           // 0x01  'R'
 *   char pr_zomb;            // 0x02
 *   char pr_nice;            // 0x03
 *   unsigned long pr_flag;   // 0x08
 *   __kernel_uid_t pr_uid;   // 0x10
 *   __kernel_gid_t pr_gid;   // 0x14
 *   pid_t pr_pid, pr_ppid, pr_pgrp, pr_sid;   // 0x18 .. 0x27
 *   char pr_fname[16];       // 0x28  "vmlinux"
 *   char pr_psargs[80];      // 0x38
 * };                         // 0x88
 * </pre>
 */
public final class ElfPrpsinfo {
    public static final int SIZE = 0x88;
    static final int PR_SNAME = 0x01;
    static final int PR_FNAME = 0x28;
    static final int FNAME_SIZE = 16;

    private ElfPrpsinfo() {
    }

    /** The descriptor with {@code sname} and {@code fname} (at most 15 characters), in {@code order}. */
    public static byte[] of(char sname, String fname, ByteOrder order) {
        byte[] name = fname.getBytes(StandardCharsets.US_ASCII);
        if (name.length >= FNAME_SIZE) {
            throw new IllegalArgumentException("pr_fname holds at most 15 characters: " + fname);
        }
        ByteBuffer b = ByteBuffer.allocate(SIZE).order(order);
        b.put(PR_SNAME, (byte) sname);
        b.put(PR_FNAME, name);
        return b.array();
    }
}
