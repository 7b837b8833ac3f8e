/* SPDX-License-Identifier: MIT */
/*
 * timeline.h - each process's memory over time, sampled by the tracer's
 * loop (10 times a second by default) from the per-process counters.
 *
 * Owned by the timeline module. A process keeps at most
 * AS_TIMELINE_POINTS points: when full, every second point goes (the
 * oldest first kept), so a long trace keeps its whole span at a coarser
 * step and memory stays bounded.
 */
#ifndef ALLOCSNOOP_TIMELINE_H
#define ALLOCSNOOP_TIMELINE_H

#include <stddef.h>
#include <stdint.h>

#include "profile/model.h"

#define AS_TIMELINE_POINTS 4096

struct as_timeline;

int timeline__new(struct as_timeline **out);
void timeline__free(struct as_timeline *t);

/* A point of @pid; points come in time order. 0 or -ENOMEM. */
int timeline__add(struct as_timeline *t, uint32_t pid,
		  const struct as_timeline_point *pt);
/* @pid's points, oldest first; NULL (and *n 0) when none. */
const struct as_timeline_point *timeline__get(const struct as_timeline *t,
					      uint32_t pid, size_t *n);
void timeline__forget(struct as_timeline *t, uint32_t pid);

#endif
