// SPDX-License-Identifier: MIT
/* stack_cache.c - stack hash -> (offset in the frame pool, depth). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "collect/stack_cache.h"
#include "util/buf.h"
#include "util/u64map.h"

struct as_stack_cache {
	/* stack hash -> offset in frames[] << 8 | depth */
	struct as_u64map *idx;
	__u64 *frames;
	size_t nframes, cap_frames;
};

int stack_cache__new(struct as_stack_cache **out)
{
	struct as_stack_cache *sc = calloc(1, sizeof(*sc));

	if (!sc || u64map__new(&sc->idx)) {
		free(sc);
		return -ENOMEM;
	}
	*out = sc;
	return 0;
}

void stack_cache__free(struct as_stack_cache *sc)
{
	if (!sc)
		return;
	u64map__free(sc->idx);
	free(sc->frames);
	free(sc);
}

const __u64 *stack_cache__get(const struct as_stack_cache *sc, uint64_t hash,
			      uint32_t *nr)
{
	uint64_t v;

	if (!u64map__get(sc->idx, hash, &v))
		return NULL;
	*nr = v & 0xff;
	return &sc->frames[v >> 8];
}

int stack_cache__add(struct as_stack_cache *sc, uint64_t hash, const __u64 *ips,
		     uint32_t nr, const __u64 **out)
{
	__u64 *at;

	if (nr > STACK_CACHE_MAX_DEPTH)
		return -EINVAL;
	/* 131k stacks of ~20 frames: start the pool big. One slot more for
	 * an empty stack, so that its frames pointer is not NULL. */
	if (buf__reserve((void **)&sc->frames, &sc->cap_frames,
			 sc->nframes + (nr ? nr : 1), sizeof(*sc->frames),
			 4096))
		return -ENOMEM;
	at = &sc->frames[sc->nframes];
	if (nr)
		memcpy(at, ips, nr * sizeof(*ips));
	if (u64map__set(sc->idx, hash, (sc->nframes << 8) | nr))
		return -ENOMEM;
	sc->nframes += nr;
	*out = at;
	return 0;
}
