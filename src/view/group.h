/* SPDX-License-Identifier: MIT */
/*
 * group.h - group a snapshot's samples by a key, compare two groupings,
 * order rows like tracemalloc's compare_to().
 *
 * Owned by the group module. Rows borrow strings and locations from the
 * snapshots they were built from: free the stats before the snapshots.
 */
#ifndef ALLOCSNOOP_GROUP_H
#define ALLOCSNOOP_GROUP_H

#include "profile/model.h"

struct as_u64map;

enum as_group_by {
	AS_GROUP_LINENO,
	AS_GROUP_FILENAME,
	AS_GROUP_FUNCTION,
	AS_GROUP_TRACEBACK,
	AS_GROUP_MODULE,
	AS_GROUP_PROCESS,
};

/* Parses "lineno", "filename", ...; returns 0 or -EINVAL. */
int group_by__parse(const char *name, enum as_group_by *out);
const char *group_by__name(enum as_group_by by);

/* tracemalloc's Filter: which samples count. Empty lists mean "all". */
struct as_filter {
	const char **include; /* fnmatch globs on a frame's file or module */
	size_t ninclude;
	const char **exclude;
	size_t nexclude;
	const uint32_t *pids;
	size_t npids;
	int64_t min_size; /* rows below this live size: see stats__compare() */
	bool no_mmap;	  /* leave out regions mapped with mmap directly */
};

/*
 * True when @sample passes @f's pids, include and exclude lists (min_size
 * applies to rows, not samples). Include globs match when ANY frame's file
 * or module path matches (tracemalloc's all_frames=True), so "*orders.c"
 * keeps every allocation with orders.c on its stack; exclude globs drop a
 * sample when its allocation-site frame (innermost line) matches, so excluding
 * a library removes what it allocates itself, not what it calls. A frame
 * without a file matches the pattern "<unknown>". Globs are fnmatch(3)
 * without flags: '*' also matches '/'.
 */
/* True when @f keeps process @pid (no --pid list keeps all; NULL too). */
bool filter__keep_pid(const struct as_filter *f, uint32_t pid);
bool filter__keep_sample(const struct as_snapshot *s,
			 const struct as_sample *sample,
			 const struct as_filter *f);

struct as_group_opts {
	enum as_group_by by;
	bool per_process; /* key includes the pid (live system-wide reports) */
	/* filename/lineno: count every frame, not only the site */
	bool cumulative;
	const struct as_filter *filter; /* NULL = no filter */
};

/* One row of a report. */
struct as_stat {
	char *key; /* canonical key; rows of two snapshots match on it */
	/* What the row is about, without pid: "/src/orders.c:42",
	 * "parse+0x1c (libfoo.so)", "libfoo.so+0x1234", "load_orders",
	 * "/usr/lib/libfoo.so", "<unknown>", a comm; for traceback the site. */
	char *name;
	uint32_t pid;  /* 0 unless per_process or group-by process */
	uint32_t kind; /* enum as_sample_kind of its samples */
	const char *comm;
	/* The site (innermost line of the allocation-site location); NULLs
	 * and 0 when unknown. */
	const char *function;
	const char *file;
	int64_t line;
	const char *module;
	uint64_t address;
	/* traceback only: the row's first sample, innermost frame first */
	const struct as_snapshot *snap;
	const struct as_sample *sample;
	int64_t size, count, alloc_size, alloc_count;
	int64_t size_diff, count_diff;
	/* time, summed over its samples: temporary allocations, the oldest
	 * live block's age, the lifetimes of freed blocks, the ages of live
	 * ones (owned by the row) */
	int64_t temporary;
	uint64_t oldest_ns;
	struct as_hist life, age;
};

struct as_stats {
	size_t n;
	struct as_stat *rows;
	/* The filter's min_size. stats__group() keeps every row;
	 * stats__compare() drops the rows whose |size| is below it in both
	 * snapshots, so a row that shrank below it still shows how much it
	 * shrank. */
	int64_t min_size;
	/* stats__group()'s map from key hash to row, kept for
	 * stats__compare() to find rows in; NULL once stats__sort()
	 * reordered the rows. Private to the group module. */
	struct as_u64map *index;
};

int stats__group(const struct as_snapshot *s, const struct as_group_opts *o,
		 struct as_stats **out);
/*
 * Rows of @now with size_diff/count_diff against the row of @old with the
 * same key (old == NULL: against nothing), plus rows present only in @old
 * with size and count 0. Rows with nothing at all (no live bytes, no
 * change, no allocation since attach) are left out, and so are rows below
 * now->min_size (see struct as_stats). The result is sorted (stats__sort).
 */
int stats__compare(const struct as_stats *now, const struct as_stats *old,
		   struct as_stats **out);
/* tracemalloc order: |size_diff|, size, |count_diff|, count (descending),
 * then key (ascending). Drops the index (see struct as_stats). */
void stats__sort(struct as_stats *st);

/* --sort: what comes first besides tracemalloc's order. */
enum as_sort {
	AS_SORT_SIZE,	   /* tracemalloc's order (the default) */
	AS_SORT_TEMPORARY, /* most temporary allocations first */
	AS_SORT_AGE,	   /* oldest live block first */
	AS_SORT_ALLOCATED, /* most bytes allocated since attach first */
};

/* Parses "size", "temporary", "age", "allocated"; 0 or -EINVAL. */
int sort__parse(const char *name, enum as_sort *out);
/* Sorts by @by, then in tracemalloc's order. */
void stats__sort_by(struct as_stats *st, enum as_sort by);
void stats__free(struct as_stats *st);

#endif
