// SPDX-License-Identifier: MIT
/*
 * targets.c - the files that get probes, each probed once.
 *
 * A uprobe is set on a file (its inode), not on a process: once a file
 * is probed, every process of the filter that maps it, now or later, is
 * seen from its first call. So at start the allocator libraries installed
 * in the system's library directories are probed, then the files the
 * traced processes map; later, each load of libraries (the loader's
 * rendezvous), exec and new process makes the tracer look at that
 * process's files again. A file seen there for the first time was mapped
 * before it was probed: its calls until then were missed, and that is
 * counted (probes_late).
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "symbolize/elfsym.h"
#include "symbolize/procmaps.h"
#include "trace/allocators.h"
#include "trace/targets.h"
#include "trace/tracer.h"
#include "util/buf.h"
#include "util/u64map.h"

/* The dynamic loader's debugger rendezvous: called around every change of
 * the loaded libraries (glibc's and musl's loaders both have it). */
#define RENDEZVOUS "_dl_debug_state"

/* Where the system's shared libraries are installed. */
static const char *const lib_dirs[] = {
    "/lib/x86_64-linux-gnu",
    "/usr/lib/x86_64-linux-gnu",
    "/usr/local/lib/x86_64-linux-gnu",
    "/usr/local/lib",
    "/lib64",
    "/usr/lib64",
    "/lib",
    "/usr/lib",
};

/* Where the programs of a family are (CPython's python3.X, which has
 * libpython linked in): probed before they start, too. */
static const char *const bin_dirs[] = {
    "/usr/bin",
    "/usr/local/bin",
};

struct file_id {
	dev_t dev;
	ino_t ino;
	bool allocator; /* it got allocator probes */
};

struct as_targets {
	struct as_tracer *t;
	pid_t filter; /* the links' process, -1 = every process */
	bool verbose;
	/* every file looked at once: probed, or not an allocator */
	struct as_u64map *seen; /* hash of the id -> index into ids */
	struct file_id *ids;
	size_t nids, cap_ids;
};

int targets__new(struct as_tracer *t, pid_t filter, bool verbose,
		 struct as_targets **out)
{
	struct as_targets *tg = calloc(1, sizeof(*tg));
	int err;

	if (!tg)
		return -ENOMEM;
	tg->t = t;
	tg->filter = filter;
	tg->verbose = verbose;
	err = u64map__new(&tg->seen);
	if (err) {
		free(tg);
		return err;
	}
	*out = tg;
	return 0;
}

void targets__free(struct as_targets *tg)
{
	if (!tg)
		return;
	u64map__free(tg->seen);
	free(tg->ids);
	free(tg);
}

static uint64_t id_hash(struct file_id id)
{
	return u64map__hash_u64(u64map__hash_u64(0, id.dev), id.ino);
}

struct id_match {
	const struct as_targets *tg;
	struct file_id id;
};

static bool id_is(uint64_t idx, const void *ctx)
{
	const struct id_match *m = ctx;

	return m->tg->ids[idx].dev == m->id.dev &&
	       m->tg->ids[idx].ino == m->id.ino;
}

/* The entry of file @dev/@ino, created the first time (*@first). */
static int sight(struct as_targets *tg, dev_t dev, ino_t ino,
		 struct file_id **out, bool *first)
{
	struct id_match m = {tg, {dev, ino, false}};
	uint64_t h = id_hash(m.id), idx;

	*first = !u64map__find(tg->seen, h, id_is, &m, &idx);
	if (*first) {
		if (BUF_RESERVE(tg->ids, tg->cap_ids, tg->nids + 1) ||
		    u64map__add(tg->seen, h, tg->nids))
			return -ENOMEM;
		idx = tg->nids++;
		tg->ids[idx] = m.id;
	}
	*out = &tg->ids[idx];
	return 0;
}

static const char *base_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

static bool has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

static bool is_loader(const char *path)
{
	return has_prefix(base_of(path), "ld-linux") ||
	       has_prefix(base_of(path), "ld-musl");
}

/* Is @path a runtime library whose frames are stepped through? */
static bool steps_through(const char *path)
{
	const struct as_runtime_lib *libs;
	size_t n, i;

	libs = allocators__runtime_libs(&n);
	if (allocators__family_of(path) == allocators__family("glibc"))
		return true;
	for (i = 0; i < n; i++)
		if (libs[i].soname && has_prefix(base_of(path), libs[i].prefix))
			return true;
	return false;
}

static int probe_rendezvous(struct as_targets *tg, const char *path)
{
	struct as_elfsym sym;
	int err;

	err = elfsym__lookup(path, RENDEZVOUS, &sym);
	if (err)
		return err == -ENOENT ? 0 : err;
	if (tg->verbose)
		fprintf(stderr,
			"allocsnoop: %s: " RENDEZVOUS
			" at 0x%llx: loads of libraries\n",
			path, (unsigned long long)sym.file_offset);
	return tracer__attach_rendezvous(tg->t, path, sym.file_offset,
					 tg->filter);
}

/*
 * Probes one file seen for the first time, by what it is: an allocator of
 * a family, a file exporting the C allocator functions (a static binary, a
 * private allocator), the loader, a runtime library. Returns the number
 * of allocator functions probed (0: none), or a negative errno.
 */
static int probe_file(struct as_targets *tg, const char *path)
{
	const struct as_alloc_family *fam = allocators__family_of(path);
	int n;

	if (steps_through(path))
		tracer__add_runtime_file(tg->t, path);
	if (is_loader(path)) {
		n = probe_rendezvous(tg, path);
		return n < 0 ? n : 0;
	}
	n = tracer__attach_lib(tg->t, fam ? fam : allocators__family("static"),
			       path, tg->filter);
	return n == -ENOENT || n == -ENOEXEC ? 0 : n;
}

struct scan {
	struct as_targets *tg;
	bool late;
	int allocators; /* allocator files the process maps */
};

static int scan_file(const struct as_mapped_file *f, void *ctx)
{
	struct scan *sc = ctx;
	struct file_id *id;
	bool first;
	int n;

	n = sight(sc->tg, f->dev, f->ino, &id, &first);
	if (n)
		return n;
	if (!first) {
		sc->allocators += id->allocator;
		return 0;
	}
	n = probe_file(sc->tg, f->path);
	if (n == -ESRCH)
		return n;
	if (n <= 0)
		return 0; /* said; the other files still count */
	id->allocator = true;
	sc->allocators++;
	if (sc->late) {
		/* mapped before it was probed: what it did until now was
		 * not seen */
		tracer__count_lost(sc->tg->t, AS_LOST_LATE_PROBES);
		if (sc->tg->verbose)
			fprintf(stderr,
				"allocsnoop: %s was probed only after a "
				"process had mapped it\n",
				f->mapped_path);
	}
	return 0;
}

int targets__scan_process(struct as_targets *tg, pid_t pid, bool late)
{
	struct scan sc = {tg, late, 0};
	int err;

	err = procmaps__for_each_file(pid, scan_file, &sc);
	return err ? err : sc.allocators;
}

/* Probes the file at @path unless it was looked at already. */
static int probe_once(struct as_targets *tg, const char *path)
{
	struct file_id *id;
	struct stat st;
	bool first;
	int n;

	if (stat(path, &st) || !S_ISREG(st.st_mode))
		return 0;
	n = sight(tg, st.st_dev, st.st_ino, &id, &first);
	if (n || !first)
		return n;
	n = probe_file(tg, path);
	id->allocator = n > 0;
	return n < 0 && n != -ESRCH ? n : 0;
}

/* Probes the files of a family in directory @dir: its libraries, or
 * with @programs its programs. */
static int scan_dir(struct as_targets *tg, const char *dir, bool programs)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d;
	int err = 0;

	d = opendir(dir);
	if (!d)
		return 0; /* not on this system */
	while (!err && (de = readdir(d))) {
		if (!allocators__family_of(de->d_name) ||
		    !strstr(de->d_name, ".so") != programs)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		err = probe_once(tg, path);
	}
	closedir(d);
	return err;
}

int targets__attach_system(struct as_targets *tg, const char *program)
{
	char libc[PATH_MAX];
	size_t i;
	int err;

	err = procmaps__find_lib(getpid(), "libc.so", libc, sizeof(libc));
	if (err) {
		fprintf(stderr,
			"allocsnoop: cannot find the system's libc in "
			"/proc/self/maps: %s\n",
			strerror(-err));
		return err;
	}
	/* the runtime libraries next to it, mapped or not yet */
	tracer__add_runtime(tg->t, 0, libc);
	/* allocsnoop's own files: the system's libc and loader */
	err = targets__scan_process(tg, getpid(), false);
	for (i = 0; err >= 0 && i < sizeof(lib_dirs) / sizeof(lib_dirs[0]); i++)
		err = scan_dir(tg, lib_dirs[i], false);
	for (i = 0; err >= 0 && i < sizeof(bin_dirs) / sizeof(bin_dirs[0]); i++)
		err = scan_dir(tg, bin_dirs[i], true);
	if (err < 0) {
		fprintf(stderr,
			"allocsnoop: cannot probe the system's allocator "
			"libraries: %s\n",
			strerror(-err));
		return err;
	}
	/* a static command carries its own malloc */
	return program ? probe_once(tg, program) : 0;
}

int targets__scan_all(struct as_targets *tg)
{
	struct dirent *de;
	char *end;
	long pid;
	DIR *d;
	int n;

	d = opendir("/proc");
	if (!d) {
		n = -errno;
		fprintf(stderr, "allocsnoop: cannot list /proc: %s\n",
			strerror(-n));
		return n;
	}
	while ((de = readdir(d))) {
		pid = strtol(de->d_name, &end, 10);
		if (*end || pid <= 0 || pid == getpid())
			continue;
		/* a process may end meanwhile; kernel threads map nothing */
		n = targets__scan_process(tg, (pid_t)pid, false);
		if (n < 0 && n != -ESRCH && n != -EACCES && n != -ENOENT)
			break;
	}
	closedir(d);
	return 0;
}
