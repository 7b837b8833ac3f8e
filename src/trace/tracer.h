/* SPDX-License-Identifier: MIT */
/*
 * tracer.h - the BPF skeleton's lifecycle: open, configure, load, attach.
 *
 * Owned by the tracer module. It owns the BPF object, the attacher that
 * links its programs (attach.h: the mode is decided there, and may be
 * weakened while loading) and the ring buffer; the collector reads the
 * maps through tracer__maps(). With sample_bytes set it fills the
 * sampling tables (sampling.h).
 */
#ifndef ALLOCSNOOP_TRACER_H
#define ALLOCSNOOP_TRACER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <linux/types.h>

#include "allocsnoop.h"

struct as_tracer_opts {
	pid_t self_tgid;       /* excluded from tracing */
	uint32_t stack_depth;  /* 1..AS_MAX_STACK_DEPTH */
	uint32_t max_allocs;   /* live allocations tracked */
	uint32_t max_stacks;   /* distinct stacks */
	uint32_t max_stats;    /* (process, stack) pairs */
	uint32_t max_procs;    /* processes */
	uint32_t max_threads;  /* threads inside an allocator call at once */
	uint64_t sample_bytes; /* mean bytes between samples, 0 = exact;
				  at most AS_SAMPLE_BYTES_MAX */
	bool follow_forks;     /* trace only tracer__follow()ed processes
				  and their descendants */
	pid_t only_tgid;       /* -p, -c: the one process traced, 0 = any */
	bool mmap;	       /* trace mmap, munmap and mremap */
	bool mmap_files;       /* file mappings too, not only anonymous */
	uint64_t temporary_ns; /* a block freed sooner is temporary; 0 = 1 ms */
	bool floor_only;       /* --floor: allocation probes return at once */
	bool verbose;
};

/* What the collector reads. */
struct as_tracer_maps {
	/* live blocks: an mmapable array of table_buckets struct as_bucket,
	 * and allocs for those a full bucket could not take */
	int table;
	__u32 table_buckets;
	int allocs, stacks, stats, procs;
	int py_procs; /* written by the CPython support (python.h) */
	const volatile __u64 *lost; /* AS_LOST_MAX counters */
};

/* An event of @size bytes: struct as_event, or struct as_mmap_event for
 * the AS_EV_MMAP, AS_EV_MUNMAP and AS_EV_MREMAP types. */
typedef void (*as_tracer_event_fn)(const struct as_event *ev, size_t size,
				   void *ctx);

struct as_tracer;

/* Opens, configures and loads the BPF programs. Prints why on failure. */
int tracer__new(const struct as_tracer_opts *o, as_tracer_event_fn on_event,
		void *ctx, struct as_tracer **out);
void tracer__free(struct as_tracer *t);

/*
 * Attaches the probes of allocator family @fam to the object file @path
 * for process @pid (-1 = every process). Returns the number of functions
 * attached, -ENOENT when @path lacks one of the family's required
 * functions, or another negative errno (printed).
 */
struct as_alloc_family;
int tracer__attach_lib(struct as_tracer *t, const struct as_alloc_family *fam,
		       const char *path, pid_t pid);
/* Attaches the exec/exit/fork tracepoints, and mmap's when asked. */
int tracer__attach_lifecycle(struct as_tracer *t);

/* Probes the loader's rendezvous at @offset of @path (attach.h). */
int tracer__attach_rendezvous(struct as_tracer *t, const char *path,
			      uint64_t offset, pid_t pid);

/* Counts, in the loss counters, one thing the tracer could not see. */
void tracer__count_lost(struct as_tracer *t, enum as_lost what);

/* --follow-forks: traces @pid and, from now on, its descendants. */
int tracer__follow(struct as_tracer *t, pid_t pid);

/*
 * Loads the unwind tables of the runtime libraries @pid maps (0: those
 * next to @libc_path), so that allocations made through strdup, fopen or
 * operator new are charged to their callers. Failures only cost that.
 */
void tracer__add_runtime(struct as_tracer *t, pid_t pid, const char *libc_path);
/* The same for one runtime library file. */
void tracer__add_runtime_file(struct as_tracer *t, const char *path);
/* The same for a file @pid maps already (a CPython interpreter). */
void tracer__add_runtime_file_of(struct as_tracer *t, const char *path,
				 pid_t pid);

/* The ring buffer's epoll fd, for the caller's event loop. */
int tracer__event_fd(const struct as_tracer *t);
/* Delivers pending events to on_event without blocking. */
int tracer__drain(struct as_tracer *t);

void tracer__maps(const struct as_tracer *t, struct as_tracer_maps *out);

#endif
