// SPDX-License-Identifier: MIT
/* state.c - a published moment, reference counted. */
#include <errno.h>
#include <stdlib.h>

#include "serve/state.h"

static int cmp_labels(const void *a, const void *b)
{
	uint32_t x = ((const struct as_proc_labels *)a)->pid;
	uint32_t y = ((const struct as_proc_labels *)b)->pid;

	return (x > y) - (x < y);
}

static void served_free(struct as_served *st)
{
	size_t i;

	if (st->release)
		st->release(st->extra);
	for (i = 0; i < st->nlabels; i++)
		proc_labels__clear(&st->labels[i]);
	free(st->labels);
	snapshot__free(st->snap);
	free(st);
}

int served__new(struct as_snapshot *snap, double taken,
		struct as_proclabels *pl, struct as_served **out)
{
	struct as_served *st = calloc(1, sizeof(*st));
	const struct as_proc_labels *l;
	size_t i;

	if (!st) {
		snapshot__free(snap);
		return -ENOMEM;
	}
	st->refs = 1;
	st->snap = snap;
	st->taken = taken;
	st->labels = calloc(snap->nprocesses ?: 1, sizeof(*st->labels));
	if (!st->labels)
		goto nomem;
	for (i = 0; i < snap->nprocesses; i++) {
		l = proclabels__get(pl, snap->processes[i].pid);
		if (!l || proc_labels__copy(l, &st->labels[st->nlabels]))
			goto nomem;
		st->nlabels++;
	}
	qsort(st->labels, st->nlabels, sizeof(*st->labels), cmp_labels);
	*out = st;
	return 0;
nomem:
	served_free(st);
	return -ENOMEM;
}

struct as_served *served__get(struct as_served *st)
{
	__atomic_add_fetch(&st->refs, 1, __ATOMIC_RELAXED);
	return st;
}

void served__put(struct as_served *st)
{
	if (st && __atomic_sub_fetch(&st->refs, 1, __ATOMIC_ACQ_REL) == 0)
		served_free(st);
}

const struct as_proc_labels *served__labels(const struct as_served *st,
					    uint32_t pid)
{
	struct as_proc_labels k = {.pid = pid};

	return bsearch(&k, st->labels, st->nlabels, sizeof(k), cmp_labels);
}
