/* SPDX-License-Identifier: MIT */
/*
 * query.h - a profile request's query string, checked: ?pid=, ?comm=,
 * ?cgroup=, ?seconds= (and Go's gc and debug=0, accepted and ignored).
 *
 * Owned by the query module. Values point into the request.
 */
#ifndef ALLOCSNOOP_SERVE_QUERY_H
#define ALLOCSNOOP_SERVE_QUERY_H

#include <stddef.h>

#include "serve/profsel.h"

/* Longest ?cgroup= value (a path) and ?comm= value (the kernel's). */
#define AS_QUERY_MAX_CGROUP 4096
#define AS_QUERY_MAX_COMM   15

/*
 * Adds one parameter to @q (@seen: the parameters given so far, 0 at
 * first). Returns 0, or -EINVAL with a one-line reason in @why.
 */
int query__param(struct as_prof_query *q, unsigned *seen, const char *key,
		 const char *value, char *why, size_t len);

#endif
