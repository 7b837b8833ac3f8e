/* SPDX-License-Identifier: MIT */
/*
 * u64map.h - an open-addressing hash map from u64 to u64.
 *
 * Owned by the u64map module; used where the collector must index
 * hundreds of thousands of stacks and locations per report.
 */
#ifndef ALLOCSNOOP_U64MAP_H
#define ALLOCSNOOP_U64MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct as_u64map;

int u64map__new(struct as_u64map **out);
void u64map__free(struct as_u64map *m);
/* Inserts or replaces. Returns 0 or -ENOMEM. */
int u64map__set(struct as_u64map *m, uint64_t key, uint64_t value);
bool u64map__get(const struct as_u64map *m, uint64_t key, uint64_t *value);
bool u64map__del(struct as_u64map *m, uint64_t key);
size_t u64map__count(const struct as_u64map *m);
void u64map__clear(struct as_u64map *m);
/* Calls @fn for every entry; order unspecified. Do not modify the map. */
void u64map__for_each(const struct as_u64map *m,
		      void (*fn)(uint64_t key, uint64_t value, void *ctx),
		      void *ctx);

#endif
