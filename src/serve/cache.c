// SPDX-License-Identifier: MIT
/* cache.c - one state's answers, by endpoint and query. */
#include <errno.h>
#include <microhttpd.h>
#include <stdlib.h>
#include <string.h>

#include "serve/cache.h"

struct entry {
	int route;
	uint32_t pid;
	unsigned seconds;
	char *comm, *cgroup; /* NULL: not given */
	uint64_t base_seq;
	struct MHD_Response *resp;
	unsigned status;
};

struct as_reply_cache {
	int *live;
	size_t n;
	struct entry e[AS_CACHE_ENTRIES];
};

int reply_cache__new(int *live, struct as_reply_cache **out)
{
	struct as_reply_cache *c = calloc(1, sizeof(*c));

	if (!c)
		return -ENOMEM;
	c->live = live;
	__atomic_add_fetch(live, 1, __ATOMIC_RELAXED);
	*out = c;
	return 0;
}

void reply_cache__release(void *cache)
{
	struct as_reply_cache *c = cache;
	size_t i;

	if (!c)
		return;
	for (i = 0; i < c->n; i++) {
		MHD_destroy_response(c->e[i].resp);
		free(c->e[i].comm);
		free(c->e[i].cgroup);
	}
	__atomic_sub_fetch(c->live, 1, __ATOMIC_RELEASE);
	free(c);
}

static bool same_str(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

static bool matches(const struct entry *e, const struct as_cache_key *k)
{
	return e->route == k->route && e->pid == k->q->pid &&
	       e->seconds == k->q->seconds && e->base_seq == k->base_seq &&
	       same_str(e->comm, k->q->comm) &&
	       same_str(e->cgroup, k->q->cgroup);
}

struct MHD_Response *reply_cache__find(struct as_reply_cache *c,
				       const struct as_cache_key *k,
				       unsigned *status)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		if (matches(&c->e[i], k)) {
			*status = c->e[i].status;
			return c->e[i].resp;
		}
	return NULL;
}

bool reply_cache__add(struct as_reply_cache *c, const struct as_cache_key *k,
		      struct MHD_Response *resp, unsigned status)
{
	struct entry *e;

	if (c->n == AS_CACHE_ENTRIES)
		return false;
	e = &c->e[c->n];
	*e = (struct entry){.route = k->route,
			    .pid = k->q->pid,
			    .seconds = k->q->seconds,
			    .base_seq = k->base_seq,
			    .resp = resp,
			    .status = status};
	if ((k->q->comm && !(e->comm = strdup(k->q->comm))) ||
	    (k->q->cgroup && !(e->cgroup = strdup(k->q->cgroup)))) {
		free(e->comm);
		free(e->cgroup);
		return false;
	}
	c->n++;
	return true;
}
