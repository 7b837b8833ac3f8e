/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * alloc_call.h - the two halves of an allocator call: the entry notes what
 * is asked for, the return records what was given.
 *
 * Owned by bpf/. One call is one allocation: a call made inside another
 * (glibc's realloc(NULL, n) calls malloc) only moves the thread's depth.
 * realloc takes the old block's record out at its entry (once realloc
 * frees it, another thread may get the address back) and puts it back if
 * realloc fails.
 */
#ifndef ALLOCSNOOP_BPF_ALLOC_CALL_H
#define ALLOCSNOOP_BPF_ALLOC_CALL_H

/* The requested size, and the pointers passed in, of function @fn. */
static __always_inline void call_args(struct pt_regs *ctx,
				      struct as_thread_state *ts, __u32 fn)
{
	ts->old_ptr = 0;
	ts->memptr = 0;
	switch (fn) {
	case AS_FN_CALLOC:
		/* an overflow makes calloc fail */
		ts->rec.size = PT_REGS_PARM1(ctx) * PT_REGS_PARM2(ctx);
		break;
	case AS_FN_REALLOC:
		ts->old_ptr = PT_REGS_PARM1(ctx);
		ts->rec.size = PT_REGS_PARM2(ctx);
		break;
	case AS_FN_REALLOCARRAY:
		ts->old_ptr = PT_REGS_PARM1(ctx);
		ts->rec.size = PT_REGS_PARM2(ctx) * PT_REGS_PARM3(ctx);
		break;
	case AS_FN_POSIX_MEMALIGN:
		ts->memptr = PT_REGS_PARM1(ctx);
		ts->rec.size = PT_REGS_PARM3(ctx);
		break;
	case AS_FN_ALIGNED_ALLOC:
	case AS_FN_MEMALIGN:
		ts->rec.size = PT_REGS_PARM2(ctx);
		break;
	default:
		ts->rec.size = PT_REGS_PARM1(ctx);
		break;
	}
}

/*
 * The entry half of an allocator call, with the thread outside any other
 * one. Returns 1 when the return half has work (the call is recorded, or
 * realloc took a record out, or realloc(NULL, n) may call malloc inside,
 * which must not count again), 0 when it may be skipped.
 */
static __always_inline int alloc_begin(struct pt_regs *ctx,
				       struct as_thread_state *ts, __u64 cookie)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	__u32 fn = AS_COOKIE_FN(cookie);

	ts->cookie = cookie;
	call_args(ctx, ts, fn);
	ts->sampled = 1;
	ts->rec.weight = ts->rec.size;
	ts->rec.count_weight = 1;
	if (sample_bytes)
		sample(ts);
	ts->old_found = ts->old_ptr && live_take(tgid, ts->old_ptr, &ts->old);
	ts->depth = 1;
	return ts->sampled || ts->old_found ||
	       (fn == AS_FN_REALLOC && !ts->old_ptr);
}

/*
 * The block the call returned, 0 when it failed: posix_memalign returns 0
 * on success and stores the block through its first argument. *@unread
 * is set when that store cannot be read.
 */
static __always_inline __u64 call_result(struct pt_regs *ctx,
					 struct as_thread_state *ts,
					 bool *unread)
{
	__u64 ret = PT_REGS_RC(ctx), ptr = 0;

	*unread = false;
	if (AS_COOKIE_FN(ts->cookie) != AS_FN_POSIX_MEMALIGN)
		return ret;
	if ((int)ret != 0)
		return 0;
	if (bpf_probe_read_user(&ptr, sizeof(ptr), (void *)ts->memptr)) {
		*unread = true;
		return 0;
	}
	return ptr;
}

/*
 * A realloc's old block (ts->old_ptr, not 0) at its return: ended when
 * realloc gave a block or freed it (realloc(p, 0)), else it stays live.
 */
static __always_inline void realloc_old_end(struct as_thread_state *ts,
					    __u32 tgid, bool ended,
					    struct as_proc_val *p)
{
	if (!ended) {
		/* failed: the old block stays live */
		if (ts->old_found &&
		    live_put(tgid, ts->old_ptr, &ts->old, &ts->stale) < 0)
			count_lost(AS_LOST_ALLOC_MAP_FULL);
		return;
	}
	if (ts->old_found)
		release(tgid, &ts->old, p);
	else if (p && !sample_bytes)
		__sync_fetch_and_add(&p->unmatched_free_count, 1);
}

/* The return half of an allocator call. */
static __always_inline int alloc_end(struct pt_regs *ctx)
{
	__u64 id = bpf_get_current_pid_tgid(), block;
	__u32 tgid = id >> 32, tid = (__u32)id;
	struct as_thread_state *ts;
	struct as_proc_val *p;
	bool unread, zero_free;

	ts = bpf_map_lookup_elem(&threads, &tid);
	if (!ts || !ts->depth)
		return 0;
	if (ts->depth > 1) {
		ts->depth--;
		return 0;
	}
	ts->depth = 0;
	if (!ts->sampled && !ts->old_found)
		return 0; /* sampling passed this call by */
	p = proc_get(tgid);
	ts->rec.gen = p ? p->gen : 0;
	ts->rec.stack =
	    ts->sampled ? stack_store(ctx, tgid, ts) : AS_STACK_NONE;
	block = call_result(ctx, ts, &unread);
	if (unread) {
		count_lost(AS_LOST_READ_FAILED);
		return 0;
	}
	/* realloc(p, 0) is a free */
	zero_free = ts->old_ptr && !ts->rec.size &&
		    AS_COOKIE_FN(ts->cookie) == AS_FN_REALLOC;
	if (ts->old_ptr)
		realloc_old_end(ts, tgid, block || zero_free, p);
	if (!ts->sampled)
		return 0;
	if (block)
		record_alloc(ts, tgid, block, p);
	else if (!zero_free && p)
		__sync_fetch_and_add(&p->failed_count, ts->rec.count_weight);
	return 0;
}

#endif
