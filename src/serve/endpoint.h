/* SPDX-License-Identifier: MIT */
/*
 * endpoint.h - what an endpoint answers, without HTTP plumbing: each
 * endpoint file (ep_pprof.c, ep_metrics.c, ep_index.c) turns published
 * states into a reply; server.c routes, waits for the state and sends.
 *
 * Owned by the serve module's endpoints. Replies own their body.
 */
#ifndef ALLOCSNOOP_SERVE_ENDPOINT_H
#define ALLOCSNOOP_SERVE_ENDPOINT_H

#include <stdbool.h>
#include <stddef.h>

#include "serve/profsel.h"
#include "serve/state.h"

struct as_reply {
	unsigned status;
	const char *type;	 /* Content-Type */
	const char *disposition; /* Content-Disposition, NULL for none */
	char *body;		 /* malloc'd */
	size_t len;
};

/* The longest ?seconds= of a delta profile (documented in the man page). */
#define AS_SERVE_MAX_SECONDS 300

/* A reply of one line of text, "STATUS REASON: @why\n". 0 or -ENOMEM. */
int reply__text(struct as_reply *r, unsigned status, const char *why);

/* A 200 reply of @type (and @disposition, NULL for none) that takes
 * @body (malloc'd, @len bytes). */
void reply__ok(struct as_reply *r, const char *type, const char *disposition,
	       char *body, size_t len);

/* /debug/pprof/heap and /debug/pprof/allocs (@allocs): the profile of
 * @now, or of its change since @base. */
int ep_pprof__reply(const struct as_served *now, const struct as_served *base,
		    const struct as_prof_query *q, bool allocs,
		    struct as_reply *r);

/* /metrics: the top @top processes by live bytes, and the totals. */
int ep_metrics__reply(const struct as_served *st, unsigned top,
		      struct as_reply *r);

/* /: the endpoints and the processes in view, linked. */
int ep_index__reply(const struct as_served *st, struct as_reply *r);

#endif
