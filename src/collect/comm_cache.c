// SPDX-License-Identifier: MIT
/* comm_cache.c - pid -> index into an array of fixed-size names. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "collect/comm_cache.h"
#include "util/buf.h"
#include "util/u64map.h"

struct comm_entry {
	char comm[COMM_CACHE_MAX_LEN + 1];
};

struct as_comm_cache {
	struct as_u64map *idx; /* pid -> index into comms[] */
	struct comm_entry *comms;
	size_t n, cap;
};

int comm_cache__new(struct as_comm_cache **out)
{
	struct as_comm_cache *cc = calloc(1, sizeof(*cc));

	if (!cc || u64map__new(&cc->idx)) {
		free(cc);
		return -ENOMEM;
	}
	*out = cc;
	return 0;
}

void comm_cache__free(struct as_comm_cache *cc)
{
	if (!cc)
		return;
	u64map__free(cc->idx);
	free(cc->comms);
	free(cc);
}

int comm_cache__set(struct as_comm_cache *cc, uint32_t pid, const char *comm)
{
	uint64_t i;

	if (!u64map__get(cc->idx, pid, &i)) {
		if (BUF_RESERVE(cc->comms, cc->cap, cc->n + 1) ||
		    u64map__set(cc->idx, pid, cc->n))
			return -ENOMEM;
		i = cc->n++;
	}
	snprintf(cc->comms[i].comm, sizeof(cc->comms[i].comm), "%s", comm);
	return 0;
}

const char *comm_cache__get(const struct as_comm_cache *cc, uint32_t pid)
{
	uint64_t i;

	return u64map__get(cc->idx, pid, &i) ? cc->comms[i].comm : NULL;
}
