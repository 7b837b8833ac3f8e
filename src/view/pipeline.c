// SPDX-License-Identifier: MIT
/*
 * pipeline.c - snapshots in, a printed report out: the steps that live
 * reports, show and diff used to repeat each in its own way.
 */
#include <errno.h>
#include <string.h>

#include "view/pipeline.h"
#include "view/report.h"

/* @s has facts or samples of @pid. */
static bool knows_pid(const struct as_snapshot *s, uint32_t pid)
{
	size_t i;

	if (snapshot__find_process(s, pid))
		return true;
	for (i = 0; i < s->nsamples; i++)
		if (s->samples[i].pid == pid)
			return true;
	return false;
}

uint32_t pipeline__missing_pid(const struct as_snapshot *s,
			       const struct as_filter *f)
{
	size_t i;

	for (i = 0; f && i < f->npids; i++)
		if (!knows_pid(s, f->pids[i]))
			return f->pids[i];
	return 0;
}

/* @f->pids[i] is not among the ones before it. */
static bool first_of_its_pid(const struct as_filter *f, size_t i)
{
	size_t j;

	for (j = 0; j < i; j++)
		if (f->pids[j] == f->pids[i])
			return false;
	return true;
}

size_t pipeline__count_pids(const struct as_snapshot *s,
			    const struct as_filter *f, uint32_t *single)
{
	uint32_t pid = 0;
	size_t i, n = 0;

	if (f && f->npids) {
		for (i = 0; i < f->npids; i++) {
			if (first_of_its_pid(f, i) &&
			    knows_pid(s, f->pids[i])) {
				pid = f->pids[i];
				n++;
			}
		}
	} else {
		n = s->nprocesses;
		if (n)
			pid = s->processes[0].pid;
	}
	*single = n == 1 ? pid : 0;
	return n;
}

int pipeline__rows(const struct as_view *v, const struct as_view_run *run,
		   struct as_stats **now_stats, struct as_stats **rows)
{
	const struct as_group_opts go = {
	    .by = v->group_by,
	    .per_process = run->per_process,
	    .cumulative = v->cumulative,
	    .filter = v->filter,
	};
	struct as_stats *now = NULL, *prev = NULL;
	const struct as_stats *old = run->prev_stats;
	int err;

	*rows = NULL;
	if (now_stats)
		*now_stats = NULL;
	err = stats__group(run->now, &go, &now);
	if (!err && run->prev && !old) {
		err = stats__group(run->prev, &go, &prev);
		old = prev;
	}
	err = err ?: stats__compare(now, old, rows);
	if (!err && v->sort != AS_SORT_SIZE)
		stats__sort_by(*rows, v->sort);
	if (!err && now_stats) {
		*now_stats = now;
		now = NULL;
	}
	stats__free(prev);
	stats__free(now);
	return err;
}

int pipeline__run(FILE *out, const struct as_view *v,
		  const struct as_view_run *run, struct as_stats **now_stats)
{
	struct as_stats *rows = NULL;
	struct as_report r;
	int err;

	err = pipeline__rows(v, run, now_stats, &rows);
	if (err) {
		fprintf(stderr,
			"allocsnoop: cannot group the allocations of %s: %s; "
			"narrow the view (--include, --pid) or free memory\n",
			run->source ? run->source : "the snapshot",
			strerror(-err));
		return err;
	}
	r = (struct as_report){
	    .seq = run->seq,
	    .final = run->final,
	    .group_by = v->group_by,
	    .top = v->top,
	    .system_wide = run->per_process,
	    .pid = run->pid,
	    .snap = run->now,
	    .prev = run->prev,
	    .stats = rows,
	    .folded_value = v->folded_value,
	    .filter = v->filter,
	    .lifetimes = v->lifetimes,
	    .ages = v->ages,
	};
	err = format__emit(v->format, out, &r);
	stats__free(rows);
	return err;
}
