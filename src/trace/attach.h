/* SPDX-License-Identifier: MIT */
/*
 * attach.h - how the allocator probes are linked to the kernel, decided in
 * one place.
 *
 * Owned by the attach module. It owns every link it makes. The mode is
 * the best the kernel offers, weakened in one step whenever the kernel
 * refuses it: at load (a program's expected attach type is unknown) or at
 * the first attach (a session link is refused). Lifecycle: new (choose
 * the mode) -> prepare (configure the programs, before the skeleton is
 * loaded) -> load, and on a refused load fall_back, then prepare a new
 * skeleton and load again ->
 * attach_file for every allocator file -> free (detach everything).
 */
#ifndef ALLOCSNOOP_ATTACH_H
#define ALLOCSNOOP_ATTACH_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "trace/allocators.h"

/* Strongest first: each falls back to the next. */
enum as_attach_mode {
	/* uprobe_multi links, and the hot functions (allocators.h) as one
	 * uprobe session link, whose entry skips the return of calls
	 * sampling passes by (Linux >= 6.13; only when sampling) */
	AS_ATTACH_SESSION,
	/* one uprobe_multi link per program and file (Linux >= 6.6): cheaper
	 * hits, and one RCU wait to detach instead of one per probe */
	AS_ATTACH_MULTI,
	/* a perf-event uprobe (and uretprobe) per function */
	AS_ATTACH_PERF,
};

struct as_attach_opts {
	bool sampling; /* --sample-bytes: sessions are worth having */
	bool verbose;  /* print every probe site and why */
};

struct allocsnoop_bpf;
struct as_attacher;

/* Chooses the mode for this kernel. */
int attacher__new(const struct as_attach_opts *o, struct as_attacher **out);
void attacher__free(struct as_attacher *a);

enum as_attach_mode attacher__mode(const struct as_attacher *a);
/* The mode's name, for messages: "uprobe session", ... */
const char *attacher__mode_name(enum as_attach_mode mode);

/*
 * Configures the programs for the mode (expected attach types, which
 * programs load at all). Call on an opened, not yet loaded skeleton: the
 * one the attacher then attaches with (it stays the caller's).
 */
int attacher__prepare(struct as_attacher *a, struct allocsnoop_bpf *skel);

/*
 * After the kernel refused to load the programs: steps to the next mode.
 * Returns false when there is none (the failure was not the mode's).
 */
bool attacher__fall_back(struct as_attacher *a);

/*
 * Probes the functions of family @fam in the object file @path, for
 * process @pid (-1 = every process). Returns the number of functions
 * probed, -ENOENT when @path lacks one the family requires, or another
 * negative errno (printed; -ESRCH, the process is gone, is not).
 */
int attacher__attach_file(struct as_attacher *a,
			  const struct as_alloc_family *fam, const char *path,
			  pid_t pid);

/*
 * Probes the dynamic loader's rendezvous function at @offset of @path
 * (ld.so's _dl_debug_state) for process @pid (-1 = every process): each
 * load or unload of libraries then tells userspace (AS_EV_MAPS).
 */
int attacher__attach_rendezvous(struct as_attacher *a, const char *path,
				uint64_t offset, pid_t pid);

/* Attaches the exec/exit/fork tracepoints and, with @mmap, the system
 * calls' exit (mmap, munmap, mremap). */
int attacher__attach_lifecycle(struct as_attacher *a, bool mmap);

#endif
