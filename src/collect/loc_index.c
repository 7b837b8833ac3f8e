// SPDX-License-Identifier: MIT
/* loc_index.c - one address map per process, the last one at hand. */
#include <errno.h>
#include <stdlib.h>

#include "collect/loc_index.h"
#include "util/buf.h"
#include "util/u64map.h"

struct as_loc_index {
	struct as_u64map *pids;	 /* pid -> index into maps[] */
	struct as_u64map **maps; /* per process: address -> location */
	size_t n, cap;
	struct as_u64map *refreshed; /* pids whose maps were re-read */
	/* the frames of a stack are all one process's: keep its map */
	uint32_t last_pid;
	struct as_u64map *last_map;
};

int loc_index__new(struct as_loc_index **out)
{
	struct as_loc_index *li = calloc(1, sizeof(*li));

	if (!li || u64map__new(&li->pids) || u64map__new(&li->refreshed)) {
		loc_index__free(li);
		return -ENOMEM;
	}
	*out = li;
	return 0;
}

void loc_index__free(struct as_loc_index *li)
{
	size_t i;

	if (!li)
		return;
	for (i = 0; i < li->n; i++)
		u64map__free(li->maps[i]);
	free(li->maps);
	u64map__free(li->pids);
	u64map__free(li->refreshed);
	free(li);
}

/* The address map of @pid, NULL when it has none (yet). */
static struct as_u64map *map_of(struct as_loc_index *li, uint32_t pid)
{
	uint64_t i;

	if (li->last_map && li->last_pid == pid)
		return li->last_map;
	if (!u64map__get(li->pids, pid, &i))
		return NULL;
	li->last_pid = pid;
	li->last_map = li->maps[i];
	return li->last_map;
}

static struct as_u64map *map_add(struct as_loc_index *li, uint32_t pid)
{
	if (BUF_RESERVE(li->maps, li->cap, li->n + 1) ||
	    u64map__new(&li->maps[li->n]))
		return NULL;
	if (u64map__set(li->pids, pid, li->n)) {
		u64map__free(li->maps[li->n]);
		return NULL;
	}
	return li->maps[li->n++];
}

bool loc_index__get(struct as_loc_index *li, uint32_t pid, uint64_t addr,
		    uint32_t *loc)
{
	struct as_u64map *m = map_of(li, pid);
	uint64_t v;

	if (!m || !u64map__get(m, addr, &v))
		return false;
	*loc = (uint32_t)v;
	return true;
}

int loc_index__set(struct as_loc_index *li, uint32_t pid, uint64_t addr,
		   uint32_t loc)
{
	struct as_u64map *m = map_of(li, pid);

	if (!m)
		m = map_add(li, pid);
	if (!m || u64map__set(m, addr, loc))
		return -ENOMEM;
	return 0;
}

int loc_index__first_refresh(struct as_loc_index *li, uint32_t pid)
{
	if (u64map__get(li->refreshed, pid, NULL))
		return 0;
	return u64map__set(li->refreshed, pid, 1) ? -ENOMEM : 1;
}
