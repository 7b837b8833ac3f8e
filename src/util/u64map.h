/* SPDX-License-Identifier: MIT */
/*
 * u64map.h - an open-addressing hash map from u64 to u64.
 *
 * Owned by the u64map module: the one hash map of the tree. Keys are
 * either u64 values themselves (pids, addresses, stack ids: get/set/del)
 * or the hash of a longer key (a string, a tuple) whose entries point
 * into the caller's own array (add/find): there several entries may
 * share a hash, and the caller's equality callback tells them apart.
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
/* Adds an entry even when @key is present (hashed keys). */
int u64map__add(struct as_u64map *m, uint64_t key, uint64_t value);
/*
 * The value of the first entry of @key for which @eq(value, @ctx) is true
 * (hashed keys). Returns false when there is none.
 */
bool u64map__find(const struct as_u64map *m, uint64_t key,
		  bool (*eq)(uint64_t value, const void *ctx), const void *ctx,
		  uint64_t *value);

/* Hashes for hashed keys: of @len bytes at @p, of a string (NULL and ""
 * differ), and of one more u64 mixed into @h. A chain of hash_str and
 * hash_u64 starts from U64MAP_HASH_INIT. */
#define U64MAP_HASH_INIT 0xcbf29ce484222325ULL
uint64_t u64map__hash_bytes(const void *p, size_t len);
uint64_t u64map__hash_str(uint64_t h, const char *s);
uint64_t u64map__hash_u64(uint64_t h, uint64_t v);

/* Calls @fn for every entry; order unspecified. Do not modify the map. */
void u64map__for_each(const struct as_u64map *m,
		      void (*fn)(uint64_t key, uint64_t value, void *ctx),
		      void *ctx);

#endif
