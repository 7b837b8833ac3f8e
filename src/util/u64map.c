// SPDX-License-Identifier: MIT
/* u64map.c - linear probing with tombstones; grows at 50% load. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/u64map.h"

enum { SLOT_EMPTY, SLOT_USED, SLOT_DEAD };

struct slot {
	uint64_t key;
	uint64_t value;
	uint8_t state;
};

struct as_u64map {
	struct slot *slots;
	size_t cap;    /* power of two */
	size_t used;   /* live entries */
	size_t filled; /* live + dead */
};

static size_t hash(uint64_t k)
{
	/* splitmix64 finalizer: keys are often aligned addresses */
	k ^= k >> 30;
	k *= 0xbf58476d1ce4e5b9ULL;
	k ^= k >> 27;
	k *= 0x94d049bb133111ebULL;
	k ^= k >> 31;
	return (size_t)k;
}

int u64map__new(struct as_u64map **out)
{
	struct as_u64map *m = calloc(1, sizeof(*m));

	if (!m)
		return -ENOMEM;
	m->cap = 64;
	m->slots = calloc(m->cap, sizeof(*m->slots));
	if (!m->slots) {
		free(m);
		return -ENOMEM;
	}
	*out = m;
	return 0;
}

void u64map__free(struct as_u64map *m)
{
	if (!m)
		return;
	free(m->slots);
	free(m);
}

static struct slot *find(const struct as_u64map *m, uint64_t key)
{
	size_t i = hash(key) & (m->cap - 1);

	for (;;) {
		struct slot *s = &m->slots[i];

		if (s->state == SLOT_EMPTY)
			return NULL;
		if (s->state == SLOT_USED && s->key == key)
			return s;
		i = (i + 1) & (m->cap - 1);
	}
}

static void put(struct slot *slots, size_t cap, uint64_t key, uint64_t value)
{
	size_t i = hash(key) & (cap - 1);

	while (slots[i].state == SLOT_USED)
		i = (i + 1) & (cap - 1);
	slots[i].key = key;
	slots[i].value = value;
	slots[i].state = SLOT_USED;
}

static int resize(struct as_u64map *m, size_t cap)
{
	struct slot *ns = calloc(cap, sizeof(*ns));
	size_t i;

	if (!ns)
		return -ENOMEM;
	for (i = 0; i < m->cap; i++)
		if (m->slots[i].state == SLOT_USED)
			put(ns, cap, m->slots[i].key, m->slots[i].value);
	free(m->slots);
	m->slots = ns;
	m->cap = cap;
	m->filled = m->used;
	return 0;
}

/* Inserts a new entry, growing first when half full. */
static int insert(struct as_u64map *m, uint64_t key, uint64_t value)
{
	size_t cap = m->cap;
	int err;

	if ((m->filled + 1) * 2 > m->cap) {
		if ((m->used + 1) * 2 > m->cap / 2)
			cap *= 2;
		err = resize(m, cap);
		if (err)
			return err;
	}
	put(m->slots, m->cap, key, value);
	m->used++;
	m->filled++;
	return 0;
}

int u64map__set(struct as_u64map *m, uint64_t key, uint64_t value)
{
	struct slot *s = find(m, key);

	if (s) {
		s->value = value;
		return 0;
	}
	return insert(m, key, value);
}

int u64map__add(struct as_u64map *m, uint64_t key, uint64_t value)
{
	return insert(m, key, value);
}

bool u64map__find(const struct as_u64map *m, uint64_t key,
		  bool (*eq)(uint64_t value, const void *ctx), const void *ctx,
		  uint64_t *value)
{
	size_t i = hash(key) & (m->cap - 1);
	const struct slot *s;

	for (;; i = (i + 1) & (m->cap - 1)) {
		s = &m->slots[i];
		if (s->state == SLOT_EMPTY)
			return false;
		if (s->state != SLOT_USED || s->key != key ||
		    !eq(s->value, ctx))
			continue;
		if (value)
			*value = s->value;
		return true;
	}
}

/* 8 bytes a step: traceback keys are long, a byte-wise hash dominated. */
uint64_t u64map__hash_bytes(const void *p, size_t len)
{
	const char *s = p;
	uint64_t h = 0x9e3779b97f4a7c15ULL ^ len, w;

	for (; len >= 8; s += 8, len -= 8) {
		memcpy(&w, s, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdULL;
		h ^= h >> 32;
	}
	w = 0;
	memcpy(&w, s, len);
	h = (h ^ w) * 0xc4ceb9fe1a85ec53ULL;
	return h ^ (h >> 29);
}

uint64_t u64map__hash_str(uint64_t h, const char *s)
{
	/* NULL and "" differ: the byte after a string ends it */
	if (!s)
		return (h ^ 0xff) * 0x100000001b3ULL;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return h * 0x100000001b3ULL;
}

uint64_t u64map__hash_u64(uint64_t h, uint64_t v)
{
	return (h ^ v) * 0x100000001b3ULL;
}

bool u64map__get(const struct as_u64map *m, uint64_t key, uint64_t *value)
{
	struct slot *s = find(m, key);

	if (!s)
		return false;
	if (value)
		*value = s->value;
	return true;
}

bool u64map__del(struct as_u64map *m, uint64_t key)
{
	struct slot *s = find(m, key);

	if (!s)
		return false;
	s->state = SLOT_DEAD;
	m->used--;
	return true;
}

size_t u64map__count(const struct as_u64map *m)
{
	return m->used;
}

void u64map__clear(struct as_u64map *m)
{
	size_t i;

	for (i = 0; i < m->cap; i++)
		m->slots[i].state = SLOT_EMPTY;
	m->used = 0;
	m->filled = 0;
}

void u64map__for_each(const struct as_u64map *m,
		      void (*fn)(uint64_t key, uint64_t value, void *ctx),
		      void *ctx)
{
	size_t i;

	for (i = 0; i < m->cap; i++)
		if (m->slots[i].state == SLOT_USED)
			fn(m->slots[i].key, m->slots[i].value, ctx);
}
