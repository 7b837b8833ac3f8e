// SPDX-License-Identifier: MIT
/* atomic_file.c - temp file in the same directory, fsync, rename. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/atomic_file.h"

/* The file being written: freed by atomic_file_release(). */
struct as_atomic_file {
	const char *path, *what;
	char *dir; /* the target's directory */
	char *tmp; /* the temp file's path; NULL once renamed */
	mode_t mode;
	int fd;
	char *err;
	size_t errlen;
};

static int fail(const struct as_atomic_file *f, int ret, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(const struct as_atomic_file *f, int ret, const char *fmt, ...)
{
	va_list ap;

	if (f->err && f->errlen) {
		va_start(ap, fmt);
		vsnprintf(f->err, f->errlen, fmt, ap);
		va_end(ap);
	}
	return ret;
}

static const char *space_hint(int ret)
{
	return ret == -ENOSPC || ret == -EDQUOT
		   ? "; free some space or write elsewhere"
		   : "";
}

int atomic_file__write_all(int fd, const void *p, size_t n)
{
	const char *c = p;
	ssize_t r;

	while (n) {
		r = write(fd, c, n);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		c += r;
		n -= (size_t)r;
	}
	return 0;
}

/* Names the directory and a temp file ".BASE.XXXXXX" in it. */
static int name_temp(struct as_atomic_file *f)
{
	const char *slash = strrchr(f->path, '/');
	const char *base = slash ? slash + 1 : f->path;

	if (!*base)
		return fail(f, -EISDIR,
			    "cannot write %s %s: it names a directory; give a "
			    "file name",
			    f->what, f->path);
	if (slash)
		f->dir = strndup(
		    f->path, slash == f->path ? 1 : (size_t)(slash - f->path));
	else
		f->dir = strdup(".");
	if (!f->dir || asprintf(&f->tmp, "%s/.%s.XXXXXX", f->dir, base) < 0) {
		f->tmp = NULL;
		return fail(f, -ENOMEM, "cannot write %s %s: out of memory",
			    f->what, f->path);
	}
	return 0;
}

static int create_temp(struct as_atomic_file *f)
{
	f->fd = mkostemp(f->tmp, O_CLOEXEC);
	if (f->fd < 0) {
		/* nothing was created: nothing to unlink */
		free(f->tmp);
		f->tmp = NULL;
		return fail(f, -errno,
			    "cannot create a temporary file in %s for %s %s: "
			    "%s; check that the directory exists and is "
			    "writable",
			    f->dir, f->what, f->path, strerror(errno));
	}
	/* mkostemp makes it 0600 already; an odd umask cannot widen that,
	 * but say so if the file system refuses the mode */
	if (fchmod(f->fd, f->mode))
		return fail(f, -errno,
			    "cannot give %s mode %04o: %s; write to a file "
			    "system that keeps modes",
			    f->tmp, f->mode, strerror(errno));
	return 0;
}

/* Makes the content durable and closes the temp file. */
static int finish_temp(struct as_atomic_file *f)
{
	int ret = 0;

	if (fsync(f->fd))
		ret = -errno;
	if (close(f->fd) && !ret)
		ret = -errno;
	f->fd = -1;
	if (ret)
		return fail(f, ret, "cannot write %s %s: %s%s", f->what,
			    f->path, strerror(-ret), space_hint(ret));
	return 0;
}

/* Makes the rename itself durable. */
static int sync_dir(const struct as_atomic_file *f)
{
	int dfd = open(f->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), ret = 0;

	if (dfd < 0)
		return 0; /* a directory we may write but not read */
	/* some file systems cannot sync a directory: EINVAL is no failure */
	if (fsync(dfd) && errno != EINVAL)
		ret = fail(f, -errno,
			   "wrote %s %s, but syncing its directory failed: "
			   "%s; check the file system",
			   f->what, f->path, strerror(errno));
	close(dfd);
	return ret;
}

static int write_file(const char *path, const char *what, mode_t mode,
		      atomic_file_fill_fn fill, void *ctx, char *err,
		      size_t errlen)
{
	struct as_atomic_file f = {.path = path,
				   .what = what,
				   .mode = mode,
				   .fd = -1,
				   .err = err,
				   .errlen = errlen};
	int ret;

	ret = name_temp(&f);
	if (ret)
		goto cleanup;
	ret = create_temp(&f);
	if (ret)
		goto cleanup;
	ret = fill(f.fd, ctx);
	if (ret) {
		fail(&f, ret, "cannot write %s %s: %s%s", what, path,
		     strerror(-ret), space_hint(ret));
		goto cleanup;
	}
	ret = finish_temp(&f);
	if (ret)
		goto cleanup;
	if (rename(f.tmp, path)) {
		ret = fail(&f, -errno,
			   "cannot write %s %s: rename from %s: %s; check "
			   "that %s is not a directory",
			   what, path, f.tmp, strerror(errno), path);
		goto cleanup;
	}
	free(f.tmp);
	f.tmp = NULL;
	ret = sync_dir(&f);
cleanup:
	if (f.fd >= 0)
		close(f.fd);
	if (f.tmp) {
		unlink(f.tmp);
		free(f.tmp);
	}
	free(f.dir);
	return ret;
}

int atomic_file__write(const char *path, const char *what,
		       atomic_file_fill_fn fill, void *ctx, char *err,
		       size_t errlen)
{
	return write_file(path, what, 0600, fill, ctx, err, errlen);
}

int atomic_file__write_shared(const char *path, const char *what,
			      atomic_file_fill_fn fill, void *ctx, char *err,
			      size_t errlen)
{
	mode_t mask = umask(0);

	umask(mask);
	return write_file(path, what, 0666 & ~mask, fill, ctx, err, errlen);
}
