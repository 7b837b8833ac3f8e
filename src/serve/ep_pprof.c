// SPDX-License-Identifier: MIT
/*
 * ep_pprof.c - /debug/pprof/heap and /debug/pprof/allocs, in Go's
 * net/http/pprof convention: the same profile, allocs showing
 * alloc_space first as Go's does, heap inuse_space.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "serve/endpoint.h"

int reply__text(struct as_reply *r, unsigned status, const char *why)
{
	const char *reason = status == 200   ? "OK"
			     : status == 400 ? "Bad Request"
			     : status == 401 ? "Unauthorized"
			     : status == 404 ? "Not Found"
			     : status == 405 ? "Method Not Allowed"
			     : status == 503 ? "Service Unavailable"
					     : "Error";
	size_t i;
	int n;

	r->status = status;
	r->type = "text/plain; charset=utf-8";
	r->disposition = NULL;
	n = asprintf(&r->body, "%u %s: %s\n", status, reason, why);
	if (n < 0) {
		r->body = NULL;
		return -ENOMEM;
	}
	r->len = (size_t)n;
	/* one line, whatever a client put in the path or query it names */
	for (i = 0; i + 1 < r->len; i++)
		if ((unsigned char)r->body[i] < 0x20 ||
		    (unsigned char)r->body[i] >= 0x7f)
			r->body[i] = '?';
	return 0;
}

void reply__ok(struct as_reply *r, const char *type, const char *disposition,
	       char *body, size_t len)
{
	r->status = 200;
	r->type = type;
	r->disposition = disposition;
	r->body = body;
	r->len = len;
}

int ep_pprof__reply(const struct as_served *now, const struct as_served *base,
		    const struct as_prof_query *q, bool allocs,
		    struct as_reply *r)
{
	char err[256] = "";
	uint8_t *buf = NULL;
	size_t len = 0;
	int ret;

	ret = profsel__encode(now, base, q,
			      allocs ? "alloc_space" : "inuse_space", &buf,
			      &len, err, sizeof(err));
	if (ret)
		return reply__text(r, 500, err);
	reply__ok(r, "application/octet-stream",
		  allocs ? "attachment; filename=\"allocs\""
			 : "attachment; filename=\"heap\"",
		  (char *)buf, len);
	return 0;
}
