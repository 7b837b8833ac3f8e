/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * alloc_call.h - the two halves of an allocator call: the entry notes what
 * is asked for, the return records what was given.
 *
 * Owned by bpf/. One call is one allocation: a call made inside another
 * (glibc's realloc(NULL, n) calls malloc) only moves the thread's depth.
 * realloc takes the old block's record out at its entry (once realloc
 * frees it, another thread may get the address back) and puts it back if
 * realloc fails. A block of CPython's object allocator is pymalloc's
 * (inside an arena) unless a call nested in it gave it (block_kind).
 */
#ifndef ALLOCSNOOP_BPF_ALLOC_CALL_H
#define ALLOCSNOOP_BPF_ALLOC_CALL_H

/* A register of the probed call, loaded at a constant offset: written
 * in C, the loads of call_arg's cases merge into one load at a computed
 * offset, which the verifier refuses on the context. */
#define CALL_REG(ctx, r)                                                       \
	({                                                                     \
		__u64 __v;                                                     \
		asm volatile("%0 = *(u64 *)(%1 + %2)"                          \
			     : "=r"(__v)                                       \
			     : "r"(ctx), "i"(offsetof(struct pt_regs, r)));    \
		__v;                                                           \
	})

/* Argument @n (1-based; 0 = none, read as 0) of the probed call: the
 * SysV x86-64 argument registers. */
static __always_inline __u64 call_arg(struct pt_regs *ctx, __u32 n)
{
	switch (n) {
	case 1:
		return CALL_REG(ctx, di);
	case 2:
		return CALL_REG(ctx, si);
	case 3:
		return CALL_REG(ctx, dx);
	case 4:
		return CALL_REG(ctx, cx);
	case 5:
		return CALL_REG(ctx, r8);
	case 6:
		return CALL_REG(ctx, r9);
	default:
		return 0;
	}
}

/* The requested size and the pointers passed in, as @cookie says. */
static __always_inline void call_args(struct pt_regs *ctx,
				      struct as_thread_state *ts, __u64 cookie)
{
	__u32 role = AS_COOKIE_ROLE(cookie), n = AS_COOKIE_COUNT_ARG(cookie);

	/* an overflow of count * size makes calloc fail */
	ts->rec.size = call_arg(ctx, AS_COOKIE_SIZE_ARG(cookie)) *
		       (n ? call_arg(ctx, n) : 1);
	ts->old_ptr = role == AS_ROLE_REALLOC || role == AS_ROLE_RESIZE
			  ? call_arg(ctx, AS_COOKIE_PTR_ARG(cookie))
			  : 0;
	ts->memptr = role == AS_ROLE_ALLOC_OUT
			 ? call_arg(ctx, AS_COOKIE_OUT_ARG(cookie))
			 : 0;
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

	ts->cookie = cookie;
	call_args(ctx, ts, cookie);
	ts->sampled = 1;
	ts->rec.weight = ts->rec.size;
	ts->rec.count_weight = 1;
	if (sample_bytes)
		sample(ts);
	ts->old_found = ts->old_ptr && live_take(tgid, ts->old_ptr, &ts->old);
	ts->inner = 0;
	ts->depth = 1;
	return ts->sampled || ts->old_found ||
	       (AS_COOKIE_ROLE(cookie) == AS_ROLE_REALLOC && !ts->old_ptr);
}

/*
 * The block the call returned, 0 when it failed: an ALLOC_OUT function
 * (posix_memalign) returns 0 on success and stores the block through its
 * out pointer; a RESIZE function returns the new size of its block. *@unread
 * is set when that store cannot be read.
 */
static __always_inline __u64 call_result(struct pt_regs *ctx,
					 struct as_thread_state *ts,
					 bool *unread)
{
	__u64 ret = PT_REGS_RC(ctx), ptr = 0;

	*unread = false;
	/* resized in place: the same block, when it is as big as asked */
	if (AS_COOKIE_ROLE(ts->cookie) == AS_ROLE_RESIZE)
		return ret >= ts->rec.size ? ts->old_ptr : 0;
	if (AS_COOKIE_ROLE(ts->cookie) != AS_ROLE_ALLOC_OUT)
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
		release(tgid, &ts->old, p, ts->rec.ts);
	else if (p && !sample_bytes &&
		 !(AS_COOKIE_FLAGS(ts->cookie) & AS_FN_PYMALLOC))
		/* pymalloc's: most blocks not seen were allocated where its
		 * fast path is inlined (free_enter) */
		__sync_fetch_and_add(&p->unmatched_free_count, 1);
}

/*
 * What the block @block of the outermost call is. pymalloc serves blocks
 * of 1..512 bytes from its arenas and hands the rest to malloc (with
 * PYTHONMALLOC=malloc, all of them): a block is malloc's when the first
 * block a nested call returned is it, or lies just before it (the debug
 * hooks of PYTHONMALLOC=debug and -X dev put a 16-byte header first). A
 * nested call that returned something else made room for pymalloc
 * (realloc of its arena table), not the block.
 */
static __always_inline __u32 block_kind(const struct as_thread_state *ts,
					__u64 block)
{
	if (!(AS_COOKIE_FLAGS(ts->cookie) & AS_FN_PYMALLOC))
		return AS_BLOCK_MALLOC;
	return ts->inner && block - ts->inner < 64 ? AS_BLOCK_MALLOC
						   : AS_BLOCK_PYMALLOC;
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
		/* a block of CPython's allocator, though nested, is its own */
		if (!ts->inner &&
		    !(AS_COOKIE_FLAGS(bpf_get_attach_cookie(ctx)) &
		      AS_FN_PYMALLOC))
			ts->inner = PT_REGS_RC(ctx);
		return 0;
	}
	ts->depth = 0;
	if (!ts->sampled && !ts->old_found)
		return 0; /* sampling passed this call by */
	p = proc_get(tgid);
	ts->rec.gen = p ? p->gen : 0;
	/* the one clock read of the call: ages and lifetimes start here */
	ts->rec.ts = bpf_ktime_get_ns();
	ts->rec.stack = ts->sampled
			    ? stack_store(tgid, ts, PT_REGS_IP(ctx),
					  PT_REGS_SP(ctx), PT_REGS_FP(ctx))
			    : AS_STACK_NONE;
	block = call_result(ctx, ts, &unread);
	if (unread) {
		count_lost(AS_LOST_READ_FAILED);
		return 0;
	}
	zero_free = ts->old_ptr && !ts->rec.size &&
		    (AS_COOKIE_FLAGS(ts->cookie) & AS_FN_ZERO_FREES);
	if (ts->old_ptr)
		realloc_old_end(ts, tgid, block || zero_free, p);
	if (!ts->sampled)
		return 0;
	ts->rec.kind = block_kind(ts, block);
	if (block)
		record_alloc(ts, tgid, block, p);
	else if (!zero_free && p &&
		 AS_COOKIE_ROLE(ts->cookie) != AS_ROLE_RESIZE)
		__sync_fetch_and_add(&p->failed_count, ts->rec.count_weight);
	return 0;
}

#endif
