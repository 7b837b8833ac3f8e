// SPDX-License-Identifier: MIT
/*
 * regions.c - mmap'd regions as sorted pieces per process.
 *
 * Each process keeps the pieces it has mapped, sorted by address and never
 * overlapping; a piece names its region (one mmap call), which counts its
 * pieces and points to its stack's counters. A munmap cuts pieces; the
 * region ends when its last piece goes. Processes map few regions, so a
 * sorted array with memmove serves.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "collect/regions.h"
#include "util/buf.h"
#include "util/u64map.h"

struct piece {
	uint64_t start, end;
	size_t region; /* index into regions */
};

struct region {
	size_t stat;	/* index into stats */
	size_t npieces; /* 0: free for reuse */
	uint64_t ts_ns; /* mapped then */
	uint64_t pass;	/* the last regions__for_each_piece() that met it */
};

struct proc {
	struct as_region_proc tot;
	struct piece *pieces;
	size_t n, cap;
};

struct as_regions {
	struct proc *procs;
	size_t nprocs, cap_procs;
	struct as_u64map *proc_idx; /* pid -> index into procs */
	struct region *regions;
	size_t nregions, cap_regions;
	size_t *free_regions; /* indices of regions ended, to reuse */
	size_t nfree, cap_free;
	struct as_region_stat *stats;
	size_t nstats, cap_stats;
	struct as_u64map *stat_idx; /* hash(pid, gen, stack) -> stats */
	uint64_t passes;	    /* regions__for_each_piece() calls */
};

int regions__new(struct as_regions **out)
{
	struct as_regions *r = calloc(1, sizeof(*r));

	if (!r || u64map__new(&r->proc_idx) || u64map__new(&r->stat_idx)) {
		regions__free(r);
		return -ENOMEM;
	}
	*out = r;
	return 0;
}

void regions__free(struct as_regions *r)
{
	size_t i;

	if (!r)
		return;
	for (i = 0; i < r->nprocs; i++)
		free(r->procs[i].pieces);
	free(r->procs);
	free(r->regions);
	free(r->free_regions);
	free(r->stats);
	u64map__free(r->proc_idx);
	u64map__free(r->stat_idx);
	free(r);
}

static struct proc *proc_of(struct as_regions *r, uint32_t pid, bool create)
{
	uint64_t idx;

	if (u64map__get(r->proc_idx, pid, &idx))
		return &r->procs[idx];
	if (!create || BUF_RESERVE(r->procs, r->cap_procs, r->nprocs + 1) ||
	    u64map__set(r->proc_idx, pid, r->nprocs))
		return NULL;
	memset(&r->procs[r->nprocs], 0, sizeof(r->procs[0]));
	r->procs[r->nprocs].tot.pid = pid;
	return &r->procs[r->nprocs++];
}

struct stat_key {
	const struct as_regions *r;
	uint32_t pid, gen;
	uint64_t stack;
};

static uint64_t stat_hash(uint32_t pid, uint32_t gen, uint64_t stack)
{
	return u64map__hash_u64(u64map__hash_u64(u64map__hash_u64(0, pid), gen),
				stack);
}

static bool stat_is(uint64_t idx, const void *ctx)
{
	const struct stat_key *k = ctx;
	const struct as_region_stat *s = &k->r->stats[idx];

	return s->pid == k->pid && s->gen == k->gen && s->stack == k->stack;
}

static int stat_of(struct as_regions *r, uint32_t pid, uint32_t gen,
		   uint64_t stack, size_t *out)
{
	struct stat_key k = {r, pid, gen, stack};
	uint64_t h = stat_hash(pid, gen, stack), idx;

	if (u64map__find(r->stat_idx, h, stat_is, &k, &idx)) {
		*out = idx;
		return 0;
	}
	if (BUF_RESERVE(r->stats, r->cap_stats, r->nstats + 1) ||
	    u64map__add(r->stat_idx, h, r->nstats))
		return -ENOMEM;
	r->stats[r->nstats] =
	    (struct as_region_stat){.pid = pid, .gen = gen, .stack = stack};
	*out = r->nstats++;
	return 0;
}

static int region_new(struct as_regions *r, size_t stat, uint64_t ts_ns,
		      size_t *out)
{
	if (r->nfree) {
		*out = r->free_regions[--r->nfree];
	} else {
		if (BUF_RESERVE(r->regions, r->cap_regions, r->nregions + 1))
			return -ENOMEM;
		*out = r->nregions++;
	}
	r->regions[*out] =
	    (struct region){.stat = stat, .npieces = 1, .ts_ns = ts_ns};
	return 0;
}

/* Takes @bytes of region @ri away; ends it with its last piece (@gone). */
static void region_shrink(struct as_regions *r, struct proc *p, size_t ri,
			  uint64_t bytes, bool gone)
{
	struct region *rg = &r->regions[ri];
	struct as_region_stat *st = &r->stats[rg->stat];

	st->size -= (int64_t)bytes;
	p->tot.current -= (int64_t)bytes;
	if (!gone)
		return;
	if (--rg->npieces)
		return;
	st->count--;
	p->tot.unmaps++;
	/* a full free list only keeps a region slot from reuse */
	if (!BUF_RESERVE(r->free_regions, r->cap_free, r->nfree + 1))
		r->free_regions[r->nfree++] = ri;
}

static void grow_current(struct proc *p, int64_t bytes)
{
	p->tot.current += bytes;
	if (p->tot.current > p->tot.peak)
		p->tot.peak = p->tot.current;
}

/* Index of the first piece of @p that ends after @addr. */
static size_t first_after(const struct proc *p, uint64_t addr)
{
	size_t lo = 0, hi = p->n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (p->pieces[mid].end <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int insert_piece(struct proc *p, size_t at, struct piece pc)
{
	if (BUF_RESERVE(p->pieces, p->cap, p->n + 1))
		return -ENOMEM;
	memmove(&p->pieces[at + 1], &p->pieces[at],
		(p->n - at) * sizeof(*p->pieces));
	p->pieces[at] = pc;
	p->n++;
	return 0;
}

static void remove_piece(struct proc *p, size_t at)
{
	memmove(&p->pieces[at], &p->pieces[at + 1],
		(p->n - at - 1) * sizeof(*p->pieces));
	p->n--;
}

/*
 * Cuts [@a, @b) out of @p's pieces. With @account, the bytes leave their
 * regions' counters; without (a region moving), the caller accounts.
 * *@region receives the region of the first piece cut, or SIZE_MAX.
 */
static int cut(struct as_regions *r, struct proc *p, uint64_t a, uint64_t b,
	       bool account, size_t *region, uint64_t *bytes)
{
	size_t i = first_after(p, a);
	struct piece *pc, tail;
	uint64_t lo, hi;
	int err;

	*region = SIZE_MAX;
	*bytes = 0;
	while (i < p->n && p->pieces[i].start < b) {
		pc = &p->pieces[i];
		lo = pc->start > a ? pc->start : a;
		hi = pc->end < b ? pc->end : b;
		if (*region == SIZE_MAX)
			*region = pc->region;
		*bytes += hi - lo;
		if (pc->start < lo && pc->end > hi) {
			/* the middle: the region is two pieces from now on */
			tail = (struct piece){hi, pc->end, pc->region};
			pc->end = lo;
			err = insert_piece(p, i + 1, tail);
			if (err)
				return err;
			r->regions[tail.region].npieces++;
			if (account)
				region_shrink(r, p, tail.region, hi - lo,
					      false);
			return 0;
		}
		if (pc->start < lo || pc->end > hi) {
			if (account)
				region_shrink(r, p, pc->region, hi - lo, false);
			if (pc->start < lo)
				pc->end = lo;
			else
				pc->start = hi;
			i++;
			continue;
		}
		if (account)
			region_shrink(r, p, pc->region, hi - lo, true);
		else
			r->regions[pc->region].npieces--;
		remove_piece(p, i);
	}
	return 0;
}

int regions__map(struct as_regions *r, uint32_t pid, uint32_t gen,
		 uint64_t stack, uint64_t addr, uint64_t len, uint64_t ts_ns)
{
	struct proc *p = proc_of(r, pid, true);
	struct as_region_stat *st;
	size_t si, ri, dummy;
	uint64_t bytes;
	int err;

	if (!p)
		return -ENOMEM;
	if (!len || addr + len < addr)
		return -EINVAL;
	/* MAP_FIXED replaces what was mapped there */
	err = cut(r, p, addr, addr + len, true, &dummy, &bytes);
	err = err ?: stat_of(r, pid, gen, stack, &si);
	err = err ?: region_new(r, si, ts_ns, &ri);
	err = err
		  ?: insert_piece(p, first_after(p, addr),
				  (struct piece){addr, addr + len, ri});
	if (err)
		return err;
	st = &r->stats[si];
	st->size += (int64_t)len;
	st->count++;
	st->alloc_size += len;
	st->alloc_count++;
	p->tot.maps++;
	grow_current(p, (int64_t)len);
	return 0;
}

int regions__unmap(struct as_regions *r, uint32_t pid, uint64_t addr,
		   uint64_t len)
{
	struct proc *p = proc_of(r, pid, false);
	uint64_t bytes;
	size_t dummy;

	if (!p || !len)
		return 0;
	return cut(r, p, addr, addr + len, true, &dummy, &bytes);
}

int regions__remap(struct as_regions *r, uint32_t pid, uint64_t old,
		   uint64_t old_len, uint64_t new, uint64_t new_len)
{
	struct proc *p = proc_of(r, pid, false);
	struct as_region_stat *st;
	uint64_t moved, bytes;
	size_t ri, dummy;
	int err;

	if (!p || !old_len)
		return 0;
	err = cut(r, p, old, old + old_len, false, &ri, &moved);
	if (err || ri == SIZE_MAX)
		return err;
	st = &r->stats[r->regions[ri].stat];
	/* the region's bytes left with it; its pieces are one again */
	st->size -= (int64_t)moved;
	p->tot.current -= (int64_t)moved;
	err = cut(r, p, new, new + new_len, true, &dummy, &bytes);
	err = err
		  ?: insert_piece(p, first_after(p, new),
				  (struct piece){new, new + new_len, ri});
	if (err)
		return err;
	r->regions[ri].npieces++;
	st = &r->stats[r->regions[ri].stat];
	st->size += (int64_t)new_len;
	if (new_len > moved)
		st->alloc_size += new_len - moved;
	grow_current(p, (int64_t)new_len);
	return 0;
}

void regions__forget(struct as_regions *r, uint32_t pid, uint32_t below_gen)
{
	struct proc *p = proc_of(r, pid, false);
	size_t i, k;

	if (!p)
		return;
	for (i = k = 0; i < p->n; i++) {
		struct region *rg = &r->regions[p->pieces[i].region];

		if (r->stats[rg->stat].gen >= below_gen) {
			p->pieces[k++] = p->pieces[i];
			continue;
		}
		region_shrink(r, p, p->pieces[i].region,
			      p->pieces[i].end - p->pieces[i].start, true);
	}
	p->n = k;
	for (i = 0; i < r->nstats; i++)
		if (r->stats[i].pid == pid && r->stats[i].gen < below_gen)
			r->stats[i].alloc_size = r->stats[i].alloc_count = 0;
}

int regions__for_each_piece(struct as_regions *r,
			    int (*fn)(const struct as_region_piece *pc,
				      void *ctx),
			    void *ctx)
{
	struct as_region_piece out;
	const struct as_region_stat *st;
	struct region *rg;
	size_t i, k;
	int err;

	r->passes++;
	for (i = 0; i < r->nprocs; i++)
		for (k = 0; k < r->procs[i].n; k++) {
			rg = &r->regions[r->procs[i].pieces[k].region];
			st = &r->stats[rg->stat];
			out = (struct as_region_piece){
			    .pid = st->pid,
			    .gen = st->gen,
			    .stack = st->stack,
			    .bytes = r->procs[i].pieces[k].end -
				     r->procs[i].pieces[k].start,
			    .ts_ns = rg->ts_ns,
			    .first = rg->pass != r->passes};
			rg->pass = r->passes;
			err = fn(&out, ctx);
			if (err)
				return err;
		}
	return 0;
}

const struct as_region_stat *regions__stats(const struct as_regions *r,
					    size_t *n)
{
	*n = r->nstats;
	return r->stats;
}

const struct as_region_proc *regions__proc(const struct as_regions *r,
					   uint32_t pid)
{
	uint64_t idx;

	if (!u64map__get(r->proc_idx, pid, &idx))
		return NULL;
	return &r->procs[idx].tot;
}
