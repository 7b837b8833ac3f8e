/* SPDX-License-Identifier: MIT */
/*
 * state.h - one collected moment as the server hands it out: a snapshot
 * and its processes' labels, immutable once published, shared by
 * reference count between the main loop (which makes it) and the HTTP
 * thread (which encodes from it).
 *
 * Owned by the state module. The server hangs its cached answers on it
 * (extra, given to release() when the last reference goes); nothing else
 * in it changes once published.
 */
#ifndef ALLOCSNOOP_SERVE_STATE_H
#define ALLOCSNOOP_SERVE_STATE_H

#include <stddef.h>

#include "profile/model.h"
#include "serve/proclabels.h"

struct as_served {
	int refs; /* atomic */
	struct as_snapshot *snap;
	double taken; /* CLOCK_MONOTONIC seconds its collection began */
	struct as_proc_labels *labels; /* one per process, sorted by pid */
	size_t nlabels;
	uint64_t seq; /* publication order, from 1 */
	/* the server's: its answers cached, released with the state */
	void *extra;
	void (*release)(void *extra);
};

/*
 * Takes @snap (freed with the state) and copies each of its processes'
 * labels from @pl. Returns 0 with one reference in *@out, or -ENOMEM
 * (@snap freed).
 */
int served__new(struct as_snapshot *snap, double taken,
		struct as_proclabels *pl, struct as_served **out);
struct as_served *served__get(struct as_served *st);
void served__put(struct as_served *st);

/* The labels of @pid; NULL when it has none. */
const struct as_proc_labels *served__labels(const struct as_served *st,
					    uint32_t pid);

#endif
