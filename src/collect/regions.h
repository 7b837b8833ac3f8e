/* SPDX-License-Identifier: MIT */
/*
 * regions.h - the mmap'd regions of the traced processes, kept from the
 * kernel's stream of mmap, munmap and mremap events, and what each stack
 * holds of them.
 *
 * Owned by the regions module. A region is what one mmap call mapped: it
 * is live while any of it is mapped, so a partial munmap shrinks or splits
 * it (the pieces stay one region, counted once) and ends it only with its
 * last byte; mremap moves or resizes it; a MAP_FIXED mmap over mapped bytes
 * unmaps them first, as the kernel does. Bytes are charged to the stack
 * that mapped them, per (process, image, stack), like the heap's
 * counters. Pure bookkeeping: no BPF, no /proc.
 */
#ifndef ALLOCSNOOP_REGIONS_H
#define ALLOCSNOOP_REGIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What one stack holds in regions: the heap counters' shape. */
struct as_region_stat {
	uint32_t pid;
	uint32_t gen; /* the process image */
	uint64_t stack;
	int64_t size;	     /* bytes mapped now */
	int64_t count;	     /* regions with a byte mapped now */
	uint64_t alloc_size; /* bytes mapped since attach */
	uint64_t alloc_count;
};

/* A process's totals. */
struct as_region_proc {
	uint32_t pid;
	int64_t current; /* bytes mapped now */
	int64_t peak;	 /* most bytes mapped at once */
	uint64_t maps, unmaps;
};

struct as_regions;

int regions__new(struct as_regions **out);
void regions__free(struct as_regions *r);

/* @pid's image @gen mapped [@addr, @addr + @len) at @stack, at time
 * @ts_ns (the programs' clock). */
int regions__map(struct as_regions *r, uint32_t pid, uint32_t gen,
		 uint64_t stack, uint64_t addr, uint64_t len, uint64_t ts_ns);
/* @pid unmapped [@addr, @addr + @len): whatever of it was tracked. */
int regions__unmap(struct as_regions *r, uint32_t pid, uint64_t addr,
		   uint64_t len);
/*
 * @pid's mremap of [@old, @old + @old_len) to [@new, @new + @new_len):
 * the region there (if tracked) moves and changes size; a grown part is
 * charged to the region's stack.
 */
int regions__remap(struct as_regions *r, uint32_t pid, uint64_t old,
		   uint64_t old_len, uint64_t new, uint64_t new_len);
/* Forgets @pid (it exited); with @below_gen, only its images before it. */
void regions__forget(struct as_regions *r, uint32_t pid, uint32_t below_gen);

/* The per-stack counters, in no order; valid until the next change. */
const struct as_region_stat *regions__stats(const struct as_regions *r,
					    size_t *n);
/* A piece of a live region, for regions__for_each_piece(). */
struct as_region_piece {
	uint32_t pid, gen;
	uint64_t stack;
	uint64_t bytes; /* of this piece */
	uint64_t ts_ns; /* when its region was mapped */
	bool first;	/* the first piece of its region met in this pass */
};

/* Calls @fn on every piece of every live region; stops at and returns
 * @fn's first non-zero result. */
int regions__for_each_piece(struct as_regions *r,
			    int (*fn)(const struct as_region_piece *pc,
				      void *ctx),
			    void *ctx);

/* The process's totals, or NULL when it mapped nothing. */
const struct as_region_proc *regions__proc(const struct as_regions *r,
					   uint32_t pid);

#endif
