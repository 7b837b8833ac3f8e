/* SPDX-License-Identifier: MIT */
/*
 * procmaps.h - which file backs each executable mapping of a process.
 *
 * Owned by the procmaps module. It reads /proc/PID/maps while a process
 * lives and keeps, per process, its executable mappings and, per distinct
 * file, an open descriptor and the build-id, so that stacks can be
 * symbolized after the process has exited, after the file was deleted, and
 * for files in another mount namespace (opened through /proc/PID/map_files
 * or /proc/PID/root).
 */
#ifndef ALLOCSNOOP_PROCMAPS_H
#define ALLOCSNOOP_PROCMAPS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* One distinct object file, shared by every process that maps it. */
struct as_module_file {
	char *path; /* path as the process named it (may end in " (deleted)") */
	char *build_id; /* lowercase hex, NULL when none */
	int fd; /* open read-only descriptor of the file, -1 if it could not be
		   opened */
	dev_t dev;
	ino_t ino;
};

/* An address resolved against a process's mappings. */
struct as_addr_info {
	const struct as_module_file *file; /* owned by the procmaps */
	uint64_t start, limit, pgoff;	   /* the mapping */
	uint64_t file_offset;		   /* address - start + pgoff */
};

struct as_procmaps;

int procmaps__new(struct as_procmaps **out);
void procmaps__free(struct as_procmaps *pm);

/* (Re)reads /proc/PID/maps. Returns 0, -ESRCH if the process is gone. */
int procmaps__refresh(struct as_procmaps *pm, pid_t pid);
/* True when a refresh of @pid has succeeded at least once. */
bool procmaps__known(const struct as_procmaps *pm, pid_t pid);
/* Drops a process's mappings (files stay cached). */
void procmaps__forget(struct as_procmaps *pm, pid_t pid);

/* Returns 0, or -ENOENT when no executable mapping of @pid holds @addr. */
int procmaps__lookup(const struct as_procmaps *pm, pid_t pid, uint64_t addr,
		     struct as_addr_info *out);

/*
 * True when process @pid is gone: /proc has no entry for it, or it is a
 * zombie or dead (its maps then read empty, as a kernel thread's do).
 */
bool procmaps__process_gone(pid_t pid);
/* The same, from the text of its /proc/PID/stat. */
bool procmaps__stat_gone(const char *stat);

/*
 * Finds the mapped file of @pid whose basename starts with @prefix (e.g.
 * "libc.so", "libc-"), and writes a path that this process can open
 * (through /proc/PID/root when needed) into @buf. Returns 0 or -ENOENT.
 */
int procmaps__find_lib(pid_t pid, const char *prefix, char *buf, size_t len);

/*
 * The address at which @pid maps byte @file_offset of the file (@dev,
 * @ino) into *@addr (a data symbol's place, e.g. CPython's _PyRuntime).
 * Returns 0, -ENOENT when no mapping of that file holds it, -ESRCH when
 * the process is gone.
 */
int procmaps__file_addr(pid_t pid, dev_t dev, ino_t ino, uint64_t file_offset,
			uint64_t *addr);

/* One executable file a process maps. */
struct as_mapped_file {
	const char *path;	 /* a path this process can open */
	const char *mapped_path; /* as the process named it */
	dev_t dev;
	ino_t ino;
};

typedef int (*procmaps_file_fn)(const struct as_mapped_file *f, void *ctx);

/*
 * Calls @fn once for each file @pid maps executable, in address order,
 * until @fn returns non-0, which it then returns. Returns 0, -ESRCH when
 * the process is gone, or another negative errno.
 */
int procmaps__for_each_file(pid_t pid, procmaps_file_fn fn, void *ctx);

#endif
