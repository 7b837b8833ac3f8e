/* SPDX-License-Identifier: MIT */
/*
 * cache.h - the answers made from one published state, kept with it, so
 * that a flood of the same request costs one encode per state.
 *
 * Owned by the cache module. A cache belongs to one state (its extra,
 * freed by reply_cache__release when the state goes) and is used by the
 * HTTP thread only. Answers are keyed by endpoint, query and, for a
 * delta, the first moment's sequence number; at most AS_CACHE_ENTRIES
 * per state (beyond, answers are made for each request).
 */
#ifndef ALLOCSNOOP_SERVE_CACHE_H
#define ALLOCSNOOP_SERVE_CACHE_H

#include <stdint.h>

#include "serve/profsel.h"

#define AS_CACHE_ENTRIES 32

struct MHD_Response;
struct as_reply_cache;

struct as_cache_key {
	int route;
	const struct as_prof_query *q;
	uint64_t base_seq; /* 0: not a delta */
};

/* @live: a counter of the server's, incremented now and decremented
 * when the cache is released (atomically). */
int reply_cache__new(int *live, struct as_reply_cache **out);
/* Destroys the cached responses (what connections still send stays
 * theirs: responses are reference counted by the library). */
void reply_cache__release(void *cache);

/* The response of @k and its status, or NULL. */
struct MHD_Response *reply_cache__find(struct as_reply_cache *c,
				       const struct as_cache_key *k,
				       unsigned *status);
/* Keeps @resp (the cache now owns the caller's reference); false when
 * full or out of memory (the caller keeps it). */
bool reply_cache__add(struct as_reply_cache *c, const struct as_cache_key *k,
		      struct MHD_Response *resp, unsigned status);

#endif
