// SPDX-License-Identifier: MIT
/* purge_rules.c - two maps of pid -> generation. */
#include <errno.h>
#include <stdlib.h>

#include "collect/purge_rules.h"
#include "util/u64map.h"

/* A bound above every generation: all of a pid's records go. */
#define ALL_IMAGES ((uint64_t)UINT32_MAX + 1)

struct as_purge_rules {
	/* pid -> the generation of its current image */
	struct as_u64map *gens;
	/* pid -> generation bound: records of images below it go */
	struct as_u64map *bounds;
};

int purge_rules__new(struct as_purge_rules **out)
{
	struct as_purge_rules *pr = calloc(1, sizeof(*pr));

	if (!pr || u64map__new(&pr->gens) || u64map__new(&pr->bounds)) {
		purge_rules__free(pr);
		return -ENOMEM;
	}
	*out = pr;
	return 0;
}

void purge_rules__free(struct as_purge_rules *pr)
{
	if (!pr)
		return;
	u64map__free(pr->gens);
	u64map__free(pr->bounds);
	free(pr);
}

void purge_rules__clear_gens(struct as_purge_rules *pr)
{
	u64map__clear(pr->gens);
}

int purge_rules__set_gen(struct as_purge_rules *pr, uint32_t pid, uint32_t gen)
{
	return u64map__set(pr->gens, pid, gen) ? -ENOMEM : 0;
}

bool purge_rules__replaced(const struct as_purge_rules *pr, uint32_t pid,
			   uint32_t gen)
{
	uint64_t cur;

	return u64map__get(pr->gens, pid, &cur) && cur != gen;
}

/* Raises @pid's bound to @bound: an exit after an exec takes it all. */
static int raise_bound(struct as_purge_rules *pr, uint32_t pid, uint64_t bound)
{
	uint64_t cur;

	if (u64map__get(pr->bounds, pid, &cur) && cur >= bound)
		return 0;
	return u64map__set(pr->bounds, pid, bound) ? -ENOMEM : 0;
}

int purge_rules__mark_exec(struct as_purge_rules *pr, uint32_t pid,
			   uint32_t gen)
{
	return raise_bound(pr, pid, gen);
}

int purge_rules__mark_exit(struct as_purge_rules *pr, uint32_t pid)
{
	return raise_bound(pr, pid, ALL_IMAGES);
}

bool purge_rules__pending(const struct as_purge_rules *pr)
{
	return u64map__count(pr->bounds) > 0;
}

void purge_rules__done(struct as_purge_rules *pr)
{
	u64map__clear(pr->bounds);
}

bool purge_rules__doomed(const struct as_purge_rules *pr, uint32_t pid,
			 uint32_t gen)
{
	uint64_t bound;

	return u64map__get(pr->bounds, pid, &bound) && gen < bound;
}

bool purge_rules__stat_doomed(const struct as_purge_rules *pr,
			      const struct as_stat_key *k)
{
	return purge_rules__doomed(pr, k->tgid, k->gen);
}

bool purge_rules__alloc_doomed(const struct as_purge_rules *pr,
			       const struct as_alloc_key *k,
			       const struct as_alloc_val *v)
{
	return purge_rules__doomed(pr, k->tgid, v->gen);
}
