/* SPDX-License-Identifier: MIT */
/*
 * state.h - one collected moment as the server hands it out: a snapshot
 * and its processes' labels, immutable once published, shared by
 * reference count between the main loop (which makes it) and the HTTP
 * thread (which encodes from it).
 *
 * Owned by the state module. The HTTP thread may hang whole responses
 * on it (cache[], freed through free_cached when the last reference
 * goes); nothing else in it changes after served__new().
 */
#ifndef ALLOCSNOOP_SERVE_STATE_H
#define ALLOCSNOOP_SERVE_STATE_H

#include <stddef.h>

#include "profile/model.h"
#include "serve/proclabels.h"

/* What the HTTP thread caches per state: the unfiltered answers. */
enum as_served_cache {
	AS_CACHE_HEAP,
	AS_CACHE_ALLOCS,
	AS_CACHE_METRICS,
	AS_CACHE_INDEX,
	AS_CACHE_MAX,
};

struct as_served {
	int refs; /* atomic */
	struct as_snapshot *snap;
	double taken; /* CLOCK_MONOTONIC seconds its collection began */
	struct as_proc_labels *labels; /* one per process, sorted by pid */
	size_t nlabels;
	void *cache[AS_CACHE_MAX];
	void (*free_cached)(void *item);
};

/*
 * Takes @snap (freed with the state) and copies each of its processes'
 * labels from @pl. Returns 0 with one reference in *@out, or -ENOMEM
 * (@snap freed).
 */
int served__new(struct as_snapshot *snap, double taken,
		struct as_proclabels *pl, void (*free_cached)(void *),
		struct as_served **out);
struct as_served *served__get(struct as_served *st);
void served__put(struct as_served *st);

/* The labels of @pid; NULL when it has none. */
const struct as_proc_labels *served__labels(const struct as_served *st,
					    uint32_t pid);

#endif
