// SPDX-License-Identifier: MIT
/* snapout.c - snapshot file names, the check before tracing, failures. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/snapout.h"
#include "profile/pprof.h"

struct as_snapout {
	char *pattern; /* NULL: the default name */
	char target[64];
	bool verbose;
	unsigned long long n; /* snapshots asked for */
	unsigned lost;
};

int snapout__new(const char *pattern, const char *target, bool verbose,
		 struct as_snapout **out)
{
	struct as_snapout *so = calloc(1, sizeof(*so));

	if (!so)
		return -ENOMEM;
	if (pattern && !(so->pattern = strdup(pattern))) {
		free(so);
		return -ENOMEM;
	}
	snprintf(so->target, sizeof(so->target), "%s", target);
	so->verbose = verbose;
	*out = so;
	return 0;
}

void snapout__free(struct as_snapout *so)
{
	if (!so)
		return;
	free(so->pattern);
	free(so);
}

void snapout__expand(const char *pattern, const char *target,
		     unsigned long long n, char *buf, size_t len)
{
	const char *p = pattern;
	size_t off = 0;
	struct tm tm;
	time_t now = time(NULL);

	localtime_r(&now, &tm);
	for (; *p && off + 1 < len; p++) {
		if (*p != '%' || !p[1]) {
			buf[off++] = *p;
			continue;
		}
		p++;
		if (*p == 'n')
			off += snprintf(buf + off, len - off, "%llu", n);
		else if (*p == 'p')
			off += snprintf(buf + off, len - off, "%s", target);
		else if (*p == 't')
			off += strftime(buf + off, len - off, "%Y%m%d-%H%M%S",
					&tm);
		else
			buf[off++] = *p;
		if (off >= len)
			off = len - 1;
	}
	buf[off] = 0;
}

static void path_of(const struct as_snapout *so, unsigned long long n,
		    char *buf, size_t len)
{
	if (so->pattern)
		snapout__expand(so->pattern, so->target, n, buf, len);
	else
		snprintf(buf, len, "allocsnoop-%s-%llu.pb.gz", so->target,
			 (unsigned long long)time(NULL));
}

int snapout__check(const struct as_snapout *so)
{
	char path[PATH_MAX], probe[PATH_MAX + 32];
	const char *dir;
	struct stat st;
	int fd, err;

	path_of(so, 1, path, sizeof(path));
	dir = dirname(path);
	if (stat(dir, &st) || !S_ISDIR(st.st_mode)) {
		err = stat(dir, &st) ? -errno : -ENOTDIR;
		fprintf(stderr,
			"allocsnoop: cannot write snapshots to %s: %s; create "
			"the directory or choose another -o\n",
			dir, strerror(-err));
		return err;
	}
	/* root passes every permission check: only a real file says
	 * whether this file system takes one */
	snprintf(probe, sizeof(probe), "%s/.allocsnoop-XXXXXX", dir);
	fd = mkstemp(probe);
	if (fd < 0) {
		err = -errno;
		fprintf(stderr,
			"allocsnoop: cannot write snapshots to %s: %s; choose "
			"another -o\n",
			dir, strerror(-err));
		return err;
	}
	close(fd);
	unlink(probe);
	return 0;
}

static int write_to(struct as_snapout *so, const struct as_snapshot *s,
		    char *path, size_t len)
{
	char err[256];
	int rc;

	path_of(so, ++so->n, path, len);
	rc = snapshot__write(s, path, err, sizeof(err));
	if (rc) {
		so->lost++;
		fprintf(stderr,
			"allocsnoop: snapshot %llu lost: %s; tracing goes on\n",
			so->n, err);
	} else if (!so->pattern || so->verbose) {
		fprintf(stderr, "allocsnoop: wrote snapshot %s\n", path);
	}
	return rc;
}

int snapout__write(struct as_snapout *so, const struct as_snapshot *s)
{
	char path[PATH_MAX];

	return write_to(so, s, path, sizeof(path));
}

int snapout__write_pid(struct as_snapout *so, const struct as_snapshot *s,
		       uint32_t pid, char *path, size_t len)
{
	char keep[sizeof(so->target)];
	int rc;

	memcpy(keep, so->target, sizeof(keep));
	snprintf(so->target, sizeof(so->target), "%u", pid);
	rc = write_to(so, s, path, len);
	memcpy(so->target, keep, sizeof(keep));
	return rc;
}

unsigned snapout__lost(const struct as_snapout *so)
{
	return so ? so->lost : 0;
}
