// SPDX-License-Identifier: MIT
/* timeline.c - bounded per-process series of memory over time. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "collect/timeline.h"
#include "util/buf.h"
#include "util/u64map.h"

struct series {
	struct as_timeline_point *v;
	size_t n, cap;
	unsigned skip, skipped; /* keep one point in 2^skip */
};

struct as_timeline {
	struct as_u64map *index; /* pid -> index into series */
	struct series *s;
	size_t n, cap;
};

int timeline__new(struct as_timeline **out)
{
	struct as_timeline *t = calloc(1, sizeof(*t));

	if (!t || u64map__new(&t->index)) {
		free(t);
		return -ENOMEM;
	}
	*out = t;
	return 0;
}

void timeline__free(struct as_timeline *t)
{
	size_t i;

	if (!t)
		return;
	for (i = 0; i < t->n; i++)
		free(t->s[i].v);
	free(t->s);
	u64map__free(t->index);
	free(t);
}

/* Halves a full series: every second point goes, the first stays. */
static void thin(struct series *s)
{
	size_t i;

	for (i = 0; 2 * i < s->n; i++)
		s->v[i] = s->v[2 * i];
	s->n = i;
	s->skip++;
}

int timeline__add(struct as_timeline *t, uint32_t pid,
		  const struct as_timeline_point *pt)
{
	struct series *s;
	uint64_t idx;

	if (!u64map__get(t->index, pid, &idx)) {
		if (BUF_RESERVE(t->s, t->cap, t->n + 1) ||
		    u64map__set(t->index, pid, t->n))
			return -ENOMEM;
		idx = t->n++;
		memset(&t->s[idx], 0, sizeof(t->s[idx]));
	}
	s = &t->s[idx];
	/* at a coarser step, only every 2^skip-th point is kept */
	if (s->skipped++ & ((1u << s->skip) - 1))
		return 0;
	if (s->n == AS_TIMELINE_POINTS)
		thin(s);
	if (BUF_RESERVE(s->v, s->cap, s->n + 1))
		return -ENOMEM;
	s->v[s->n++] = *pt;
	return 0;
}

const struct as_timeline_point *timeline__get(const struct as_timeline *t,
					      uint32_t pid, size_t *n)
{
	uint64_t idx;

	*n = 0;
	if (!u64map__get(t->index, pid, &idx))
		return NULL;
	*n = t->s[idx].n;
	return t->s[idx].v;
}

void timeline__forget(struct as_timeline *t, uint32_t pid)
{
	uint64_t idx;

	if (!u64map__get(t->index, pid, &idx))
		return;
	free(t->s[idx].v);
	memset(&t->s[idx], 0, sizeof(t->s[idx]));
}
