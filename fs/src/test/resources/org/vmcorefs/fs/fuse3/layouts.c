/* Prints the libfuse 3 and struct stat layouts that org.vmcorefs.fs.fuse3 hard-codes, as "name value" lines,
   for LayoutsTest to compare: gcc $(pkg-config --cflags fuse3) layouts.c && ./a.out */
#define FUSE_USE_VERSION 314
#include <fuse_lowlevel.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#define OFF(t, f, name) printf("%s %zu\n", name, offsetof(t, f))
#define SLOT(f) printf("slot.%s %zu\n", #f, offsetof(struct fuse_lowlevel_ops, f) / sizeof(void (*)(void)))

static unsigned bits_of(struct fuse_file_info *fi) {
    unsigned u;
    memcpy(&u, (char *) fi + 4, 4);
    return u;
}

int main(void) {
    struct fuse_file_info fi;
    printf("fuse_file_info.size %zu\n", sizeof(struct fuse_file_info));
    OFF(struct fuse_file_info, flags, "fuse_file_info.flags");
    OFF(struct fuse_file_info, fh, "fuse_file_info.fh");
    memset(&fi, 0, sizeof fi);
    fi.direct_io = 1;
    printf("fuse_file_info.direct_io %u\n", bits_of(&fi));
    memset(&fi, 0, sizeof fi);
    fi.keep_cache = 1;
    printf("fuse_file_info.keep_cache %u\n", bits_of(&fi));

    printf("fuse_conn_info.size %zu\n", sizeof(struct fuse_conn_info));
    OFF(struct fuse_conn_info, max_write, "fuse_conn_info.max_write");
    OFF(struct fuse_conn_info, capable, "fuse_conn_info.capable");
    OFF(struct fuse_conn_info, want, "fuse_conn_info.want");
    printf("FUSE_CAP_ATOMIC_O_TRUNC %d\n", FUSE_CAP_ATOMIC_O_TRUNC);
    printf("FUSE_CAP_SPLICE_WRITE %d\n", FUSE_CAP_SPLICE_WRITE);

    printf("stat.size %zu\n", sizeof(struct stat));
    OFF(struct stat, st_ino, "stat.st_ino");
    OFF(struct stat, st_nlink, "stat.st_nlink");
    OFF(struct stat, st_mode, "stat.st_mode");
    OFF(struct stat, st_uid, "stat.st_uid");
    OFF(struct stat, st_gid, "stat.st_gid");
    OFF(struct stat, st_size, "stat.st_size");
    OFF(struct stat, st_blocks, "stat.st_blocks");
    OFF(struct stat, st_atim, "stat.st_atim");
    OFF(struct stat, st_mtim, "stat.st_mtim");
    OFF(struct stat, st_ctim, "stat.st_ctim");

    printf("fuse_entry_param.size %zu\n", sizeof(struct fuse_entry_param));
    OFF(struct fuse_entry_param, ino, "fuse_entry_param.ino");
    OFF(struct fuse_entry_param, generation, "fuse_entry_param.generation");
    OFF(struct fuse_entry_param, attr, "fuse_entry_param.attr");
    OFF(struct fuse_entry_param, attr_timeout, "fuse_entry_param.attr_timeout");
    OFF(struct fuse_entry_param, entry_timeout, "fuse_entry_param.entry_timeout");

    printf("fuse_bufvec.size %zu\n", sizeof(struct fuse_bufvec));
    OFF(struct fuse_bufvec, count, "fuse_bufvec.count");
    OFF(struct fuse_bufvec, idx, "fuse_bufvec.idx");
    OFF(struct fuse_bufvec, off, "fuse_bufvec.off");
    OFF(struct fuse_bufvec, buf[0].size, "fuse_bufvec.buf.size");
    OFF(struct fuse_bufvec, buf[0].flags, "fuse_bufvec.buf.flags");
    OFF(struct fuse_bufvec, buf[0].mem, "fuse_bufvec.buf.mem");
    OFF(struct fuse_bufvec, buf[0].fd, "fuse_bufvec.buf.fd");
    OFF(struct fuse_bufvec, buf[0].pos, "fuse_bufvec.buf.pos");
    printf("FUSE_BUF_IS_FD %d\n", FUSE_BUF_IS_FD);
    printf("FUSE_BUF_FD_SEEK %d\n", FUSE_BUF_FD_SEEK);

    printf("fuse_args.size %zu\n", sizeof(struct fuse_args));
    OFF(struct fuse_args, argc, "fuse_args.argc");
    OFF(struct fuse_args, argv, "fuse_args.argv");

    printf("slots %zu\n", sizeof(struct fuse_lowlevel_ops) / sizeof(void (*)(void)));
    SLOT(init); SLOT(destroy); SLOT(lookup); SLOT(getattr); SLOT(setattr); SLOT(open); SLOT(read);
    SLOT(write); SLOT(release); SLOT(readdir);
    printf("FUSE_SET_ATTR_MODE %d\nFUSE_SET_ATTR_UID %d\nFUSE_SET_ATTR_GID %d\nFUSE_SET_ATTR_SIZE %d\n"
           "FUSE_SET_ATTR_ATIME %d\nFUSE_SET_ATTR_MTIME %d\n", FUSE_SET_ATTR_MODE, FUSE_SET_ATTR_UID,
           FUSE_SET_ATTR_GID, FUSE_SET_ATTR_SIZE, FUSE_SET_ATTR_ATIME, FUSE_SET_ATTR_MTIME);
    return 0;
}
