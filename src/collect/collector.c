// SPDX-License-Identifier: MIT
/*
 * collector.c - read the BPF maps into a snapshot, and purge them.
 *
 * What is decided without the maps lives beside it: which stacks and
 * process names are known (stack_cache, comm_cache), the locations of
 * one collect (loc_index), and which records a purge removes
 * (purge_rules).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "collect/ages.h"
#include "collect/collector.h"
#include "collect/comm_cache.h"
#include "collect/loc_index.h"
#include "collect/purge_rules.h"
#include "collect/regions.h"
#include "collect/stack_cache.h"
#include "collect/timeline.h"
#include "unwind/python.h"
#include "util/buf.h"
#include "util/u64map.h"

#define BATCH 4096

static const char *const lost_names[AS_LOST_MAX] = {
    [AS_LOST_ALLOC_MAP_FULL] = "alloc_map_full",
    [AS_LOST_STACK_MAP_FULL] = "stack_map_full",
    [AS_LOST_STAT_MAP_FULL] = "stat_map_full",
    [AS_LOST_PROC_MAP_FULL] = "proc_map_full",
    [AS_LOST_THREAD_MAP_FULL] = "thread_map_full",
    [AS_LOST_EVENTS] = "events_lost",
    [AS_LOST_STACK_TRUNCATED] = "stacks_truncated",
    [AS_LOST_READ_FAILED] = "read_failed",
    [AS_LOST_STALE_ALLOC] = "stale_allocs",
    [AS_LOST_LATE_PROBES] = "probes_late",
    [AS_LOST_PYMALLOC_STALE] = "pymalloc_stale",
};

struct as_collector {
	struct as_procmaps *pm;
	struct as_symbolizer *sym;
	struct as_timeline *timeline;	 /* every process's memory over time */
	uint64_t older_ns, temporary_ns; /* --older-than, --temporary */
	bool ages;			 /* collects read the blocks' ages */
	struct as_regions *regions;	 /* mmap'd, from their events */
	struct as_stack_cache *stacks;
	struct as_comm_cache *comms;
	struct as_purge_rules *rules;
	struct as_python *py; /* not owned; NULL: no Python frames */
	int py_module;	      /* this collect's "[python]" module, -1 none */
};

int collector__new(struct as_procmaps *pm, struct as_symbolizer *sym,
		   struct as_collector **out)
{
	struct as_collector *c = calloc(1, sizeof(*c));
	int err;

	if (!c)
		return -ENOMEM;
	c->pm = pm;
	c->sym = sym;
	err = stack_cache__new(&c->stacks);
	err = err ?: regions__new(&c->regions);
	err = err ?: timeline__new(&c->timeline);
	err = err ?: comm_cache__new(&c->comms);
	err = err ?: purge_rules__new(&c->rules);
	if (err) {
		collector__free(c);
		return err;
	}
	*out = c;
	return 0;
}

void collector__free(struct as_collector *c)
{
	if (!c)
		return;
	stack_cache__free(c->stacks);
	regions__free(c->regions);
	timeline__free(c->timeline);
	comm_cache__free(c->comms);
	purge_rules__free(c->rules);
	free(c);
}

void collector__set_python(struct as_collector *c, struct as_python *py)
{
	c->py = py;
}

int collector__set_comm(struct as_collector *c, uint32_t pid, const char *comm)
{
	return comm_cache__set(c->comms, pid, comm);
}

/* The name of @pid: from an event, else from /proc while it lives. */
int collector__read_comm(struct as_collector *c, uint32_t pid)
{
	char path[64], buf[COMM_CACHE_MAX_LEN + 2] = "";
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%u/comm", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return n < 0 ? -errno : -ESRCH;
	buf[n] = 0;
	buf[strcspn(buf, "\n")] = 0;
	return comm_cache__set(c->comms, pid, buf);
}

/* A process's name now (it may have renamed itself since it was first
 * seen), or the last one known once it is gone. */
static const char *comm_of(struct as_collector *c, uint32_t pid)
{
	const char *comm;

	collector__read_comm(c, pid);
	comm = comm_cache__get(c->comms, pid);
	return comm ? comm : "?";
}

/* Called with each batch of entries read from a map. */
typedef int (*batch_fn)(const void *keys, const void *vals, __u32 n, void *ctx);

/*
 * Reads every entry of the hash map @fd in batches (one syscall per BATCH
 * entries, not two per entry) and hands each batch to @fn. Stops at the
 * first error, of the map or of @fn.
 */
static int for_each_batch(int fd, size_t key_size, size_t val_size, batch_fn fn,
			  void *ctx)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	char *keys, *vals, token[64];
	void *in = NULL;
	__u32 count;
	int err, ret = 0;

	keys = calloc(BATCH, key_size);
	vals = calloc(BATCH, val_size);
	if (!keys || !vals) {
		ret = -ENOMEM;
		goto cleanup;
	}
	do {
		count = BATCH;
		err = bpf_map_lookup_batch(fd, in, token, keys, vals, &count,
					   &opts);
		if (err && err != -ENOENT) {
			ret = err;
			goto cleanup;
		}
		ret = count ? fn(keys, vals, count, ctx) : 0;
		if (ret)
			goto cleanup;
		in = token;
	} while (!err);
cleanup:
	free(keys);
	free(vals);
	return ret;
}

/* The monotonic clock (the programs') in nanoseconds. */
static uint64_t mono_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ULL + (uint64_t)t.tv_nsec;
}

struct procs_ctx {
	struct as_collector *c;
	struct as_snapshot *snap;
	uint64_t now_mono; /* the programs' clock, when snap->time was read */
};

/* The CLOCK_REALTIME of the programs' monotonic @ns (0: unknown). */
static struct timespec realtime_of(const struct procs_ctx *pc, uint64_t ns)
{
	int64_t real = (int64_t)pc->snap->time.tv_sec * 1000000000LL +
		       pc->snap->time.tv_nsec;

	if (!ns || ns > pc->now_mono)
		return (struct timespec){0, 0};
	real -= (int64_t)(pc->now_mono - ns);
	return (struct timespec){real / 1000000000LL, real % 1000000000LL};
}

static int procs_batch(const void *keys, const void *vals, __u32 n, void *arg)
{
	const __u32 *pid = keys;
	const struct as_proc_val *v = vals;
	struct procs_ctx *pc = arg;
	__u32 i;
	int idx;

	for (i = 0; i < n; i++) {
		if (purge_rules__set_gen(pc->c->rules, pid[i], v[i].gen))
			return -ENOMEM;
		idx = snapshot__add_process(pc->snap, pid[i],
					    comm_of(pc->c, pid[i]));
		if (idx < 0)
			return idx;
		pc->snap->processes[idx] = (struct as_process){
		    .pid = pid[i],
		    .comm = pc->snap->processes[idx].comm,
		    .current_bytes = v[i].current,
		    .peak_bytes = v[i].peak,
		    .alloc_count = v[i].alloc_count,
		    .free_count = v[i].free_count,
		    .failed_count = v[i].failed_count,
		    .unmatched_free_count = v[i].unmatched_free_count,
		    .alloc_bytes = v[i].alloc_bytes,
		    .free_bytes = v[i].free_bytes,
		    .peak_time = realtime_of(pc, v[i].peak_ns),
		    .exited = procmaps__process_gone((pid_t)pid[i]),
		    .inexact = v[i].untracked > 0,
		};
	}
	return 0;
}

static int read_procs(struct as_collector *c, const struct as_tracer_maps *m,
		      struct as_snapshot *snap, uint64_t now_mono)
{
	struct procs_ctx pc = {.c = c, .snap = snap, .now_mono = now_mono};

	purge_rules__clear_gens(c->rules);
	return for_each_batch(m->procs, sizeof(__u32),
			      sizeof(struct as_proc_val), procs_batch, &pc);
}

/* The frames of stack @hash (*nr of them), or NULL when unreadable. */
static const __u64 *stack_get(struct as_collector *c, int fd, __u64 hash,
			      __u32 *nr)
{
	const __u64 *ips = stack_cache__get(c->stacks, hash, nr);
	struct as_stack st;

	if (ips)
		return ips;
	if (bpf_map_lookup_elem(fd, &hash, &st))
		return NULL;
	if (st.nr > AS_MAX_STACK_ENTRIES)
		st.nr = AS_MAX_STACK_ENTRIES;
	if (stack_cache__add(c->stacks, hash, st.ips, st.nr, &ips))
		return NULL;
	*nr = st.nr;
	return ips;
}

/* The module of @addr in @pid's mappings, re-read once per collect when
 * none holds it (a library loaded since). -ENOENT when none does. */
static int lookup_addr(struct as_collector *c, struct as_loc_index *li,
		       uint32_t pid, uint64_t addr, struct as_addr_info *ai)
{
	int err = procmaps__lookup(c->pm, pid, addr, ai), first;

	if (err != -ENOENT)
		return err;
	first = loc_index__first_refresh(li, pid);
	if (first < 0)
		return first;
	if (first && procmaps__refresh(c->pm, pid) == 0)
		err = procmaps__lookup(c->pm, pid, addr, ai);
	return err;
}

/* Adds the lines of the symbol of @ai to location @loc. */
static int add_lines(struct as_collector *c, struct as_snapshot *snap,
		     uint32_t loc, const struct as_addr_info *ai)
{
	struct as_symbol sym;
	uint32_t i;
	int err;

	if (symbolizer__resolve(c->sym, ai->file, ai->file_offset, true, &sym))
		return 0; /* the location stays unsymbolized */
	for (i = 0; i < sym.nlines; i++) {
		err = snapshot__add_line(snap, loc, sym.lines[i].function,
					 sym.lines[i].file, sym.lines[i].line);
		if (err)
			return err;
	}
	return 0;
}

/*
 * The location of a Python frame (a tagged entry): one Line with the
 * qualified name, file and line, in the module "[python]", which tells
 * the frames of the interpreted program from native ones in a snapshot.
 */
static int python_location(struct as_collector *c, struct as_loc_index *li,
			   struct as_snapshot *snap, uint32_t pid,
			   uint64_t entry)
{
	struct as_py_frame fr;
	int loc, err;

	if (c->py_module < 0) {
		c->py_module =
		    snapshot__add_module(snap, AS_PYTHON_MODULE, NULL, 0, 0, 0);
		if (c->py_module < 0)
			return c->py_module;
	}
	loc = snapshot__new_location(
	    snap, entry & AS_PY_CODE_MASK, c->py_module,
	    entry >> AS_PY_INSTR_SHIFT & AS_PY_INSTR_MAX);
	if (loc < 0)
		return loc;
	if (c->py && python__resolve(c->py, (pid_t)pid, entry, &fr) == 0) {
		err = snapshot__add_line(snap, (uint32_t)loc, fr.function,
					 fr.file, fr.line);
		if (err)
			return err;
	}
	if (loc_index__set(li, pid, entry, (uint32_t)loc))
		return -ENOMEM;
	return loc;
}

/* Creates (or finds) the symbolized location of @addr in process @pid. */
static int location_of(struct as_collector *c, struct as_loc_index *li,
		       struct as_snapshot *snap, uint32_t pid, uint64_t addr)
{
	struct as_addr_info ai;
	int err, mod = -1, loc;
	uint32_t idx;

	if (loc_index__get(li, pid, addr, &idx))
		return (int)idx;
	if (addr & AS_PY_TAG)
		return python_location(c, li, snap, pid, addr);
	err = lookup_addr(c, li, pid, addr, &ai);
	if (err && err != -ENOENT)
		return err;
	if (!err) {
		mod =
		    snapshot__add_module(snap, ai.file->path, ai.file->build_id,
					 ai.start, ai.limit, ai.pgoff);
		if (mod < 0)
			return mod;
	}
	loc = snapshot__new_location(snap, addr, mod, err ? 0 : ai.file_offset);
	if (loc < 0)
		return loc;
	if (!err) {
		err = add_lines(c, snap, (uint32_t)loc, &ai);
		if (err)
			return err;
	}
	if (loc_index__set(li, pid, addr, (uint32_t)loc))
		return -ENOMEM;
	return loc;
}

/* Does location @loc run CPython's eval loop? */
static bool is_eval_loop(const struct as_snapshot *snap, uint32_t loc)
{
	static const char fn[] = "_PyEval_EvalFrameDefault";
	const struct as_location *l = &snap->locations[loc];

	for (uint32_t j = 0; j < l->nlines; j++)
		if (l->lines[j].function &&
		    strncmp(l->lines[j].function, fn, sizeof(fn) - 1) == 0)
			return true;
	return false;
}

/*
 * Merges a stack's Python frames, walked after its native ones (the
 * @npy last of @n in @locs, whose entries are @ips), into place: each run
 * of Python frames that one native call of the eval loop runs (a run ends
 * at an AS_PY_RUN_END frame) after that call's native frame, before the
 * native frames that called it. Runs past the last eval-loop frame found
 * (a native walk cut short) were called from below the last native frame
 * walked: they end the stack.
 */
static void merge_python(const struct as_snapshot *snap, const __u64 *ips,
			 uint32_t *locs, uint32_t n, uint32_t npy)
{
	uint32_t out[AS_MAX_STACK_ENTRIES], native = n - npy, o = 0;
	uint32_t p = native;

	if (!npy)
		return;
	for (uint32_t i = 0; i < native; i++) {
		out[o++] = locs[i];
		if (p == n || !is_eval_loop(snap, locs[i]))
			continue;
		do /* this call's run */
			out[o++] = locs[p];
		while (!(ips[p++] & AS_PY_RUN_END) && p < n);
	}
	if (p == native) /* no eval loop: as walked */
		return;
	memcpy(out + o, locs + p, (n - p) * sizeof(*out));
	memcpy(locs, out, n * sizeof(*locs));
}

/* A sample of @kind for @stack of process @pid, with its counters;
 * returns its index. */
static int add_sample(struct as_collector *c, struct as_loc_index *li,
		      const struct as_tracer_maps *m, struct as_snapshot *snap,
		      uint32_t pid, uint64_t stack, uint32_t kind,
		      const struct as_stat_val *v)
{
	uint32_t locs[AS_MAX_STACK_ENTRIES], n = 0, npy = 0, i;
	const __u64 *ips = NULL;
	__u32 nr = 0;
	int loc;

	if (stack != AS_STACK_NONE)
		ips = stack_get(c, m->stacks, stack, &nr);
	for (i = 0; ips && i < nr; i++) {
		/* location_of does not touch the frame pool */
		loc = location_of(c, li, snap, pid, ips[i]);
		if (loc < 0)
			return loc;
		locs[n++] = (uint32_t)loc;
		npy += (ips[i] & AS_PY_TAG) != 0;
	}
	merge_python(snap, ips, locs, n, npy);
	loc = snapshot__add_sample(snap, pid, locs, n, v->size, v->count,
				   (int64_t)v->alloc_size,
				   (int64_t)v->alloc_count);
	if (loc < 0)
		return loc;
	snap->samples[loc].kind = kind;
	return loc;
}

/* The time facts of a stack's sample: its lifetimes, its blocks' ages. */
static int add_times(struct as_sample *sm, const struct as_stat_val *v,
		     const struct as_ages_entry *e)
{
	unsigned b;
	int err = 0;

	sm->temporary = (int64_t)v->temporary;
	for (b = 0; !err && b < AS_LIFE_BUCKETS; b++)
		err = hist__add(&sm->life, b, v->life[b]);
	if (err || !e)
		return err;
	sm->oldest_ns = e->oldest_ns;
	return hist__copy(&sm->age, &e->hist);
}

static int add_stat(struct as_collector *c, struct as_loc_index *li,
		    const struct as_tracer_maps *m, struct as_snapshot *snap,
		    const struct as_stat_key *k, const struct as_stat_val *v,
		    const struct as_ages *ages)
{
	const struct as_ages_entry *e =
	    ages__get(ages, k->tgid, k->gen, k->kind, k->stack);
	struct as_stat_val live = *v;
	int idx;

	if (!v->alloc_count && !v->count)
		return 0;
	/* an image replaced by exec, not yet purged */
	if (purge_rules__replaced(c->rules, k->tgid, k->gen))
		return 0;
	if (c->older_ns) {
		/* --older-than: only the old blocks are live here */
		if (!e || !e->old_count)
			return 0;
		live.size = e->old_size;
		live.count = e->old_count;
	}
	idx = add_sample(c, li, m, snap, k->tgid, k->stack,
			 k->kind == AS_BLOCK_PYMALLOC ? AS_KIND_PYMALLOC
						      : AS_KIND_MALLOC,
			 &live);
	return idx < 0 ? idx : add_times(&snap->samples[idx], v, e);
}

struct stats_ctx {
	struct as_collector *c;
	struct as_loc_index *li;
	const struct as_tracer_maps *m;
	struct as_snapshot *snap;
	const struct as_ages *ages;
};

static int stats_batch(const void *keys, const void *vals, __u32 n, void *arg)
{
	const struct as_stat_key *k = keys;
	const struct as_stat_val *v = vals;
	struct stats_ctx *sc = arg;
	__u32 i;
	int err;

	for (i = 0; i < n; i++) {
		err = add_stat(sc->c, sc->li, sc->m, sc->snap, &k[i], &v[i],
			       sc->ages);
		if (err)
			return err;
	}
	return 0;
}

/* Whether collects read ages: shown or kept, or --older-than needs them. */
static bool wants_ages(const struct as_collector *c)
{
	return c->ages || c->older_ns;
}

/* A live region's piece, to the regions' ages (count it once). */
static int region_age(const struct as_region_piece *pc, void *ages)
{
	return ages__add(ages, pc->pid, pc->gen, 0, pc->stack, pc->ts_ns,
			 pc->bytes, pc->first);
}

/* The regions' ages, as the heap's: NULL when not asked for. */
static int region_ages(struct as_collector *c, uint64_t now,
		       struct as_ages **out)
{
	int err;

	*out = NULL;
	if (!wants_ages(c))
		return 0;
	err = ages__new(now, c->older_ns, out);
	return err ?: regions__for_each_piece(c->regions, region_age, *out);
}

/* One stack's regions as a sample; --older-than keeps the old ones. */
static int add_region_stat(struct as_collector *c, struct as_loc_index *li,
			   const struct as_tracer_maps *m,
			   struct as_snapshot *snap,
			   const struct as_region_stat *rs,
			   const struct as_ages *ages)
{
	const struct as_ages_entry *e =
	    ages__get(ages, rs->pid, rs->gen, 0, rs->stack);
	struct as_stat_val v = {.size = rs->size,
				.count = rs->count,
				.alloc_size = rs->alloc_size,
				.alloc_count = rs->alloc_count};
	int idx;

	if (c->older_ns) {
		if (!e || !e->old_count)
			return 0;
		v.size = e->old_size;
		v.count = e->old_count;
	}
	idx = add_sample(c, li, m, snap, rs->pid, rs->stack, AS_KIND_MMAP, &v);
	if (idx < 0 || !e)
		return idx < 0 ? idx : 0;
	snap->samples[idx].oldest_ns = e->oldest_ns;
	return hist__copy(&snap->samples[idx].age, &e->hist);
}

/* Does a frame of @sm run CPython's arena allocator (pymalloc's)? */
static bool is_arena(const struct as_snapshot *snap, const struct as_sample *sm)
{
	static const char *const fns[] = {"_PyObject_ArenaMmap",
					  "_PyMem_ArenaAlloc"};
	const struct as_location *l;
	const char *f;

	for (uint32_t i = 0; i < sm->nlocs; i++) {
		l = &snap->locations[sm->locs[i]];
		for (uint32_t j = 0; j < l->nlines; j++) {
			f = l->lines[j].function;
			for (size_t k = 0;
			     f && k < sizeof(fns) / sizeof(fns[0]); k++)
				if (strncmp(f, fns[k], strlen(fns[k])) == 0)
					return true;
		}
	}
	return false;
}

/* Each process's live bytes in pymalloc's arenas, from its mmap rows,
 * and of those the pymalloc blocks its rows show. */
static void add_arena_bytes(struct as_snapshot *snap)
{
	const struct as_sample *sm;
	struct as_process *p;
	bool arena;

	for (size_t i = 0; i < snap->nsamples; i++) {
		sm = &snap->samples[i];
		arena = sm->kind == AS_KIND_MMAP && is_arena(snap, sm);
		if (sm->size <= 0 || (!arena && sm->kind != AS_KIND_PYMALLOC))
			continue;
		p = (struct as_process *)snapshot__find_process(snap, sm->pid);
		if (p && arena)
			p->pymalloc_bytes += sm->size;
		else if (p)
			p->pymalloc_blocks += sm->size;
	}
}

/* The mmap'd regions: a sample per stack, the totals per process. */
static int add_regions(struct as_collector *c, struct as_loc_index *li,
		       const struct as_tracer_maps *m, struct as_snapshot *snap)
{
	const struct as_region_stat *rs;
	const struct as_region_proc *rp;
	struct as_ages *ages;
	size_t n, i;
	int err;

	err = region_ages(c, mono_ns(), &ages);
	rs = regions__stats(c->regions, &n);
	for (i = 0; !err && i < n; i++) {
		if ((!rs[i].alloc_count && !rs[i].count) ||
		    purge_rules__replaced(c->rules, rs[i].pid, rs[i].gen))
			continue;
		err = add_region_stat(c, li, m, snap, &rs[i], ages);
	}
	ages__free(ages);
	if (err)
		return err;
	for (i = 0; i < snap->nprocesses; i++) {
		rp = regions__proc(c->regions, snap->processes[i].pid);
		if (!rp)
			continue;
		snap->processes[i].mmap_bytes = rp->current;
		snap->processes[i].mmap_peak = rp->peak;
	}
	add_arena_bytes(snap);
	return 0;
}

static int read_stats(struct as_collector *c, const struct as_tracer_maps *m,
		      struct as_snapshot *snap, const struct as_ages *ages)
{
	struct stats_ctx sc = {.c = c, .m = m, .snap = snap, .ages = ages};
	int ret;

	ret = loc_index__new(&sc.li);
	if (ret)
		return ret;
	ret = for_each_batch(m->stats, sizeof(struct as_stat_key),
			     sizeof(struct as_stat_val), stats_batch, &sc);
	if (ret && ret != -ENOMEM)
		fprintf(stderr,
			"allocsnoop: cannot read the stats map: %s; the "
			"report lacks the stacks not read yet\n",
			strerror(-ret));
	ret = ret ?: add_regions(c, sc.li, m, snap);
	loc_index__free(sc.li);
	return ret;
}

/* Offers every block of the allocs hash map to @arg's ages. */
static int ages_batch(const void *keys, const void *vals, __u32 n, void *arg)
{
	const struct as_alloc_key *k = keys;
	const struct as_alloc_val *v = vals;
	__u32 i;
	int err = 0;

	for (i = 0; !err && i < n; i++)
		err = ages__add(arg, k[i].tgid, v[i].gen, v[i].kind, v[i].stack,
				v[i].ts, v[i].weight, v[i].count_weight);
	return err;
}

/* Offers every block of a batch of table buckets to @arg's ages. */
static int buckets_batch(const void *keys, const void *vals, __u32 n, void *arg)
{
	const struct as_bucket *b = vals;
	__u64 addr;
	__u32 i, j;
	int err = 0;

	(void)keys;
	for (i = 0; !err && i < n; i++)
		for (j = 0; !err && j < AS_BUCKET_SLOTS; j++) {
			addr = b[i].addr[j];
			if (addr == AS_SLOT_EMPTY || addr == AS_SLOT_CLAIMED)
				continue;
			err = ages__add(arg, b[i].tgid[j], b[i].rec[j].gen,
					b[i].rec[j].kind, b[i].rec[j].stack,
					b[i].rec[j].ts, b[i].rec[j].weight,
					b[i].rec[j].count_weight);
		}
	return err;
}

/*
 * The ages of the live blocks, per stack, from one pass over the table
 * and the hash map behind it. The table is copied a batch at a time:
 * mapped, its whole size would count in the tracer's peak memory.
 */
static int read_ages(const struct as_tracer_maps *m, struct as_ages *ages)
{
	return for_each_batch(m->table, sizeof(__u32), sizeof(struct as_bucket),
			      buckets_batch, ages)
		   ?: for_each_batch(m->allocs, sizeof(struct as_alloc_key),
				     sizeof(struct as_alloc_val), ages_batch,
				     ages);
}

/* Each process's memory over time and the moment of its peak. */
static int add_timelines(struct as_collector *c, struct as_snapshot *snap,
			 uint64_t now_mono)
{
	int64_t real_ms =
	    (int64_t)snap->time.tv_sec * 1000 + snap->time.tv_nsec / 1000000;
	int64_t start_ms =
	    (int64_t)snap->start.tv_sec * 1000 + snap->start.tv_nsec / 1000000;
	int64_t shift = real_ms - (int64_t)(now_mono / 1000000) - start_ms;
	const struct as_timeline_point *pts;
	struct as_process *p;
	size_t i, j, n;

	for (i = 0; i < snap->nprocesses; i++) {
		p = &snap->processes[i];
		pts = timeline__get(c->timeline, p->pid, &n);
		if (!n)
			continue;
		p->timeline = malloc(n * sizeof(*p->timeline));
		if (!p->timeline)
			return -ENOMEM;
		/* the points' clock is the monotonic one: from the
		 * start */
		for (j = 0; j < n; j++) {
			p->timeline[j] = pts[j];
			p->timeline[j].t_ms += shift;
		}
		p->ntimeline = n;
	}
	return 0;
}

int collector__collect(struct as_collector *c, const struct as_tracer_maps *m,
		       struct as_snapshot *snap)
{
	uint64_t now = mono_ns();
	struct as_ages *ages = NULL;
	unsigned int i;
	int err;

	snap->older_than_ns = c->older_ns;
	snap->temporary_ns = c->temporary_ns;
	c->py_module = -1;
	err = read_procs(c, m, snap, now);
	/* a pass over every live block: only when something shows ages
	 */
	if (!err && wants_ages(c)) {
		err = ages__new(now, c->older_ns, &ages);
		err = err ?: read_ages(m, ages);
	}
	err = err ?: read_stats(c, m, snap, ages);
	err = err ?: add_timelines(c, snap, now);
	ages__free(ages);
	if (err)
		return err;
	for (i = 0; i < AS_LOST_MAX; i++) {
		err = snapshot__set_counter(snap, lost_names[i], m->lost[i]);
		if (err)
			return err;
	}
	return 0;
}

typedef bool (*doomed_fn)(const void *key, const void *val,
			  const struct as_purge_rules *rules);

static bool stat_doomed(const void *key, const void *val,
			const struct as_purge_rules *rules)
{
	(void)val;
	return purge_rules__stat_doomed(rules, key);
}

static bool alloc_doomed(const void *key, const void *val,
			 const struct as_purge_rules *rules)
{
	return purge_rules__alloc_doomed(rules, key, val);
}

struct purge_ctx {
	int fd;
	size_t key_size, val_size;
	const struct as_purge_rules *rules;
	doomed_fn doomed;
};

static int purge_batch(const void *keys, const void *vals, __u32 n, void *arg)
{
	const struct purge_ctx *pc = arg;
	const char *k = keys, *v = vals;
	__u32 i;

	/* Deleting by key keeps the iteration valid: the batch token is
	 * a bucket position, not a key. */
	for (i = 0; i < n; i++)
		if (pc->doomed(k + i * pc->key_size, v + i * pc->val_size,
			       pc->rules))
			bpf_map_delete_elem(pc->fd, k + i * pc->key_size);
	return 0;
}

/* Deletes the entries of @map that @doomed picks. */
static int purge_map(int fd, size_t key_size, size_t val_size,
		     const struct as_purge_rules *rules, doomed_fn doomed)
{
	struct purge_ctx pc = {fd, key_size, val_size, rules, doomed};

	return for_each_batch(fd, key_size, val_size, purge_batch, &pc);
}

/*
 * Empties the table slots of doomed blocks. A slot is emptied only if
 * it still holds that block: the programs may be claiming other slots
 * of the bucket meanwhile. The table is mapped just for this: mapped,
 * it would count its whole size in the tracer's RSS.
 */
static int purge_table(const struct as_tracer_maps *m,
		       const struct as_purge_rules *rules)
{
	size_t len = (size_t)m->table_buckets * sizeof(struct as_bucket);
	struct as_bucket *table, *b;
	__u64 addr;
	__u32 i, j;

	table =
	    mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, m->table, 0);
	if (table == MAP_FAILED)
		return -errno;
	for (i = 0; i < m->table_buckets; i++) {
		b = &table[i];
		for (j = 0; j < AS_BUCKET_SLOTS; j++) {
			addr = __atomic_load_n(&b->addr[j], __ATOMIC_ACQUIRE);
			if (addr == AS_SLOT_EMPTY || addr == AS_SLOT_CLAIMED ||
			    !purge_rules__doomed(rules, b->tgid[j],
						 b->rec[j].gen))
				continue;
			__atomic_compare_exchange_n(
			    &b->addr[j], &addr, AS_SLOT_EMPTY, false,
			    __ATOMIC_ACQ_REL, __ATOMIC_RELAXED);
		}
	}
	munmap(table, len);
	return 0;
}

static int purge_stacks(const struct as_tracer_maps *m,
			const struct as_regions *regions);

/* One pass over every map for all the pids @rules doom. */
static int purge_records(const struct as_tracer_maps *m,
			 const struct as_purge_rules *rules,
			 const struct as_regions *regions)
{
	int err;

	err = purge_map(m->stats, sizeof(struct as_stat_key),
			sizeof(struct as_stat_val), rules, stat_doomed);
	err =
	    err
		?: purge_map(m->allocs, sizeof(struct as_alloc_key),
			     sizeof(struct as_alloc_val), rules, alloc_doomed);
	err = err ?: purge_table(m, rules);
	return err ?: purge_stacks(m, regions);
}

int collector__purge(struct as_collector *c, const struct as_tracer_maps *m,
		     const uint32_t *pids, size_t n)
{
	size_t i;
	int err = 0;

	/* the exited pids join the exec'd ones: one pass for all */
	for (i = 0; !err && i < n; i++)
		err = purge_rules__mark_exit(c->rules, pids[i]);
	if (!err && purge_rules__pending(c->rules))
		err = purge_records(m, c->rules, c->regions);
	purge_rules__done(c->rules);
	for (i = 0; i < n; i++) {
		bpf_map_delete_elem(m->procs, &pids[i]);
		procmaps__forget(c->pm, pids[i]);
		regions__forget(c->regions, pids[i], UINT32_MAX);
		timeline__forget(c->timeline, pids[i]);
	}
	return err;
}

static int mark_used(const void *keys, const void *vals, __u32 n, void *arg)
{
	const struct as_stat_key *k = keys;
	__u32 i;

	(void)vals;
	for (i = 0; i < n; i++)
		if (u64map__set(arg, k[i].stack, 1))
			return -ENOMEM;
	return 0;
}

/* The stacks of the regions still counted are in use too. */
static int mark_regions(const struct as_regions *regions,
			struct as_u64map *used)
{
	const struct as_region_stat *rs;
	size_t n, i;

	rs = regions__stats(regions, &n);
	for (i = 0; i < n; i++)
		if ((rs[i].count || rs[i].alloc_count) &&
		    u64map__set(used, rs[i].stack, 1))
			return -ENOMEM;
	return 0;
}

/*
 * Deletes the stacks that no (process, stack) counter and no region
 * refers to any more: stacks are shared between processes, so they
 * outlive a purge otherwise.
 */
static int purge_stacks(const struct as_tracer_maps *m,
			const struct as_regions *regions)
{
	__u64 key, next, *prev = NULL, *dead = NULL;
	struct as_u64map *used = NULL;
	size_t ndead = 0, cap = 0, i;
	int ret;

	if (u64map__new(&used))
		return -ENOMEM;
	ret = for_each_batch(m->stats, sizeof(struct as_stat_key),
			     sizeof(struct as_stat_val), mark_used, used);
	ret = ret ?: mark_regions(regions, used);
	while (!ret && bpf_map_get_next_key(m->stacks, prev, &next) == 0) {
		key = next;
		prev = &key;
		if (u64map__get(used, key, NULL))
			continue;
		if (BUF_RESERVE(dead, cap, ndead + 1)) {
			ret = -ENOMEM;
			break;
		}
		dead[ndead++] = key;
	}
	/* deleted after the walk: deleting during it restarts the walk
	 */
	for (i = 0; !ret && i < ndead; i++)
		bpf_map_delete_elem(m->stacks, &dead[i]);
	u64map__free(used);
	free(dead);
	return ret;
}

int collector__exec(struct as_collector *c, const struct as_tracer_maps *m,
		    uint32_t pid)
{
	struct as_proc_val v;

	/* the new image maps other files */
	procmaps__refresh(c->pm, pid);
	if (bpf_map_lookup_elem(m->procs, &pid, &v))
		return 0;
	/* the old image's regions went with it */
	regions__forget(c->regions, pid, v.gen);
	return purge_rules__mark_exec(c->rules, pid, v.gen);
}

/* Is @path the dynamic loader (ld-linux-x86-64.so.2, ld-musl-...)? */
static bool is_loader(const char *path)
{
	const char *base = path ? strrchr(path, '/') : NULL;

	base = base ? base + 1 : path;
	return base && (strncmp(base, "ld-linux", 8) == 0 ||
			strncmp(base, "ld-musl", 7) == 0);
}

/*
 * Was the mapping at @stack made by the dynamic loader alone (every
 * frame in it: the zero-filled data of the libraries it maps, its own
 * reservations)? That is the libraries' static memory, not something
 * the program allocated, and it is left out.
 */
static bool loader_only(struct as_collector *c, const struct as_tracer_maps *m,
			uint32_t pid, uint64_t stack)
{
	struct as_addr_info ai;
	const __u64 *ips;
	__u32 nr = 0, i;

	ips =
	    stack == AS_STACK_NONE ? NULL : stack_get(c, m->stacks, stack, &nr);
	if (!ips || !nr)
		return false;
	for (i = 0; i < nr; i++) {
		if (ips[i] & AS_PY_TAG)
			return false;
		if (procmaps__lookup(c->pm, pid, ips[i], &ai) &&
		    (procmaps__refresh(c->pm, pid) ||
		     procmaps__lookup(c->pm, pid, ips[i], &ai)))
			return false;
		if (!is_loader(ai.file->path))
			return false;
	}
	return true;
}

void collector__want_ages(struct as_collector *c, bool on)
{
	c->ages = on;
}

/* What a warm-up of the Python frames reads. */
struct warm_ctx {
	struct as_collector *c;
	const struct as_tracer_maps *m;
	uint32_t pid;
};

static int warm_batch(const void *keys, const void *vals, __u32 n, void *arg)
{
	const struct as_stat_key *k = keys;
	struct warm_ctx *wc = arg;
	const __u64 *ips;
	__u32 i, j, nr;

	(void)vals;
	for (i = 0; i < n; i++) {
		if ((wc->pid && k[i].tgid != wc->pid) ||
		    k[i].stack == AS_STACK_NONE)
			continue;
		nr = 0;
		ips = stack_get(wc->c, wc->m->stacks, k[i].stack, &nr);
		for (j = 0; ips && j < nr; j++)
			if (ips[j] & AS_PY_TAG)
				python__prefetch(wc->c->py, (pid_t)k[i].tgid,
						 ips[j], false);
	}
	return 0;
}

int collector__warm_stack(struct as_collector *c,
			  const struct as_tracer_maps *m, uint32_t pid,
			  uint64_t stack)
{
	const __u64 *ips;
	__u32 j, nr = 0;

	if (!c->py)
		return 0;
	ips = stack_get(c, m->stacks, stack, &nr);
	for (j = 0; ips && j < nr; j++)
		if (ips[j] & AS_PY_TAG)
			python__prefetch(c->py, (pid_t)pid, ips[j], true);
	return ips ? 0 : -ENOENT;
}

int collector__warm_python(struct as_collector *c,
			   const struct as_tracer_maps *m, uint32_t pid)
{
	struct warm_ctx wc = {c, m, pid};

	if (!c->py)
		return 0;
	return for_each_batch(m->stats, sizeof(struct as_stat_key),
			      sizeof(struct as_stat_val), warm_batch, &wc);
}

void collector__set_time(struct as_collector *c, uint64_t older_ns,
			 uint64_t temporary_ns)
{
	c->older_ns = older_ns;
	c->temporary_ns = temporary_ns;
}

struct tick_ctx {
	struct as_collector *c;
	int64_t t_ms; /* the programs' clock */
};

static int tick_batch(const void *keys, const void *vals, __u32 n, void *arg)
{
	const __u32 *pid = keys;
	const struct as_proc_val *v = vals;
	const struct tick_ctx *tc = arg;
	struct as_timeline_point pt;
	__u32 i;
	int err = 0;

	for (i = 0; !err && i < n; i++) {
		pt = (struct as_timeline_point){.t_ms = tc->t_ms,
						.current = v[i].current,
						.alloc_count = v[i].alloc_count,
						.free_count = v[i].free_count};
		err = timeline__add(tc->c->timeline, pid[i], &pt);
	}
	return err;
}

int collector__tick(struct as_collector *c, const struct as_tracer_maps *m)
{
	struct tick_ctx tc = {c, (int64_t)(mono_ns() / 1000000)};

	return for_each_batch(m->procs, sizeof(__u32),
			      sizeof(struct as_proc_val), tick_batch, &tc);
}

int collector__on_mmap(struct as_collector *c, const struct as_tracer_maps *m,
		       const struct as_mmap_event *e)
{
	switch (e->type) {
	case AS_EV_MMAP:
		if (loader_only(c, m, e->tgid, e->stack))
			return 0;
		return regions__map(c->regions, e->tgid, e->gen, e->stack,
				    e->addr, e->len, e->ts);
	case AS_EV_MUNMAP:
		return regions__unmap(c->regions, e->tgid, e->addr, e->len);
	case AS_EV_MREMAP:
		return regions__remap(c->regions, e->tgid, e->addr, e->len,
				      e->new_addr, e->new_len);
	default:
		return -EINVAL;
	}
}
