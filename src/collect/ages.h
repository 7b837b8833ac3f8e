/* SPDX-License-Identifier: MIT */
/*
 * ages.h - how old the live blocks of each (process, image, stack) are,
 * from one pass over the live-block table.
 *
 * Owned by the ages module. The collector offers every live block; this
 * keeps, per key (a block kind, enum as_block_kind, apart: malloc and
 * pymalloc blocks of one stack are two rows), the oldest one's age, the ages'
 * histogram, and what the blocks older than a threshold (--older-than) stand
 * for. Pure bookkeeping: the collector reads the maps.
 */
#ifndef ALLOCSNOOP_AGES_H
#define ALLOCSNOOP_AGES_H

#include <stdint.h>

#include "profile/hist.h"

struct as_ages_entry {
	uint32_t tgid, gen, kind;
	uint64_t stack;
	uint64_t oldest_ns;  /* age of the oldest block */
	struct as_hist hist; /* every block by age */
	int64_t old_size;    /* bytes of the blocks older than the bound */
	int64_t old_count;
};

struct as_ages;

/* Ages at @now_ns (the blocks' clock); "old" is older than @older_ns. */
int ages__new(uint64_t now_ns, uint64_t older_ns, struct as_ages **out);
void ages__free(struct as_ages *a);

/* A live block allocated at @ts_ns that stands for @weight bytes and
 * @count blocks. 0 or -ENOMEM. */
int ages__add(struct as_ages *a, uint32_t tgid, uint32_t gen, uint32_t kind,
	      uint64_t stack, uint64_t ts_ns, uint64_t weight, uint64_t count);

/* The entry of a key, NULL when no live block has it (or @a is NULL). */
const struct as_ages_entry *ages__get(const struct as_ages *a, uint32_t tgid,
				      uint32_t gen, uint32_t kind,
				      uint64_t stack);

#endif
