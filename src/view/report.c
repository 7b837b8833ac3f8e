// SPDX-License-Identifier: MIT
/* report.c - the processes a report lists. */
#include <errno.h>
#include <stdlib.h>

#include "view/report.h"

static int cmp_current_desc(const void *a, const void *b)
{
	const struct as_process *x = *(const struct as_process *const *)a;
	const struct as_process *y = *(const struct as_process *const *)b;

	if (x->current_bytes != y->current_bytes)
		return x->current_bytes < y->current_bytes ? 1 : -1;
	return process__ptr_cmp(a, b);
}

int report__processes(const struct as_report *r, size_t limit,
		      const struct as_process ***out, size_t *n, size_t *total)
{
	const struct as_snapshot *s = r->snap;
	const struct as_process **procs;
	size_t i, k = 0;

	procs = malloc((s->nprocesses ? s->nprocesses : 1) * sizeof(*procs));
	if (!procs)
		return -ENOMEM;
	for (i = 0; i < s->nprocesses; i++)
		if (filter__keep_pid(r->filter, s->processes[i].pid))
			procs[k++] = &s->processes[i];
	*total = k;
	if (limit && k > limit) {
		qsort(procs, k, sizeof(*procs), cmp_current_desc);
		k = limit;
	}
	qsort(procs, k, sizeof(*procs), process__ptr_cmp);
	*out = procs;
	*n = k;
	return 0;
}
