/*
 * The benchmark's C peer: a read-only FUSE file system (libfuse 2, as jnr-fuse uses) that shows one file,
 * served the way vmcorefs serves an image-backed /proc/vmcore: read_buf answers with the file's descriptor
 * and offset (libfuse splices it with -o splice_write), direct_io, one thread (-s). What vmcorefs costs
 * over this is what Java and the model cost. Bench-only; built by bench/bench.py.
 *
 *   splicefs FILE MOUNTPOINT -s -o splice_write [other FUSE options]
 */
#define FUSE_USE_VERSION 29
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <fuse.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int backing_fd = -1;
static const char *name = "/file";

static int sf_getattr(const char *path, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	if (strcmp(path, "/") == 0) {
		st->st_mode = S_IFDIR | 0500;
		st->st_nlink = 2;
		return 0;
	}
	if (strcmp(path, name) != 0)
		return -ENOENT;
	struct stat b;
	if (fstat(backing_fd, &b) < 0)
		return -errno;
	st->st_mode = S_IFREG | 0400;
	st->st_nlink = 1;
	st->st_size = b.st_size;
	return 0;
}

static int sf_readdir(const char *path, void *buf, fuse_fill_dir_t fill, off_t off, struct fuse_file_info *fi)
{
	(void) off;
	(void) fi;
	if (strcmp(path, "/") != 0)
		return -ENOENT;
	fill(buf, ".", NULL, 0);
	fill(buf, "..", NULL, 0);
	fill(buf, name + 1, NULL, 0);
	return 0;
}

static int sf_open(const char *path, struct fuse_file_info *fi)
{
	if (strcmp(path, name) != 0)
		return -ENOENT;
	fi->direct_io = 1;
	return 0;
}

static int sf_read_buf(const char *path, struct fuse_bufvec **bufp, size_t size, off_t off,
		       struct fuse_file_info *fi)
{
	(void) path;
	(void) fi;
	struct fuse_bufvec *v = malloc(sizeof(*v));
	if (v == NULL)
		return -ENOMEM;
	*v = FUSE_BUFVEC_INIT(size);
	v->buf[0].flags = FUSE_BUF_IS_FD | FUSE_BUF_FD_SEEK;
	v->buf[0].fd = backing_fd;
	v->buf[0].pos = off;
	*bufp = v;
	return 0;
}

static struct fuse_operations ops = {
	.getattr = sf_getattr,
	.readdir = sf_readdir,
	.open = sf_open,
	.read_buf = sf_read_buf,
};

int main(int argc, char *argv[])
{
	if (argc < 3) {
		fprintf(stderr, "usage: %s FILE MOUNTPOINT [FUSE options]\n", argv[0]);
		return 2;
	}
	backing_fd = open(argv[1], O_RDONLY | O_CLOEXEC);
	if (backing_fd < 0) {
		perror(argv[1]);
		return 1;
	}
	argv[1] = argv[0];
	return fuse_main(argc - 1, argv + 1, &ops, NULL);
}
