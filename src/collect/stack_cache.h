/* SPDX-License-Identifier: MIT */
/*
 * stack_cache.h - the frames of every stack read from the BPF stack map.
 *
 * Owned by the collector, one per collector, alive as long as it is. A
 * stack's key is a hash of its frames, so the frames under a key never
 * change: each stack is read from the kernel once, and only its used
 * frames are kept, all in one pool. The cache holds no BPF state.
 */
#ifndef ALLOCSNOOP_STACK_CACHE_H
#define ALLOCSNOOP_STACK_CACHE_H

#include <stdint.h>

#include <linux/types.h>

/* Frames a cached stack may have. */
#define STACK_CACHE_MAX_DEPTH 255

struct as_stack_cache;

int stack_cache__new(struct as_stack_cache **out);
void stack_cache__free(struct as_stack_cache *sc);

/*
 * The frames of stack @hash (*@nr of them), or NULL when it is not
 * cached. The pointer is valid until the next stack_cache__add().
 */
const __u64 *stack_cache__get(const struct as_stack_cache *sc, uint64_t hash,
			      uint32_t *nr);

/*
 * Keeps a copy of the @nr frames @ips of stack @hash and points *@out at
 * it (valid until the next add). Returns 0, -EINVAL when @nr is above
 * STACK_CACHE_MAX_DEPTH, or -ENOMEM.
 */
int stack_cache__add(struct as_stack_cache *sc, uint64_t hash, const __u64 *ips,
		     uint32_t nr, const __u64 **out);

#endif
