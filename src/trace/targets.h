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

/*
 * Probes the allocator files process @pid maps now (each family's
 * library, and its executable for a static malloc), for process @filter
 * (-1 = every process). Returns 0, -ENOENT when it maps no allocator,
 * -ESRCH when it is gone, or another negative errno (printed).
 */
int targets__attach_process(struct as_tracer *t, pid_t pid, pid_t filter);

/*
 * Probes the system's libc (found through allocsnoop's own maps) and,
 * when @program is not NULL, the program's own malloc if it is static,
 * for process @filter (-1 = every process). Returns 0 or a negative errno
 * (printed).
 */
int targets__attach_system(struct as_tracer *t, const char *program,
			   pid_t filter);

#endif
