/* SPDX-License-Identifier: MIT */
/*
 * pipeline.h - one view of snapshots, the same for live reports, show and
 * diff: filter -> group -> compare -> report -> format.
 *
 * Owned by the pipeline module. The CLI says what to show (struct
 * as_view, from its options) and the facts of the run (struct
 * as_view_run); the pipeline does the rest and never looks at options.
 * Everything is borrowed; rows borrow from the snapshots (see group.h).
 */
#ifndef ALLOCSNOOP_PIPELINE_H
#define ALLOCSNOOP_PIPELINE_H

#include <stdio.h>

#include "profile/model.h"
#include "view/format.h"
#include "view/group.h"

/* What to show. */
struct as_view {
	enum as_group_by group_by;
	int top;	 /* rows to print, 0 = all */
	bool cumulative; /* lineno/filename: every frame, not only the site */
	/* Samples (pids, globs) and rows (min_size) to keep, for grouping and
	 * for the report (footer processes, folded stacks); NULL = all. */
	const struct as_filter *filter;
	const struct as_format *format; /* NULL = the default, text */
	const char *folded_value;	/* NULL = size */
	enum as_sort sort;		/* --sort */
	bool lifetimes; /* rows say their temporary count and lifetimes */
	bool ages;	/* rows say their oldest block's age and ages */
};

/* The snapshots of one report and the facts it states. */
struct as_view_run {
	const struct as_snapshot *now;
	const struct as_snapshot *prev; /* the older one; NULL = none */
	/* @prev already grouped by the same view (the live tracer keeps the
	 * last grouping); NULL: the pipeline groups @prev itself. */
	const struct as_stats *prev_stats;
	uint64_t seq;	    /* report number, from 1 */
	bool final;	    /* the last report of the run */
	bool per_process;   /* rows are keyed by, and name, their process */
	uint32_t pid;	    /* the process the header names; 0 = all */
	const char *source; /* what the rows come from, for messages */
};

/*
 * The rows of @run as @v shows them: @run->now grouped (and @run->prev,
 * unless prev_stats is given), then compared, sorted and cut at
 * min_size. *@rows receives them; *@now_stats, when @now_stats is not
 * NULL, the grouping of @run->now (pass it as the next run's prev_stats).
 * The caller frees both with stats__free(). Returns 0 or a negative errno
 * (nothing is returned then).
 */
int pipeline__rows(const struct as_view *v, const struct as_view_run *run,
		   struct as_stats **now_stats, struct as_stats **rows);

/*
 * pipeline__rows(), then the report of @run printed to @out in @v's
 * format. Says on stderr what failed. *@now_stats (when not NULL) is set
 * whenever grouping succeeded, even if printing then failed. Returns 0 or
 * a negative errno.
 */
int pipeline__run(FILE *out, const struct as_view *v,
		  const struct as_view_run *run, struct as_stats **now_stats);

/*
 * The processes in view of @s, for show and diff to decide the header
 * (one process: "pid N (comm)") and whether rows are per process. With
 * pids in @f: the distinct ones that @s knows (it has the process's
 * facts or a sample of it); without: the processes of @s. Returns their
 * number; *@single receives the pid when there is exactly one, else 0.
 *
 * This unifies two rules: show counted the distinct --pid values (each
 * checked against processes and samples first), diff the processes of
 * NEW that --pid keeps. They differ only for a pid that has samples in
 * NEW but no process facts: it now counts, as show counted it.
 */
size_t pipeline__count_pids(const struct as_snapshot *s,
			    const struct as_filter *f, uint32_t *single);

/* The first pid of @f that @s does not know (see above); 0 when none. */
uint32_t pipeline__missing_pid(const struct as_snapshot *s,
			       const struct as_filter *f);

#endif
