/* SPDX-License-Identifier: MIT */
/*
 * loc_index.h - the locations one collect has made, by (pid, address).
 *
 * Owned by one collector__collect() call: made empty, filled while its
 * stacks are symbolized, freed at its end (the locations are indices
 * into that collect's snapshot). It also remembers which processes had
 * their module maps re-read during the collect, so that an address no
 * mapping holds costs one re-read per process, not one per frame.
 */
#ifndef ALLOCSNOOP_LOC_INDEX_H
#define ALLOCSNOOP_LOC_INDEX_H

#include <stdbool.h>
#include <stdint.h>

struct as_loc_index;

int loc_index__new(struct as_loc_index **out);
void loc_index__free(struct as_loc_index *li);

/* True, with *@loc, when address @addr of process @pid has a location. */
bool loc_index__get(struct as_loc_index *li, uint32_t pid, uint64_t addr,
		    uint32_t *loc);
/* Records @loc as the location of @addr in @pid. Returns 0 or -ENOMEM. */
int loc_index__set(struct as_loc_index *li, uint32_t pid, uint64_t addr,
		   uint32_t loc);

/*
 * 1 the first time it is asked for @pid (its maps may be re-read now), 0
 * after that, or -ENOMEM.
 */
int loc_index__first_refresh(struct as_loc_index *li, uint32_t pid);

#endif
