/* SPDX-License-Identifier: MIT */
/*
 * flat.h - one or two snapshots as a table of distinct frames and a list
 * of stacks, root first, each with its values in both snapshots: what a
 * flame graph is drawn from (the HTML report, speedscope's JSON).
 *
 * Owned by the flat module. A frame is one source line of a location
 * (inlined lines are frames of their own, outermost first), the same
 * frame in both snapshots has one index, so stacks of two snapshots
 * compare by their frame lists. Frames borrow their strings from the
 * snapshots: free the flat profile before them.
 */
#ifndef ALLOCSNOOP_FLAT_H
#define ALLOCSNOOP_FLAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "profile/model.h"
#include "view/group.h"

struct as_u64map;

/* A frame. With neither function nor file it is module+offset (the file
 * offset), or a raw address when the module is unknown too. */
struct as_flat_frame {
	const char *function; /* NULL when unknown */
	const char *file;     /* NULL when unknown */
	int64_t line;	      /* 0 when unknown */
	const char *module;   /* path, NULL when unknown */
	bool has_offset;      /* no line known: @offset names the frame */
	uint64_t offset;      /* file offset in @module, or the address */
};

/* Values of one stack in one snapshot. */
struct as_flat_values {
	int64_t size, count, alloc_size, alloc_count;
	int64_t temporary; /* allocations freed within the threshold */
};

struct as_flat_stack {
	uint32_t pid;
	uint32_t nframes;
	size_t first;	     /* index of its first frame in refs[] */
	bool in_now, in_old; /* present in that snapshot */
	struct as_flat_values now, old;
};

struct as_flat {
	struct as_flat_frame *frames;
	size_t nframes, cap_frames;
	uint32_t *refs; /* the stacks' frame indices, root first */
	size_t nrefs, cap_refs;
	struct as_flat_stack *stacks; /* now's in sample order, then old's */
	size_t nstacks, cap_stacks;
	struct as_flat_values total_now, total_old; /* sums over the stacks */
	/* private: frame and stack hashes -> index */
	struct as_u64map *frame_index, *stack_index;
	uint32_t *tmp; /* one stack's frames while it is looked up */
	size_t cap_tmp;
};

/*
 * Builds @out from the samples of @now (and of @old, NULL for none) that
 * @filter keeps (NULL = all). Samples with the same pid and frames are
 * one stack (their values added); a stack is matched across snapshots by
 * pid and frames. Samples with nothing in them (all four values 0) are
 * left out. Returns 0 or -ENOMEM; on error @out is empty but must still
 * be freed.
 */
int flat__build(struct as_flat *out, const struct as_snapshot *now,
		const struct as_snapshot *old, const struct as_filter *filter);
void flat__free(struct as_flat *f);

struct as_strbuf;
/*
 * Appends the name of @fr as the text report and the page name frames:
 * "function (file:line)" with debug info (the file's basename),
 * "function (module)" with a symbol only, "module+0x1c40" without, or
 * the address. Returns 0 or -ENOMEM.
 */
int flat__label(const struct as_flat_frame *fr, struct as_strbuf *sb);

#endif
