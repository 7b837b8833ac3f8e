/* SPDX-License-Identifier: MIT */
/*
 * proclabels.h - what a served profile says of a process besides its pid
 * and comm: its executable, its cgroup and the container id in that
 * cgroup's path, read from /proc and kept while the process is in view.
 *
 * Owned by the proclabels module. The cgroup is the cgroup-v2 path
 * ("0::" line of /proc/PID/cgroup) when it is not the root, else the
 * first v1 hierarchy's non-root path (memory first); NULL in the root
 * everywhere. A container id is a 64-hex-digit component of that path,
 * as docker, containerd, CRI-O and podman name them (docker-ID.scope,
 * /docker/ID, cri-containerd-ID.scope, crio-ID.scope, libpod-ID.scope).
 * Used by the main loop only (not thread-safe).
 */
#ifndef ALLOCSNOOP_PROCLABELS_H
#define ALLOCSNOOP_PROCLABELS_H

#include <stddef.h>
#include <stdint.h>

struct as_proc_labels {
	uint32_t pid;
	char *exe;	 /* NULL when unreadable (exited, kernel thread) */
	char *cgroup;	 /* NULL in the root cgroup */
	char *container; /* NULL when none is recognised */
};

struct as_proclabels;

int proclabels__new(struct as_proclabels **out);
void proclabels__free(struct as_proclabels *pl);

/*
 * The labels of @pid: read from /proc the first time it is seen and then
 * kept (a process that exits keeps them). NULL only without memory.
 */
const struct as_proc_labels *proclabels__get(struct as_proclabels *pl,
					     uint32_t pid);

/* Reads the labels of @pid again (after an exec: a new executable). */
void proclabels__refresh(struct as_proclabels *pl, uint32_t pid);

/* Forgets every pid that is not in @pids (the @n processes in view) and
 * has exited. */
void proclabels__keep(struct as_proclabels *pl, const uint32_t *pids, size_t n);

/* The cgroup path of /proc/PID/cgroup's @text, malloc'd; NULL for the
 * root (or without memory). Exposed for tests. */
char *proclabels__cgroup(const char *text);

/* The container id in cgroup path @path, malloc'd; NULL for none. */
char *proclabels__container(const char *path);

/* A copy of the labels of @pid, for a state shared with other threads;
 * proc_labels__clear() frees the strings. */
int proc_labels__copy(const struct as_proc_labels *src,
		      struct as_proc_labels *dst);
void proc_labels__clear(struct as_proc_labels *l);

#endif
