/* SPDX-License-Identifier: MIT */
/*
 * comm_cache.h - the name (comm) of every process seen, by pid.
 *
 * Owned by the collector, alive as long as it is. Names come from the
 * tracer's events or from /proc while the process lives, and are kept
 * after it has exited, so that its last report still names it. The cache
 * reads nothing itself.
 */
#ifndef ALLOCSNOOP_COMM_CACHE_H
#define ALLOCSNOOP_COMM_CACHE_H

#include <stdint.h>

/* Longest name kept (the kernel's TASK_COMM_LEN - 1). */
#define COMM_CACHE_MAX_LEN 15

struct as_comm_cache;

int comm_cache__new(struct as_comm_cache **out);
void comm_cache__free(struct as_comm_cache *cc);

/*
 * Sets the name of @pid (a later name replaces an earlier one: exec),
 * cut to COMM_CACHE_MAX_LEN bytes. Returns 0 or -ENOMEM.
 */
int comm_cache__set(struct as_comm_cache *cc, uint32_t pid, const char *comm);
/* The name of @pid, or NULL when none was set; valid until the next set. */
const char *comm_cache__get(const struct as_comm_cache *cc, uint32_t pid);

#endif
