/* SPDX-License-Identifier: MIT */
/*
 * collector.h - BPF maps -> a symbolized snapshot.
 *
 * Owned by the collector module. It reads the process, per-stack and
 * stack maps, resolves each frame through the process's module maps and
 * the symbolizer, and caches what never changes (stack frames, process
 * names). It keeps the mmap'd regions from their events (regions.h). It
 * also purges the map entries of processes that are gone.
 */
#ifndef ALLOCSNOOP_COLLECTOR_H
#define ALLOCSNOOP_COLLECTOR_H

#include "profile/model.h"
#include "symbolize/procmaps.h"
#include "symbolize/symbolizer.h"
#include "trace/tracer.h"

struct as_collector;

int collector__new(struct as_procmaps *pm, struct as_symbolizer *sym,
		   struct as_collector **out);
void collector__free(struct as_collector *c);

/* Python frames (tagged stack entries) are resolved through @py, which
 * the collector does not own; without it they stay unsymbolized. */
struct as_python;
void collector__set_python(struct as_collector *c, struct as_python *py);

/*
 * Reads the code objects of @pid's Python frames (0: every process's)
 * that were not read yet, while the process can be read (the -c command
 * held at its exit; every second meanwhile): later reports still name
 * them after the process is gone. 0 or a negative errno.
 */
int collector__warm_python(struct as_collector *c,
			   const struct as_tracer_maps *m, uint32_t pid);

/* The same for the one stack @stack of @pid, just stored (an
 * AS_EV_PY_STACK event). */
int collector__warm_stack(struct as_collector *c,
			  const struct as_tracer_maps *m, uint32_t pid,
			  uint64_t stack);

/* Records a process's name (from an event: survives the process). */
int collector__set_comm(struct as_collector *c, uint32_t pid, const char *comm);
/* Python frames (tagged stack entries) are resolved through @py, which
 * the collector does not own; without it they stay unsymbolized. */
struct as_python;
void collector__set_python(struct as_collector *c, struct as_python *py);

/* Records a process's name as /proc says it is now (before it is gone:
 * the -c command held at its exit). Returns 0 or a negative errno. */
int collector__read_comm(struct as_collector *c, uint32_t pid);

/*
 * The live counts of later collects are of the blocks older than
 * @older_ns (0: all); @temporary_ns is what the programs count as a
 * temporary allocation (recorded in the snapshot).
 */
void collector__set_time(struct as_collector *c, uint64_t older_ns,
			 uint64_t temporary_ns);

/* Whether later collects read every live block's age (a pass over the
 * live-block table): for snapshots and --ages; --older-than always does. */
void collector__want_ages(struct as_collector *c, bool on);

/* Adds every process's current bytes and counts to its memory over time
 * (the tracer's loop calls it 10 times a second). 0 or a negative errno. */
int collector__tick(struct as_collector *c, const struct as_tracer_maps *m);

/*
 * Keeps the regions from an mmap, munmap or mremap event (struct
 * as_mmap_event; events come in the order the calls ended). What the
 * dynamic loader maps on its own (libraries' zero-filled data) is left
 * out: it is not the program's allocation.
 */
int collector__on_mmap(struct as_collector *c, const struct as_tracer_maps *m,
		       const struct as_mmap_event *e);

/* Fills @snap with the maps' current contents, and the mmap'd regions as
 * samples of kind AS_KIND_MMAP. */
int collector__collect(struct as_collector *c, const struct as_tracer_maps *m,
		       struct as_snapshot *snap);

/*
 * Deletes every map entry of the @n processes in @pids, and the records of
 * the images that processes exec'd away from since the last purge, in one
 * pass over each map; forgets the module maps of @pids.
 */
int collector__purge(struct as_collector *c, const struct as_tracer_maps *m,
		     const uint32_t *pids, size_t n);

/*
 * After @pid exec'd: re-reads its module maps and marks the records of its
 * earlier images (their memory is gone) for the next purge. Reports skip
 * them meanwhile.
 */
int collector__exec(struct as_collector *c, const struct as_tracer_maps *m,
		    uint32_t pid);

#endif
