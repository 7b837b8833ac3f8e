/* SPDX-License-Identifier: MIT */
/*
 * report.h - what one report shows: its rows, its moment, its processes.
 *
 * Owned by the report module; the formats that print a report are in
 * format.h. A report borrows everything it points to.
 */
#ifndef ALLOCSNOOP_REPORT_H
#define ALLOCSNOOP_REPORT_H

#include "profile/model.h"
#include "view/group.h"

struct as_report {
	uint64_t seq; /* 1, 2, ... */
	bool final;   /* the last report of a run */
	enum as_group_by group_by;
	int top;	  /* rows to print, 0 = all */
	bool system_wide; /* rows name pid and comm */
	uint32_t pid;	  /* the traced process for the header, 0 = all */
	const struct as_snapshot *snap; /* now */
	const struct as_snapshot
	    *prev;		      /* the previous report's, NULL if none */
	const struct as_stats *stats; /* sorted rows with diffs */
	/* folded output only */
	const char *folded_value; /* "size" (default), "alloc_size", "count",
				     "alloc_count" */
	const struct as_filter *filter; /* samples to fold, NULL = all */
	/* text and JSON rows: temporary counts and lifetimes (--lifetimes),
	 * the oldest block's age and ages (--older-than, --ages) */
	bool lifetimes, ages;
};

/*
 * The processes a report lists, in a new array (free() it): those the
 * report's pid filter keeps, sorted by pid; with @limit > 0 only the
 * @limit with the most live bytes (still sorted by pid). *n receives the
 * count, *total the count before the limit. Returns 0 or -ENOMEM.
 */
int report__processes(const struct as_report *r, size_t limit,
		      const struct as_process ***out, size_t *n, size_t *total);

#endif
