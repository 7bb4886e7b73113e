/*
 * The benchmark's C peer on libfuse 3's low-level API: one read-only file (inode 2), served as vmcorefs's
 * libfuse 3 adapter serves an image-backed /proc/vmcore: read answers with the file's descriptor and offset
 * (fuse_reply_data with a FUSE_BUF_IS_FD bufvec; FUSE_CAP_SPLICE_WRITE asked for in init), requests up to
 * 252 pages (max_write: a 1 MiB request would need a pipe over pipe-max-size and never splice), direct_io,
 * one thread. What vmcorefs costs over this is what Java and the model cost. Bench-only; built by bench.py.
 *
 *   splicefs3 FILE MOUNTPOINT [--spin-us N] [-o FUSE options]
 *
 * --spin-us N: poll /dev/fuse without blocking for up to N microseconds after each request before sleeping
 * in poll(2) (the experiment of whether spinning wins back an idle CPU's wake-up).
 */
#define FUSE_USE_VERSION 34
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <fuse_lowlevel.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define FILE_INO 2
#define MAX_REQUEST (252 * 4096)

static int backing_fd = -1;
static const char *name = "file";

static int fill_stat(fuse_ino_t ino, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = ino;
	if (ino == FUSE_ROOT_ID) {
		st->st_mode = S_IFDIR | 0500;
		st->st_nlink = 2;
		return 0;
	}
	if (ino != FILE_INO)
		return ENOENT;
	struct stat b;
	if (fstat(backing_fd, &b) < 0)
		return errno;
	st->st_mode = S_IFREG | 0400;
	st->st_nlink = 1;
	st->st_size = b.st_size;
	return 0;
}

static void sf_init(void *userdata, struct fuse_conn_info *conn)
{
	(void) userdata;
	if (conn->capable & FUSE_CAP_SPLICE_WRITE)
		conn->want |= FUSE_CAP_SPLICE_WRITE;
	if (conn->max_write > MAX_REQUEST)
		conn->max_write = MAX_REQUEST;
}

static void sf_lookup(fuse_req_t req, fuse_ino_t parent, const char *n)
{
	struct fuse_entry_param e;
	memset(&e, 0, sizeof(e));
	if (parent != FUSE_ROOT_ID || strcmp(n, name) != 0) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	e.ino = FILE_INO;
	e.attr_timeout = 1.0;
	e.entry_timeout = 1.0;
	int err = fill_stat(FILE_INO, &e.attr);
	if (err)
		fuse_reply_err(req, err);
	else
		fuse_reply_entry(req, &e);
}

static void sf_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void) fi;
	struct stat st;
	int err = fill_stat(ino, &st);
	if (err)
		fuse_reply_err(req, err);
	else
		fuse_reply_attr(req, &st, 1.0);
}

static void sf_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi)
{
	(void) fi;
	if (ino != FUSE_ROOT_ID) {
		fuse_reply_err(req, ENOTDIR);
		return;
	}
	char buf[512];
	const char *names[] = {".", "..", name};
	fuse_ino_t inos[] = {FUSE_ROOT_ID, FUSE_ROOT_ID, FILE_INO};
	size_t used = 0;
	if (size > sizeof(buf))
		size = sizeof(buf);
	for (off_t i = off; i < 3; i++) {
		struct stat st = {.st_ino = inos[i], .st_mode = i < 2 ? S_IFDIR : S_IFREG};
		size_t n = fuse_add_direntry(req, buf + used, size - used, names[i], &st, i + 1);
		if (n > size - used)
			break;
		used += n;
	}
	fuse_reply_buf(req, buf, used);
}

static void sf_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	if (ino != FILE_INO) {
		fuse_reply_err(req, ino == FUSE_ROOT_ID ? EISDIR : ENOENT);
		return;
	}
	fi->direct_io = 1;
	fuse_reply_open(req, fi);
}

static void sf_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi)
{
	(void) ino;
	(void) fi;
	struct fuse_bufvec v = FUSE_BUFVEC_INIT(size);
	v.buf[0].flags = FUSE_BUF_IS_FD | FUSE_BUF_FD_SEEK;
	v.buf[0].fd = backing_fd;
	v.buf[0].pos = off;
	fuse_reply_data(req, &v, 0);
}

static const struct fuse_lowlevel_ops ops = {
	.init = sf_init,
	.lookup = sf_lookup,
	.getattr = sf_getattr,
	.readdir = sf_readdir,
	.open = sf_open,
	.read = sf_read,
};

static long long now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000000000LL + t.tv_nsec;
}

/* fuse_session_loop with the device non-blocking: after a request, try again for spin_ns before poll(2). */
static int spin_loop(struct fuse_session *se, long long spin_ns)
{
	int fd = fuse_session_fd(se);
	struct fuse_buf fbuf = {.mem = NULL};
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	long long idle_since = now_ns();
	int res = 0;
	while (!fuse_session_exited(se)) {
		res = fuse_session_receive_buf(se, &fbuf);
		if (res == -EAGAIN) {
			if (now_ns() - idle_since > spin_ns) {
				struct pollfd p = {.fd = fd, .events = POLLIN};
				poll(&p, 1, -1);
				idle_since = now_ns();
			}
			continue;
		}
		if (res == -EINTR)
			continue;
		if (res <= 0)
			break;
		fuse_session_process_buf(se, &fbuf);
		idle_since = now_ns();
	}
	free(fbuf.mem);
	fuse_session_reset(se);
	return res < 0 && res != -ENODEV ? -res : 0;
}

int main(int argc, char *argv[])
{
	if (argc < 3) {
		fprintf(stderr, "usage: %s FILE MOUNTPOINT [--spin-us N] [-o FUSE options]\n", argv[0]);
		return 2;
	}
	backing_fd = open(argv[1], O_RDONLY | O_CLOEXEC);
	if (backing_fd < 0) {
		perror(argv[1]);
		return 1;
	}
	const char *mountpoint = argv[2];
	long long spin_ns = -1;
	struct fuse_args args = FUSE_ARGS_INIT(0, NULL);
	fuse_opt_add_arg(&args, argv[0]);
	for (int i = 3; i < argc; i++) {
		if (strcmp(argv[i], "--spin-us") == 0 && i + 1 < argc)
			spin_ns = atoll(argv[++i]) * 1000;
		else
			fuse_opt_add_arg(&args, argv[i]);
	}
	struct fuse_session *se = fuse_session_new(&args, &ops, sizeof(ops), NULL);
	if (se == NULL)
		return 1;
	if (fuse_session_mount(se, mountpoint) != 0)
		return 1;
	fuse_daemonize(0);
	int rc = spin_ns >= 0 ? spin_loop(se, spin_ns) : fuse_session_loop(se);
	fuse_session_unmount(se);
	fuse_session_destroy(se);
	fuse_opt_free_args(&args);
	return rc ? 1 : 0;
}
