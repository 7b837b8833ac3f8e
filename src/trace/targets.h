/* SPDX-License-Identifier: MIT */
/*
 * targets.h - which files get the allocator probes: those of one running
 * process, or those every process of the system will use.
 *
 * Owned by the targets module. It finds the files (through the
 * allocator table, allocators.h) and has the tracer probe them; the
 * tracer owns the links.
 */
#ifndef ALLOCSNOOP_TARGETS_H
#define ALLOCSNOOP_TARGETS_H

#include <sys/types.h>

struct as_tracer;
struct as_targets;

/* Probes go to @t's programs, for process @filter (-1 = every one). */
int targets__new(struct as_tracer *t, pid_t filter, bool verbose,
		 struct as_targets **out);
void targets__free(struct as_targets *tg);

/*
 * Probes the system's libc and loader (found through allocsnoop's own
 * maps), the allocator libraries installed in the system's library
 * directories, the programs of a family in /usr/bin and /usr/local/bin
 * (CPython's python3.X) and, when @program is not NULL, the program's own
 * malloc if it is static. Returns 0 or a negative errno (printed).
 */
int targets__attach_system(struct as_targets *tg, const char *program);

/*
 * Probes the files process @pid maps that were not looked at yet: an
 * allocator family's library, any other file exporting the C allocator
 * functions (a static binary, a private allocator), the loader's
 * rendezvous, a runtime library's unwind rules. @late: the process ran
 * before they were probed, which is counted (probes_late). Returns the
 * number of allocator files it maps (probed now or before), -ESRCH when
 * it is gone, or another negative errno.
 */
int targets__scan_process(struct as_targets *tg, pid_t pid, bool late);

/* targets__scan_process for every running process (system-wide). */
int targets__scan_all(struct as_targets *tg);

#endif
