/* SPDX-License-Identifier: MIT */
/*
 * model.h - the snapshot: allocation state at one moment, fully symbolized.
 *
 * Owned by the model module. It is the one structure that the collector
 * builds from BPF maps, that snapshot files store and load, and that
 * group/diff and the reports read. It mirrors pprof's shape (modules =
 * mappings, locations with inlined lines, samples = stacks with values) so
 * that a file round-trips without loss. A snapshot owns every string and
 * array it holds; snapshot__free() releases all of it.
 */
#ifndef ALLOCSNOOP_MODEL_H
#define ALLOCSNOOP_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "profile/hist.h"

/* One source line of a location; several for inlined frames. */
struct as_line {
	char *function; /* demangled; NULL when unknown */
	char *file;	/* full path from debug info; NULL when unknown */
	int64_t line;	/* 0 when unknown */
};

/* A loaded object file (pprof Mapping). */
struct as_module {
	char *path;	/* as the process mapped it, e.g.
			   /usr/lib/x86_64-linux-gnu/libc.so.6 */
	char *build_id; /* lowercase hex, NULL when the file has none */
	uint64_t
	    start; /* address range and file offset of the executable mapping */
	uint64_t limit;
	uint64_t offset;
};

/*
 * The module (pprof Mapping) of the frames of an interpreted Python
 * program: their locations hold the code object's address and the
 * instruction index, and one Line (qualified name, file, line).
 */
#define AS_PYTHON_MODULE "[python]"

/* One frame address (pprof Location). */
struct as_location {
	uint64_t address; /* as seen in the process (a return address) */
	int32_t module;	  /* index into snapshot modules, -1 when unknown */
	uint64_t
	    rel_offset;	 /* file offset inside the module (symbolization key) */
	uint32_t nlines; /* 0 when unsymbolized */
	uint32_t cap_lines;    /* private: allocated capacity of lines */
	struct as_line *lines; /* innermost (most deeply inlined) first */
};

/* One distinct stack of one process with its byte and object counts. */
/* What a sample's bytes are. */
enum as_sample_kind {
	AS_KIND_MALLOC = 0, /* blocks of an allocator (malloc and friends) */
	AS_KIND_MMAP,	    /* regions mapped with mmap directly */
	/* blocks CPython's pymalloc served from its arenas: inside the
	 * arenas' mmap regions, so not in the process's current and peak */
	AS_KIND_PYMALLOC,
};

/* "malloc" or "mmap"; NULL for an unknown kind. */
const char *sample_kind__name(enum as_sample_kind kind);
/* The kind called @name; -EINVAL when none is. */
int sample_kind__parse(const char *name, enum as_sample_kind *out);

struct as_sample {
	uint32_t pid;
	uint32_t kind; /* enum as_sample_kind */
	uint32_t nlocs;
	uint32_t *locs; /* indices into snapshot locations, innermost first */
	int64_t size;	/* live bytes */
	int64_t count;	/* live allocations */
	int64_t alloc_size;  /* bytes allocated since attach */
	int64_t alloc_count; /* allocations since attach */
	/* Time (snapshots of a tracer that kept it; 0 and empty else). */
	int64_t temporary;   /* freed within snapshot.temporary_ns */
	uint64_t oldest_ns;  /* age of its oldest live block */
	struct as_hist life; /* freed blocks by lifetime */
	struct as_hist age;  /* live blocks by age */
};

struct as_process {
	uint32_t pid;
	char *comm;
	int64_t current_bytes; /* live bytes since attach */
	int64_t peak_bytes;    /* high-water mark of current_bytes */
	uint64_t alloc_count;
	uint64_t free_count;
	uint64_t failed_count;
	uint64_t unmatched_free_count;
	uint64_t alloc_bytes;
	uint64_t free_bytes;
	int64_t mmap_bytes; /* mapped with mmap directly, now */
	int64_t mmap_peak;  /* the most mapped at once */
	/* of mmap_bytes, CPython's pymalloc arenas (which hold the small
	 * objects that no row breaks down) */
	int64_t pymalloc_bytes;
	/* of those, the live pymalloc blocks the rows show (AS_KIND_PYMALLOC
	 * samples): the rest were allocated where no probe sees */
	int64_t pymalloc_blocks;
	struct timespec peak_time; /* CLOCK_REALTIME of the peak; 0 unknown */
	/* Its memory over time, oldest first (none: ntimeline 0). */
	size_t ntimeline;
	struct as_timeline_point *timeline;
	bool exited;  /* the process has exited; these are its last numbers */
	bool inexact; /* some of its allocations could not be tracked */
};

/* One moment of a process's memory over time. */
struct as_timeline_point {
	int64_t t_ms;	      /* since the snapshot's start */
	int64_t current;      /* live bytes */
	uint64_t alloc_count; /* allocations since attach */
	uint64_t free_count;
};

/* A named counter of something the tracer could not keep exactly. */
struct as_counter {
	char *name;
	uint64_t value;
};

struct as_u64map;

struct as_snapshot {
	struct timespec time;  /* CLOCK_REALTIME when taken */
	struct timespec start; /* CLOCK_REALTIME when tracing started */
	bool has_meta;	       /* false for a pprof file not written by us */
	char *tool_version;    /* metadata, NULL when unknown */
	char *hostname;
	char *command; /* the traced command line or target, NULL if none */
	int64_t sample_bytes; /* sampling period, 0 = exact */
	/* The live counts are of blocks older than this (--older-than);
	 * 0 = of every live block. */
	uint64_t older_than_ns;
	uint64_t temporary_ns; /* what the samples' temporary counts mean */

	size_t nprocesses, nsamples, nlocations, nmodules, ncounters;
	struct as_process *processes;
	struct as_sample *samples;
	struct as_location *locations;
	struct as_module *modules;
	struct as_counter *counters;
	/* private: allocated capacities */
	size_t cap_processes, cap_samples, cap_locations, cap_modules,
	    cap_counters;
	/* private: module hash -> module index (one entry per module) */
	struct as_u64map *module_index;
};

struct as_snapshot *snapshot__new(void);
void snapshot__free(struct as_snapshot *s);

/*
 * Builders. Each copies the strings it is given and returns the new index
 * (>= 0) or a negative errno. add_module and add_location return the
 * existing index when an equal entry is present (module: same path,
 * build-id, start and offset; location: same module and address), so
 * callers need not dedup. new_location always appends (for callers that
 * index locations themselves: the collector with 100k stacks).
 */
int snapshot__add_module(struct as_snapshot *s, const char *path,
			 const char *build_id, uint64_t start, uint64_t limit,
			 uint64_t offset);
int snapshot__add_location(struct as_snapshot *s, uint64_t address,
			   int32_t module, uint64_t rel_offset);
int snapshot__new_location(struct as_snapshot *s, uint64_t address,
			   int32_t module, uint64_t rel_offset);
/* Appends a line to location @loc (call in innermost-first order). */
int snapshot__add_line(struct as_snapshot *s, uint32_t loc,
		       const char *function, const char *file, int64_t line);
int snapshot__add_sample(struct as_snapshot *s, uint32_t pid,
			 const uint32_t *locs, uint32_t nlocs, int64_t size,
			 int64_t count, int64_t alloc_size,
			 int64_t alloc_count);
/* Returns the process's index, creating an entry with zero counts. */
int snapshot__add_process(struct as_snapshot *s, uint32_t pid,
			  const char *comm);
int snapshot__set_counter(struct as_snapshot *s, const char *name,
			  uint64_t value);
int snapshot__set_meta(struct as_snapshot *s, const char *tool_version,
		       const char *hostname, const char *command);

/* qsort/bsearch order of struct as_process pointers: by pid. */
int process__ptr_cmp(const void *a, const void *b);

/* Leaves only @pid's samples and process in @s (locations and modules
 * stay: samples refer to them by index). */
void snapshot__keep_pid(struct as_snapshot *s, uint32_t pid);
const struct as_process *snapshot__find_process(const struct as_snapshot *s,
						uint32_t pid);
uint64_t snapshot__counter(const struct as_snapshot *s, const char *name);

/*
 * Index into l->lines of the line a site names: the innermost one outside
 * the runtime's headers, or 0 when every line is in them (or none known).
 */
uint32_t location__site_line(const struct as_location *l);

/* True when @l is a frame of an interpreted Python program. */
bool location__is_python(const struct as_snapshot *s,
			 const struct as_location *l);

/*
 * Index into sample->locs of the allocation site: the innermost Python
 * frame when the stack has one (the interpreter allocated for it), else
 * the innermost frame outside the runtime (its module, or every line in
 * the runtime's headers), or 0 when every frame is in the runtime.
 * Returns -1 for an empty stack.
 */
int sample__site(const struct as_snapshot *s, const struct as_sample *sample);

#endif
