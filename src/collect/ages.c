// SPDX-License-Identifier: MIT
/* ages.c - per-stack ages of live blocks, keyed through u64map. */
#include <errno.h>
#include <stdlib.h>

#include "collect/ages.h"
#include "util/buf.h"
#include "util/u64map.h"

struct as_ages {
	uint64_t now_ns, older_ns;
	struct as_u64map *index; /* hash of the key -> entries */
	struct as_ages_entry *v;
	size_t n, cap;
};

struct key {
	const struct as_ages *a;
	uint32_t tgid, gen, kind;
	uint64_t stack;
};

int ages__new(uint64_t now_ns, uint64_t older_ns, struct as_ages **out)
{
	struct as_ages *a = calloc(1, sizeof(*a));

	if (!a || u64map__new(&a->index)) {
		free(a);
		return -ENOMEM;
	}
	a->now_ns = now_ns;
	a->older_ns = older_ns;
	*out = a;
	return 0;
}

void ages__free(struct as_ages *a)
{
	size_t i;

	if (!a)
		return;
	for (i = 0; i < a->n; i++)
		hist__free(&a->v[i].hist);
	free(a->v);
	u64map__free(a->index);
	free(a);
}

static uint64_t key_hash(const struct key *k)
{
	uint64_t h = u64map__hash_u64(U64MAP_HASH_INIT, k->tgid);

	h = u64map__hash_u64(h, (uint64_t)k->kind << 32 | k->gen);
	return u64map__hash_u64(h, k->stack);
}

static bool key_is(uint64_t idx, const void *ctx)
{
	const struct key *k = ctx;
	const struct as_ages_entry *e = &k->a->v[idx];

	return e->tgid == k->tgid && e->gen == k->gen && e->kind == k->kind &&
	       e->stack == k->stack;
}

const struct as_ages_entry *ages__get(const struct as_ages *a, uint32_t tgid,
				      uint32_t gen, uint32_t kind,
				      uint64_t stack)
{
	struct key k = {a, tgid, gen, kind, stack};
	uint64_t idx;

	if (!a || !u64map__find(a->index, key_hash(&k), key_is, &k, &idx))
		return NULL;
	return &a->v[idx];
}

int ages__add(struct as_ages *a, uint32_t tgid, uint32_t gen, uint32_t kind,
	      uint64_t stack, uint64_t ts_ns, uint64_t weight, uint64_t count)
{
	struct key k = {a, tgid, gen, kind, stack};
	struct as_ages_entry *e =
	    (struct as_ages_entry *)ages__get(a, tgid, gen, kind, stack);
	/* a block allocated after the clock was read is brand new */
	uint64_t age = a->now_ns > ts_ns ? a->now_ns - ts_ns : 0;

	if (!e) {
		if (BUF_RESERVE(a->v, a->cap, a->n + 1) ||
		    u64map__add(a->index, key_hash(&k), a->n))
			return -ENOMEM;
		e = &a->v[a->n++];
		*e = (struct as_ages_entry){
		    .tgid = tgid, .gen = gen, .kind = kind, .stack = stack};
	}
	if (age > e->oldest_ns)
		e->oldest_ns = age;
	if (age > a->older_ns) {
		e->old_size += (int64_t)weight;
		e->old_count += (int64_t)count;
	}
	return hist__add(&e->hist, hist__bucket(age), count);
}
