// SPDX-License-Identifier: MIT
/*
 * procmaps.c - per-process executable mappings and the files behind them.
 *
 * Processes are kept in an array sorted by pid, each with its executable
 * mappings sorted by start address, so that lookups are binary searches.
 * Files are cached by (dev, inode) from the maps line and never released
 * before procmaps__free(): holding the descriptor keeps the inode alive, so
 * its number cannot be reused by another file while it is in the cache.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libelf.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <elfutils/libdwelf.h>

#include "symbolize/procmaps.h"
#include "util/buf.h"

#define DELETED_SUFFIX " (deleted)"

struct pm_map {
	uint64_t start, limit, pgoff;
	struct as_module_file *file;
};

struct pm_proc {
	pid_t pid;
	size_t nmaps;
	struct pm_map *maps;
};

struct as_procmaps {
	size_t nprocs, cap_procs;
	struct pm_proc *procs; /* sorted by pid */
	size_t nfiles, cap_files;
	struct as_module_file **files; /* sorted by (dev, ino) */
};

/* One parsed line of /proc/PID/maps. */
struct maps_line {
	uint64_t start, limit, pgoff;
	char perms[5];
	dev_t dev;
	ino_t ino;
	const char *path; /* "" for anonymous mappings; points into the line */
};

int procmaps__new(struct as_procmaps **out)
{
	struct as_procmaps *pm = calloc(1, sizeof(*pm));

	if (!pm)
		return -ENOMEM;
	/* Selects the libelf API version; it is required before elf_begin. */
	elf_version(EV_CURRENT);
	*out = pm;
	return 0;
}

static void file_free(struct as_module_file *f)
{
	if (!f)
		return;
	if (f->fd >= 0)
		close(f->fd);
	free(f->path);
	free(f->build_id);
	free(f);
}

void procmaps__free(struct as_procmaps *pm)
{
	if (!pm)
		return;
	for (size_t i = 0; i < pm->nprocs; i++)
		free(pm->procs[i].maps);
	free(pm->procs);
	for (size_t i = 0; i < pm->nfiles; i++)
		file_free(pm->files[i]);
	free(pm->files);
	free(pm);
}

/* Index of @pid in pm->procs, or of where it would be inserted. */
static size_t proc_index(const struct as_procmaps *pm, pid_t pid, bool *found)
{
	size_t lo = 0, hi = pm->nprocs;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (pm->procs[mid].pid < pid)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = lo < pm->nprocs && pm->procs[lo].pid == pid;
	return lo;
}

static int file_cmp(dev_t dev, ino_t ino, const struct as_module_file *f)
{
	if (dev != f->dev)
		return dev < f->dev ? -1 : 1;
	if (ino != f->ino)
		return ino < f->ino ? -1 : 1;
	return 0;
}

static size_t file_index(const struct as_procmaps *pm, dev_t dev, ino_t ino,
			 bool *found)
{
	size_t lo = 0, hi = pm->nfiles;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (file_cmp(dev, ino, pm->files[mid]) > 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = lo < pm->nfiles && file_cmp(dev, ino, pm->files[lo]) == 0;
	return lo;
}

/*
 * Parses "start-limit perms pgoff major:minor inode   path". The path is
 * everything after the padding that follows the inode, so it may contain
 * spaces; the kernel escapes newlines in it.
 */
static int parse_maps_line(char *line, struct maps_line *ml)
{
	unsigned long long start, limit, pgoff, ino;
	unsigned int major, minor;
	int n = -1;
	size_t len;

	if (sscanf(line, "%llx-%llx %4s %llx %x:%x %llu %n", &start, &limit,
		   ml->perms, &pgoff, &major, &minor, &ino, &n) < 7 ||
	    n < 0)
		return -EINVAL;
	len = strlen(line);
	if (len && line[len - 1] == '\n')
		line[--len] = '\0';
	ml->start = start;
	ml->limit = limit;
	ml->pgoff = pgoff;
	ml->dev = makedev(major, minor);
	ml->ino = ino;
	ml->path = (size_t)n <= len ? line + n : line + len;
	return 0;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t ls = strlen(s), lx = strlen(suffix);

	return ls >= lx && strcmp(s + ls - lx, suffix) == 0;
}

/* Lowercase hex build-id of the ELF file open at @fd, NULL when none. */
static char *read_build_id(int fd)
{
	const unsigned char *id;
	char *hex = NULL;
	ssize_t n;
	Elf *elf;

	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!elf)
		return NULL;
	if (elf_kind(elf) != ELF_K_ELF)
		goto cleanup;
	n = dwelf_elf_gnu_build_id(elf, (const void **)&id);
	if (n <= 0)
		goto cleanup;
	hex = malloc(2 * (size_t)n + 1);
	if (!hex)
		goto cleanup;
	for (ssize_t i = 0; i < n; i++)
		sprintf(hex + 2 * i, "%02x", id[i]);
cleanup:
	elf_end(elf);
	return hex;
}

/*
 * Opens the file behind a mapping. map_files reaches deleted files and
 * files of other mount namespaces; the path fallbacks are checked against
 * the mapped inode so that a file replaced since it was mapped is not
 * taken for it.
 */
static int open_mapped_file(pid_t pid, const struct maps_line *ml)
{
	char buf[PATH_MAX + 64];
	const char *path = ml->path;
	struct stat st;
	int fd;

	snprintf(buf, sizeof(buf), "/proc/%d/map_files/%" PRIx64 "-%" PRIx64,
		 (int)pid, ml->start, ml->limit);
	fd = open(buf, O_RDONLY | O_CLOEXEC);
	if (fd >= 0)
		return fd;
	if (ends_with(path, DELETED_SUFFIX))
		return -1;
	if ((size_t)snprintf(buf, sizeof(buf), "/proc/%d/root%s", (int)pid,
			     path) < sizeof(buf)) {
		fd = open(buf, O_RDONLY | O_CLOEXEC);
		if (fd >= 0 && fstat(fd, &st) == 0 && st.st_ino == ml->ino)
			return fd;
		if (fd >= 0)
			close(fd);
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0 && fstat(fd, &st) == 0 && st.st_ino == ml->ino)
		return fd;
	if (fd >= 0)
		close(fd);
	return -1;
}

static struct as_module_file *file_new(pid_t pid, const struct maps_line *ml)
{
	struct as_module_file *f = calloc(1, sizeof(*f));

	if (!f)
		return NULL;
	f->dev = ml->dev;
	f->ino = ml->ino;
	f->fd = -1;
	f->path = strdup(ml->path);
	if (!f->path) {
		free(f);
		return NULL;
	}
	if (ml->path[0] == '/') {
		f->fd = open_mapped_file(pid, ml);
		if (f->fd >= 0)
			f->build_id = read_build_id(f->fd);
	}
	return f;
}

/* The cached file for a mapping, opening it on first sight. */
static struct as_module_file *file_get(struct as_procmaps *pm, pid_t pid,
				       const struct maps_line *ml)
{
	struct as_module_file *f;
	bool found;
	size_t i = file_index(pm, ml->dev, ml->ino, &found);

	if (found) {
		f = pm->files[i];
		/* A file that could not be opened may be reachable from here.
		 */
		if (f->fd < 0 && ml->path[0] == '/') {
			f->fd = open_mapped_file(pid, ml);
			if (f->fd >= 0)
				f->build_id = read_build_id(f->fd);
		}
		return f;
	}
	if (BUF_RESERVE(pm->files, pm->cap_files, pm->nfiles + 1))
		return NULL;
	f = file_new(pid, ml);
	if (!f)
		return NULL;
	memmove(pm->files + i + 1, pm->files + i,
		(pm->nfiles - i) * sizeof(*pm->files));
	pm->files[i] = f;
	pm->nfiles++;
	return f;
}

/* Executable mappings worth symbolizing: files and the vDSO. */
static bool wanted(const struct maps_line *ml)
{
	if (!strchr(ml->perms, 'x'))
		return false;
	if (ml->path[0] == '/')
		return true;
	return strcmp(ml->path, "[vdso]") == 0;
}

bool procmaps__stat_gone(const char *stat)
{
	/* comm may hold spaces and parentheses: the state follows the last
	 * ')' */
	const char *p = strrchr(stat, ')');

	return !p || p[1] != ' ' || p[2] == 'Z' || p[2] == 'X' || p[2] == 'x';
}

/*
 * Reading the maps of a process that has exited (or is a zombie) yields
 * nothing rather than an error, so an empty read is checked against the
 * process state: a live kernel thread has no mappings either.
 */
bool procmaps__process_gone(pid_t pid)
{
	char path[64], buf[512];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return true;
	/* comm is at most 16 bytes: the state is well within buf */
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return true;
	buf[n] = '\0';
	return procmaps__stat_gone(buf);
}

static int open_maps(pid_t pid, FILE **out)
{
	char path[64];
	FILE *f;

	if (pid <= 0)
		return -ESRCH;
	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return errno == ENOENT ? -ESRCH : -errno;
	*out = f;
	return 0;
}

static int map_cmp(const void *a, const void *b)
{
	const struct pm_map *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return 0;
}

/* The executable mappings listed in @f, with their files, and the
 * number of lines read (0 may mean the process is gone). */
static int read_maps(struct as_procmaps *pm, pid_t pid, FILE *f,
		     struct pm_map **out, size_t *nout, size_t *lines)
{
	struct pm_map *maps = NULL;
	size_t nmaps = 0, cap = 0, linecap = 0;
	char *line = NULL;
	int err = 0;

	errno = 0;
	while (getline(&line, &linecap, f) > 0) {
		struct maps_line ml;

		(*lines)++;
		if (parse_maps_line(line, &ml) || !wanted(&ml))
			continue;
		if (BUF_RESERVE(maps, cap, nmaps + 1)) {
			err = -ENOMEM;
			goto cleanup;
		}
		maps[nmaps] = (struct pm_map){ml.start, ml.limit, ml.pgoff,
					      file_get(pm, pid, &ml)};
		if (!maps[nmaps++].file) {
			err = -ENOMEM;
			goto cleanup;
		}
		errno = 0;
	}
	/* a read that fails because the process went away: it is gone */
	if (ferror(f))
		err = errno == ESRCH || errno == ENOENT || !errno ? -ESRCH
								  : -errno;
cleanup:
	free(line);
	if (err) {
		free(maps);
		return err;
	}
	*out = maps;
	*nout = nmaps;
	return 0;
}

/* Gives @pid the @nmaps @maps (sorted), replacing what it had. */
static int proc_set_maps(struct as_procmaps *pm, pid_t pid, struct pm_map *maps,
			 size_t nmaps)
{
	struct pm_proc *proc;
	bool found;
	size_t i = proc_index(pm, pid, &found);

	if (!found) {
		if (BUF_RESERVE(pm->procs, pm->cap_procs, pm->nprocs + 1))
			return -ENOMEM;
		memmove(pm->procs + i + 1, pm->procs + i,
			(pm->nprocs - i) * sizeof(*pm->procs));
		pm->nprocs++;
		pm->procs[i] = (struct pm_proc){.pid = pid};
	}
	proc = &pm->procs[i];
	free(proc->maps);
	proc->maps = maps;
	proc->nmaps = nmaps;
	return 0;
}

int procmaps__refresh(struct as_procmaps *pm, pid_t pid)
{
	struct pm_map *maps = NULL;
	size_t nmaps = 0, lines = 0;
	FILE *f = NULL;
	int err;

	err = open_maps(pid, &f);
	if (err)
		goto cleanup;
	err = read_maps(pm, pid, f, &maps, &nmaps, &lines);
	if (err)
		goto cleanup;
	if (lines == 0 && procmaps__process_gone(pid)) {
		err = -ESRCH;
		goto cleanup;
	}
	/* The kernel lists mappings in order; sorting keeps lookup safe
	 * anyway. */
	if (nmaps > 1)
		qsort(maps, nmaps, sizeof(*maps), map_cmp);
	err = proc_set_maps(pm, pid, maps, nmaps);
	if (!err)
		maps = NULL;
cleanup:
	free(maps);
	if (f)
		fclose(f);
	return err;
}

bool procmaps__known(const struct as_procmaps *pm, pid_t pid)
{
	bool found;

	proc_index(pm, pid, &found);
	return found;
}

void procmaps__forget(struct as_procmaps *pm, pid_t pid)
{
	bool found;
	size_t i = proc_index(pm, pid, &found);

	if (!found)
		return;
	free(pm->procs[i].maps);
	memmove(pm->procs + i, pm->procs + i + 1,
		(pm->nprocs - i - 1) * sizeof(*pm->procs));
	pm->nprocs--;
}

int procmaps__lookup(const struct as_procmaps *pm, pid_t pid, uint64_t addr,
		     struct as_addr_info *out)
{
	const struct pm_proc *proc;
	const struct pm_map *m;
	size_t lo = 0, hi;
	bool found;
	size_t i = proc_index(pm, pid, &found);

	if (!found)
		return -ENOENT;
	proc = &pm->procs[i];
	/* Last mapping that starts at or below addr. */
	hi = proc->nmaps;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (proc->maps[mid].start <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return -ENOENT;
	m = &proc->maps[lo - 1];
	if (addr >= m->limit)
		return -ENOENT;
	out->file = m->file;
	out->start = m->start;
	out->limit = m->limit;
	out->pgoff = m->pgoff;
	out->file_offset = addr - m->start + m->pgoff;
	return 0;
}

/* True when @pid sees the same root directory as we do. */
static bool same_root(pid_t pid)
{
	struct stat ours, theirs;
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/root", (int)pid);
	if (stat("/", &ours) || stat(path, &theirs))
		return false;
	return ours.st_dev == theirs.st_dev && ours.st_ino == theirs.st_ino;
}

static const char *basename_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

/* Does @path name the file of maps line @ml (its device and inode)? */
static bool names_mapped(const char *path, const struct maps_line *ml)
{
	struct stat st;

	return !stat(path, &st) && st.st_dev == ml->dev && st.st_ino == ml->ino;
}

/*
 * A path to the file of maps line @ml that this process can open. The
 * kernel names the file as seen from our root when it can: as it is, or
 * else through the process's root (another mount namespace); a deleted
 * file, or one neither reaches, through map_files, which always holds the
 * mapped inode (while the process lives).
 */
static int openable_path(pid_t pid, const struct maps_line *ml, bool same,
			 char *buf, size_t len)
{
	int n = -1;

	if (!ends_with(ml->path, DELETED_SUFFIX)) {
		n = snprintf(buf, len, "%s", ml->path);
		if ((size_t)n < len && names_mapped(buf, ml))
			return 0;
		n = same ? -1
			 : snprintf(buf, len, "/proc/%d/root%s", (int)pid,
				    ml->path);
		if (n >= 0 && (size_t)n < len && names_mapped(buf, ml))
			return 0;
	}
	n = snprintf(buf, len, "/proc/%d/map_files/%" PRIx64 "-%" PRIx64,
		     (int)pid, ml->start, ml->limit);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int procmaps__find_lib(pid_t pid, const char *prefix, char *buf, size_t len)
{
	char *line = NULL;
	size_t linecap = 0, lines = 0, plen = strlen(prefix);
	FILE *f = NULL;
	int err;

	err = open_maps(pid, &f);
	if (err)
		goto cleanup;
	err = -ENOENT;
	while (getline(&line, &linecap, f) > 0) {
		struct maps_line ml;

		lines++;
		if (parse_maps_line(line, &ml) || ml.path[0] != '/' ||
		    strncmp(basename_of(ml.path), prefix, plen) != 0)
			continue;
		err = openable_path(pid, &ml, same_root(pid), buf, len);
		goto cleanup;
	}
	if (ferror(f) || (lines == 0 && procmaps__process_gone(pid)))
		err = -ESRCH;
cleanup:
	free(line);
	if (f)
		fclose(f);
	return err;
}

int procmaps__file_addr(pid_t pid, dev_t dev, ino_t ino, uint64_t file_offset,
			uint64_t *addr)
{
	char *line = NULL;
	size_t linecap = 0;
	struct maps_line ml;
	FILE *f = NULL;
	int err;

	err = open_maps(pid, &f);
	if (err)
		return err;
	err = -ENOENT;
	while (getline(&line, &linecap, f) > 0) {
		if (parse_maps_line(line, &ml) || ml.ino != ino ||
		    ml.dev != dev || file_offset < ml.pgoff ||
		    file_offset - ml.pgoff >= ml.limit - ml.start)
			continue;
		*addr = ml.start + (file_offset - ml.pgoff);
		err = 0;
		break;
	}
	free(line);
	fclose(f);
	return err;
}

int procmaps__for_each_file(pid_t pid, procmaps_file_fn fn, void *ctx)
{
	struct as_mapped_file mf;
	char *line = NULL, path[PATH_MAX + 64];
	size_t linecap = 0, lines = 0;
	dev_t last_dev = 0;
	ino_t last_ino = 0;
	FILE *f = NULL;
	bool same;
	int err;

	err = open_maps(pid, &f);
	if (err)
		goto cleanup;
	same = same_root(pid);
	while (!err && getline(&line, &linecap, f) > 0) {
		struct maps_line ml;

		lines++;
		/* a file's mappings are listed together: one call each */
		if (parse_maps_line(line, &ml) || ml.path[0] != '/' ||
		    !strchr(ml.perms, 'x') ||
		    (ml.dev == last_dev && ml.ino == last_ino))
			continue;
		last_dev = ml.dev;
		last_ino = ml.ino;
		if (openable_path(pid, &ml, same, path, sizeof(path)))
			continue;
		mf = (struct as_mapped_file){.path = path,
					     .mapped_path = ml.path,
					     .dev = ml.dev,
					     .ino = ml.ino};
		err = fn(&mf, ctx);
	}
	if (!err && (ferror(f) || (lines == 0 && procmaps__process_gone(pid))))
		err = -ESRCH;
cleanup:
	free(line);
	if (f)
		fclose(f);
	return err;
}
