/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * account.h - the counters a block adds to and takes from: its (process,
 * image, stack) stats entry and its process's totals and peak.
 *
 * Owned by bpf/. Counters are updated in place with atomics; a record's
 * weights say what it stands for (its size and 1 when exact, more when
 * sampled), so a block always takes away exactly what it added. A
 * pymalloc block (AS_BLOCK_PYMALLOC) adds to its stack's counters only:
 * its bytes are inside an arena, which the process's totals hold as an
 * mmap region already.
 */
#ifndef ALLOCSNOOP_BPF_ACCOUNT_H
#define ALLOCSNOOP_BPF_ACCOUNT_H

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 1 << 17);
	__type(key, struct as_stat_key);
	__type(value, struct as_stat_val);
} stats SEC(".maps");

/* Zeroed initial value for new stats entries: too big for the BPF
 * stack, which the stack walk needs. */
static struct as_stat_val stat_zero = {};

static __always_inline int stat_add(__u32 tgid, const struct as_alloc_val *r,
				    __s64 size, __s64 count, __u64 alloc_size,
				    __u64 alloc_count)
{
	struct as_stat_key key = {
	    .tgid = tgid, .gen = r->gen, .stack = r->stack, .kind = r->kind};
	struct as_stat_val *v;
	long err;

	v = bpf_map_lookup_elem(&stats, &key);
	if (!v) {
		err =
		    bpf_map_update_elem(&stats, &key, &stat_zero, BPF_NOEXIST);
		if (err && err != -EEXIST) {
			count_lost(AS_LOST_STAT_MAP_FULL);
			return -1;
		}
		v = bpf_map_lookup_elem(&stats, &key);
		if (!v)
			return -1;
	}
	__sync_fetch_and_add(&v->size, size);
	__sync_fetch_and_add(&v->count, count);
	if (alloc_count) {
		__sync_fetch_and_add(&v->alloc_size, alloc_size);
		__sync_fetch_and_add(&v->alloc_count, alloc_count);
	}
	return 0;
}

/*
 * Ends the live record @r: what it stands for leaves its stack and its
 * process. @now (0: unknown, a stale record) is when it was freed: its
 * lifetime goes to its stack's histogram.
 */
static __always_inline void release(__u32 tgid, const struct as_alloc_val *r,
				    struct as_proc_val *p, __u64 now)
{
	struct as_stat_key key = {
	    .tgid = tgid, .gen = r->gen, .stack = r->stack, .kind = r->kind};
	struct as_stat_val *v;
	__u64 life;

	v = bpf_map_lookup_elem(&stats, &key);
	if (v) {
		__sync_fetch_and_add(&v->size, -(__s64)r->weight);
		__sync_fetch_and_add(&v->count, -(__s64)r->count_weight);
		if (now && now >= r->ts) {
			life = now - r->ts;
			__sync_fetch_and_add(&v->life[as_life_bucket(life) &
						      (AS_LIFE_BUCKETS - 1)],
					     (__u32)r->count_weight);
			if (life < temporary_ns)
				__sync_fetch_and_add(&v->temporary,
						     r->count_weight);
		}
	}
	/* a block of an image replaced by exec is no longer in current */
	if (p && p->gen == r->gen && r->kind == AS_BLOCK_MALLOC) {
		__sync_fetch_and_add(&p->current, -(__s64)r->weight);
		__sync_fetch_and_add(&p->free_count, r->count_weight);
		__sync_fetch_and_add(&p->free_bytes, r->weight);
	}
}

static __always_inline void peak_update(struct as_proc_val *p, __s64 cur,
					__u64 now)
{
	__s64 pk;
	int i;

	/* A few retries suffice: losing a race means another CPU raised
	 * the peak at the same moment. */
	for (i = 0; i < 4; i++) {
		pk = p->peak;
		if (cur <= pk)
			break;
		if (__sync_val_compare_and_swap(&p->peak, pk, cur) == pk) {
			WRITE_ONCE(p->peak_ns, now);
			break;
		}
	}
}

/* A block counted in totals but not kept live: a map was full. */
static __always_inline void record_untracked(__u32 tgid,
					     const struct as_alloc_val *r,
					     struct as_proc_val *p)
{
	count_lost(AS_LOST_ALLOC_MAP_FULL);
	stat_add(tgid, r, 0, 0, r->weight, r->count_weight);
	if (p)
		__sync_fetch_and_add(&p->untracked, r->count_weight);
	if (p && r->kind == AS_BLOCK_MALLOC) {
		__sync_fetch_and_add(&p->alloc_count, r->count_weight);
		__sync_fetch_and_add(&p->alloc_bytes, r->weight);
	}
}

/*
 * Records the new block @ptr of the thread of @ts, whose record ts->rec
 * is complete (stack and image filled in).
 */
static __always_inline void record_alloc(struct as_thread_state *ts, __u32 tgid,
					 __u64 ptr, struct as_proc_val *p)
{
	const struct as_alloc_val *r = &ts->rec;
	__s64 cur;
	int err;

	err = live_put(tgid, ptr, r, &ts->stale);
	if (err == 1) {
		/* The address came back without a free we saw (freed by a
		 * path we do not probe): the stale record ends here. */
		release(tgid, &ts->stale, p, 0);
		count_lost(ts->stale.kind == AS_BLOCK_PYMALLOC
			       ? AS_LOST_PYMALLOC_STALE
			       : AS_LOST_STALE_ALLOC);
		err = 0;
	}
	if (err) {
		record_untracked(tgid, r, p);
		return;
	}
	/* a stack a counter refers to stays stored: the next walk that
	 * finds it again need not look */
	if (!stat_add(tgid, r, r->weight, r->count_weight, r->weight,
		      r->count_weight))
		ts->last_stack = r->stack;
	if (p && r->kind == AS_BLOCK_MALLOC) {
		cur = __sync_fetch_and_add(&p->current, r->weight) + r->weight;
		__sync_fetch_and_add(&p->alloc_count, r->count_weight);
		__sync_fetch_and_add(&p->alloc_bytes, r->weight);
		peak_update(p, cur, r->ts);
	}
}

#endif
