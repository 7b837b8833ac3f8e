/* SPDX-License-Identifier: MIT */
/*
 * profsel.h - the profile a request asks for: the processes it selects
 * (?pid=, ?comm=, ?cgroup=) of one moment, or the change between two
 * (?seconds=), as a gzipped pprof profile.
 *
 * Owned by the profsel module. A delta is Go's: every value of every
 * sample is new minus old (inuse values may be negative), matched by
 * process, kind and stack; samples whose values are all 0 are left out;
 * the loss counters are the change too; processes' facts are the new
 * moment's. Its time is the new moment's, its duration the time between.
 */
#ifndef ALLOCSNOOP_PROFSEL_H
#define ALLOCSNOOP_PROFSEL_H

#include <stdbool.h>
#include <stdint.h>

#include "serve/state.h"

struct as_prof_query {
	uint32_t pid;	    /* 0: any */
	const char *comm;   /* NULL: any; else exactly */
	const char *cgroup; /* NULL: any; else a prefix of the cgroup path
			       ("/" for the root cgroup) */
	unsigned seconds;   /* 0: the moment; else a delta */
};

/* Whether @q selects process @pid of @st. */
bool profsel__selects(const struct as_prof_query *q, const struct as_served *st,
		      uint32_t pid);

/*
 * The profile of @now (minus @base when not NULL) for @q, each sample
 * labelled pid, comm, exe, cgroup and container_id as known, with
 * @default_type first. Returns 0 with a malloc'd gzip buffer, or a
 * negative errno with a message in @err.
 */
int profsel__encode(const struct as_served *now, const struct as_served *base,
		    const struct as_prof_query *q, const char *default_type,
		    uint8_t **out, size_t *len, char *err, size_t errlen);

#endif
