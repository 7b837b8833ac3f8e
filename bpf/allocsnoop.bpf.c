// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * allocsnoop.bpf.c - the kernel side: uprobes on the allocator aggregate
 * live and total bytes per (process, stack) in maps.
 *
 * Hot path budget: an allocation's entry does one thread-slot lookup; its
 * return walks the stack (a window of user stack per read), looks the
 * stack up unless it is the thread's last one, records the block in the
 * live-block table with plain loads and a cmpxchg, and adds to its stats
 * and process entries in place. A free finds and empties its slot the same
 * way, then does the same adds. Only a call made from inside the C/C++
 * runtime (strdup, fopen, operator new) also looks up its mapping and the
 * unwind rules of each runtime frame.
 *
 * Sampling (sample_bytes > 0): only the allocations the per-thread byte
 * countdown picks are recorded, each with the weights that keep totals
 * unbiased (allocsnoop.h). malloc, calloc and realloc then run as one
 * uprobe session program whose entry skips the return trap of the calls it
 * does not record; free of a block not recorded costs one bucket scan.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "allocsnoop.h"

#define EEXIST 17

const volatile __u32 self_tgid = 0; /* never trace the tracer itself */
const volatile __u32 stack_depth = AS_MAX_STACK_DEPTH;
const volatile __u64 sample_bytes = 0;	  /* mean bytes per sample, 0 = exact */
const volatile bool follow_forks = false; /* trace only tgids in follow */
const volatile __u32 table_mask = 0;	  /* buckets in table - 1 */

__u64 lost[AS_LOST_MAX] = {};
/* Set once a block went to the allocs hash map: until then a block not in
 * the table is nowhere, which spares most lookups a helper call. */
__u32 overflow_used = 0;

/* Zeroed initial values for new map entries: too big for the BPF stack. */
static struct as_thread_state thread_zero = {};
static struct as_vma_cache vma_zero = {};

/* Filled by userspace before attaching when sampling (allocsnoop.h). */
__u64 sample_draws[AS_SAMPLE_DRAWS] = {};
__u64 sample_gain[AS_SAMPLE_GAIN_N + 1] = {};

/* Tells a session's return from its entry (Linux >= 6.13). Weak: an older
 * kernel still loads the exact-mode programs, which never call it. */
extern bool bpf_session_is_return(void) __ksym __weak;

/* Live blocks (allocsnoop.h): the table, then allocs for the rest. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct as_bucket);
} table SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 1 << 20);
	__type(key, struct as_alloc_key);
	__type(value, struct as_alloc_val);
} allocs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 1 << 16);
	__type(key, __u64);
	__type(value, struct as_stack);
} stacks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 1 << 17);
	__type(key, struct as_stat_key);
	__type(value, struct as_stat_val);
} stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, struct as_proc_val);
} procs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, struct as_thread_state);
} threads SEC(".maps");

/*
 * A walk reads the user stack a window at a time: one read serves every
 * frame inside it, where a read per frame costs ~60 ns here.
 */
#define WIN_BYTES 256
#define WIN_WORDS (WIN_BYTES / 8)

struct walk {
	struct as_stack st;
	__u64 win_base; /* user address of win[0]; 8-aligned */
	__u64 win_len;	/* bytes of win read, 0 = none */
	__u64 win[WIN_WORDS];
	/* runtime_steps' cursor: a return address, the stack slot it was
	 * found in, and the frame pointer */
	__u64 ret, slot, fp;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct walk);
} scratch SEC(".maps");

/* Runtime libraries (by device and inode) -> module id, and the unwind
 * rules of their call sites; filled by userspace before attaching. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, struct as_rt_file_key);
	__type(value, __u32);
} rt_files SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1 << 17);
	__type(key, struct as_unwind_key);
	__type(value, struct as_unwind_val);
} unwind SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, struct as_vma_cache);
} vmas SEC(".maps");

/* --follow-forks: the traced process and its descendants. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, __u8);
} follow SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps");

#define READ_ONCE(x)	 (*(volatile typeof(x) *)&(x))
#define WRITE_ONCE(x, v) (*(volatile typeof(x) *)&(x) = (v))

static __always_inline void count_lost(enum as_lost what)
{
	if (what < AS_LOST_MAX)
		__sync_fetch_and_add(&lost[what], 1);
}

static __always_inline void emit(__u32 type, __u32 tgid)
{
	struct as_event *e;

	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count_lost(AS_LOST_EVENTS);
		return;
	}
	e->type = type;
	e->tgid = tgid;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	bpf_ringbuf_submit(e, 0);
}

static __always_inline struct as_proc_val *proc_get(__u32 tgid)
{
	struct as_proc_val zero = {}, *p;
	long err;

	p = bpf_map_lookup_elem(&procs, &tgid);
	if (p)
		return p;
	err = bpf_map_update_elem(&procs, &tgid, &zero, BPF_NOEXIST);
	if (err && err != -EEXIST) {
		count_lost(AS_LOST_PROC_MAP_FULL);
		return NULL;
	}
	/* A new process: userspace reads its maps now. */
	if (!err)
		emit(AS_EV_NEW_PROCESS, tgid);
	return bpf_map_lookup_elem(&procs, &tgid);
}

/* Is this process traced? Only --follow-forks asks the kernel-side set. */
static __always_inline bool untraced(__u32 tgid)
{
	if (tgid == self_tgid)
		return true;
	return follow_forks && !bpf_map_lookup_elem(&follow, &tgid);
}

static __always_inline struct as_thread_state *thread_get(__u32 tid)
{
	struct as_thread_state *ts;
	long err;

	ts = bpf_map_lookup_elem(&threads, &tid);
	if (ts)
		return ts;
	err = bpf_map_update_elem(&threads, &tid, &thread_zero, BPF_NOEXIST);
	if (err && err != -EEXIST) {
		count_lost(AS_LOST_THREAD_MAP_FULL);
		return NULL;
	}
	return bpf_map_lookup_elem(&threads, &tid);
}

struct vma_lookup {
	struct as_vma v;
	int found;
};

static long vma_found(struct task_struct *task, struct vm_area_struct *vma,
		      struct vma_lookup *out)
{
	struct as_rt_file_key key = {};
	struct file *f = vma->vm_file;
	__u32 *module;

	out->v.start = vma->vm_start;
	out->v.end = vma->vm_end;
	out->v.bias = vma->vm_start - (vma->vm_pgoff << 12);
	out->v.module = AS_RT_NONE;
	out->found = 1;
	if (f) {
		key.ino = BPF_CORE_READ(f, f_inode, i_ino);
		key.dev = BPF_CORE_READ(f, f_inode, i_sb, s_dev);
		module = bpf_map_lookup_elem(&rt_files, &key);
		if (module)
			out->v.module = *module;
	}
	return 0;
}

/* The mapping of @addr: from the process's cache, else from the kernel. */
static __always_inline const struct as_vma *vma_of(struct as_vma_cache *vc,
						   __u64 addr)
{
	struct vma_lookup l = {};
	__u32 i, slot;

	for (i = 0; i < AS_VMA_SLOTS; i++)
		if (addr >= vc->v[i].start && addr < vc->v[i].end)
			return &vc->v[i];
	if (bpf_find_vma(bpf_get_current_task_btf(), addr, vma_found, &l, 0) ||
	    !l.found)
		return NULL;
	slot = vc->next++ & (AS_VMA_SLOTS - 1);
	vc->v[slot] = l.v;
	return &vc->v[slot];
}

static __always_inline struct as_vma_cache *vma_cache(__u32 tgid)
{
	struct as_vma_cache *vc;

	vc = bpf_map_lookup_elem(&vmas, &tgid);
	if (vc)
		return vc;
	/* an empty cache: start == end matches nothing */
	bpf_map_update_elem(&vmas, &tgid, &vma_zero, BPF_NOEXIST);
	return bpf_map_lookup_elem(&vmas, &tgid);
}

/*
 * Reads @len bytes (16..WIN_BYTES) of the stack at @addr into the window,
 * or up to the end of @addr's page when the stack ends sooner.
 */
static __always_inline int win_load(struct walk *w, __u64 addr, __u64 len)
{
	__u64 rest = 4096 - (addr & 4095);

	w->win_len = 0;
	if (len < 16 || len > WIN_BYTES)
		len = WIN_BYTES;
	if (bpf_probe_read_user(w->win, len, (void *)addr)) {
		if (rest >= len)
			return -1;
		len = rest;
		if (bpf_probe_read_user(w->win, len, (void *)addr))
			return -1;
	}
	w->win_base = addr;
	w->win_len = len;
	return 0;
}

/*
 * The two user stack words at @addr, through the window; when outside it,
 * a new window of @want bytes is read at @addr.
 */
static __always_inline int stack_words(struct walk *w, __u64 addr, __u64 *lo,
				       __u64 *hi, __u64 want)
{
	__u64 off = addr - w->win_base;

	if (addr & 7)
		return -1; /* not a stack slot */
	if (addr < w->win_base || off + 16 > w->win_len) {
		if (win_load(w, addr, want))
			return -1;
		off = 0;
	}
	*lo = w->win[(off >> 3) & (WIN_WORDS - 1)];
	*hi = w->win[((off >> 3) + 1) & (WIN_WORDS - 1)];
	return 0;
}

/*
 * Steps from return address w->ret, found at stack address w->slot,
 * through frames of the runtime (libc, libstdc++) with their CFI rules,
 * appending each caller to @w's stack, which holds @n frames. Stops at the
 * first frame outside the runtime, which keeps frame pointers if anything
 * does; w->fp is then the rbp to walk on. Returns the new depth. A global
 * function, verified once: inlined, it multiplied the verifier's work on
 * every return path (0.4 s at load), for calls most of which never come
 * here.
 */
__noinline __u32 runtime_steps(__u32 tgid, struct as_thread_state *ts,
			       struct walk *w, __u32 n)
{
	__u32 i;
	struct as_unwind_key key = {};
	const struct as_unwind_val *u;
	const struct as_vma *v;
	struct as_vma_cache *vc;
	__u64 cfa, hi, *ret, *slot, *fp;
	__u32 idx;

	if (!ts || !w)
		return n;
	ret = &w->ret;
	slot = &w->slot;
	fp = &w->fp;
	vc = vma_cache(tgid);
	if (!vc)
		return n;
	for (i = 0; i < AS_RT_MAX_STEPS; i++) {
		v = vma_of(vc, *ret);
		if (!v)
			break;
		if (v->module == AS_RT_NONE) {
			if (i == 0) {
				ts->user_start = v->start;
				ts->user_end = v->end;
			}
			break;
		}
		key.module = v->module;
		key.offset = *ret - v->bias;
		u = bpf_map_lookup_elem(&unwind, &key);
		if (!u)
			break;
		cfa = (u->cfa_reg == AS_UNWIND_CFA_RBP ? *fp : *slot + 8) +
		      u->cfa_off;
		/* the saved rbp, when there is one, is below the return
		 * address: at cfa-16 as a rule */
		if (u->rbp_off == -16) {
			if (stack_words(w, cfa - 16, fp, ret, WIN_BYTES))
				break;
		} else if (stack_words(w, cfa - 8, ret, &hi, WIN_BYTES) ||
			   (u->rbp_off &&
			    bpf_probe_read_user(fp, sizeof(*fp),
						(void *)(cfa + u->rbp_off)))) {
			break;
		}
		*slot = cfa - 8;
		if (n >= AS_MAX_STACK_DEPTH)
			break;
		idx = n & (AS_MAX_STACK_DEPTH - 1);
		/* keep the mask: an index the compiler turns into a running
		 * pointer has no bound the verifier can see */
		asm volatile("" : "+r"(idx));
		w->st.ips[idx & (AS_MAX_STACK_DEPTH - 1)] = *ret;
		n++;
	}
	return n;
}

/*
 * Walks the user stack from the return of an allocator call and stores it
 * once. There the caller's return address is the instruction pointer and
 * the stack and frame pointers are the caller's again, so nothing is read
 * for the direct caller and the probe site's pushes do not matter. Frames
 * of the runtime are stepped through with CFI; the rest follows frame
 * pointers. A global function, verified once, not in every return path.
 */
__noinline __u64 stack_store(struct pt_regs *ctx, __u32 tgid,
			     struct as_thread_state *ts)
{
	__u64 fp = PT_REGS_FP(ctx), prev, ret = PT_REGS_IP(ctx), next, want;
	__u64 h = 0xcbf29ce484222325ULL, slot;
	__u32 zero = 0, i, n = 0, flags = 0, idx;
	struct as_stack *st;
	struct walk *w;
	long err;

	w = bpf_map_lookup_elem(&scratch, &zero);
	if (!w || !ts)
		return AS_STACK_NONE;
	st = &w->st;
	w->win_len = 0;
	slot = PT_REGS_SP(ctx) - 8; /* where the return address was */
	st->ips[0] = ret;
	/* most calls come from where the last one outside the runtime did */
	n = 1;
	if (ret < ts->user_start || ret >= ts->user_end) {
		w->ret = ret;
		w->slot = slot;
		w->fp = fp;
		n = runtime_steps(tgid, ts, w, n);
		ret = w->ret;
		slot = w->slot;
		fp = w->fp;
	}
	/* A frame must lie above the last stack slot used and frames must
	 * grow upwards in small steps; anything else is not a frame chain
	 * (code built without frame pointers) and ends the walk. */
	prev = slot;
	for (i = 0; i < AS_MAX_STACK_DEPTH; i++) {
		if (n >= stack_depth || n >= AS_MAX_STACK_DEPTH) {
			if (fp > prev && fp - prev <= (8 << 20))
				flags |= AS_STACK_F_TRUNCATED;
			break;
		}
		if (fp <= prev || fp - prev > (8 << 20) || (fp & 7))
			break;
		/* A window pays off when frames are small: most are then
		 * in it. After a big step, read just the frame record. */
		want = fp - prev <= WIN_BYTES / 2 ? WIN_BYTES : 16;
		if (stack_words(w, fp, &next, &ret, want))
			break;
		if (ret < 4096)
			break;
		idx = n & (AS_MAX_STACK_DEPTH - 1);
		asm volatile("" : "+r"(idx)); /* as in runtime_steps */
		st->ips[idx & (AS_MAX_STACK_DEPTH - 1)] = ret;
		n++;
		prev = fp;
		fp = next;
	}
	if (flags & AS_STACK_F_TRUNCATED)
		count_lost(AS_LOST_STACK_TRUNCATED);

	for (i = 0; i < AS_MAX_STACK_DEPTH; i++) {
		if (i >= n)
			break;
		h ^= st->ips[i];
		h *= 0x100000001b3ULL;
		h ^= h >> 29;
	}
	h ^= n;
	if (h == AS_STACK_NONE)
		h = 1;
	if (h == ts->last_stack || bpf_map_lookup_elem(&stacks, &h))
		return h;
	st->nr = n;
	st->flags = flags;
	err = bpf_map_update_elem(&stacks, &h, st, BPF_NOEXIST);
	if (err && err != -EEXIST) {
		count_lost(AS_LOST_STACK_MAP_FULL);
		return AS_STACK_NONE;
	}
	return h;
}

static __always_inline struct as_bucket *bucket_of(__u32 tgid, __u64 addr)
{
	__u64 h = (addr ^ ((__u64)tgid << 40)) * 0x9e3779b97f4a7c15ULL;
	__u32 i = (__u32)(h >> 32) & table_mask;

	return bpf_map_lookup_elem(&table, &i);
}

/* Does slot @i of @b hold (@tgid, @addr)? @a is its address word, read
 * first: the address is published after the tgid and the record. */
static __always_inline bool slot_holds(struct as_bucket *b, int i, __u64 a,
				       __u32 tgid, __u64 addr)
{
	return a == addr && READ_ONCE(b->tgid[i]) == tgid;
}

/* Takes the record of (@tgid, @addr) out of the allocs hash map, where
 * blocks go when their bucket is full: 1 with *@out filled, else 0. */
static __always_inline int hash_take(__u32 tgid, __u64 addr,
				     struct as_alloc_val *out)
{
	struct as_alloc_key key = {.tgid = tgid, .addr = addr};
	struct as_alloc_val *v;

	if (!overflow_used)
		return 0;
	v = bpf_map_lookup_elem(&allocs, &key);
	if (!v)
		return 0;
	*out = *v;
	return !bpf_map_delete_elem(&allocs, &key);
}

/*
 * Takes the live record of (@tgid, @addr) out into *@out. Returns 1, or 0
 * when there is none (or another thread took it first).
 */
static __always_inline int live_take(__u32 tgid, __u64 addr,
				     struct as_alloc_val *out)
{
	struct as_bucket *b = bucket_of(tgid, addr);
	int i;

	if (b) {
#pragma unroll
		for (i = 0; i < AS_BUCKET_SLOTS; i++) {
			if (!slot_holds(b, i, READ_ONCE(b->addr[i]), tgid,
					addr))
				continue;
			*out = b->rec[i];
			return __sync_val_compare_and_swap(
				   &b->addr[i], addr, AS_SLOT_EMPTY) == addr;
		}
	}
	return hash_take(tgid, addr, out);
}

/*
 * Stores the live record of (@tgid, @addr). Returns 0; 1 when a record of
 * that address was still live (freed by a path not probed): it is
 * replaced and returned in *@old; -1 when there is no room.
 */
static __always_inline int live_put(__u32 tgid, __u64 addr,
				    const struct as_alloc_val *val,
				    struct as_alloc_val *old)
{
	struct as_alloc_key key = {.tgid = tgid, .addr = addr};
	struct as_bucket *b = bucket_of(tgid, addr);
	struct as_alloc_val *v;
	__u64 a;
	int i, nfree = 0;
	long err;

	if (b) {
#pragma unroll
		for (i = 0; i < AS_BUCKET_SLOTS; i++) {
			a = READ_ONCE(b->addr[i]);
			nfree += a == AS_SLOT_EMPTY;
			if (!slot_holds(b, i, a, tgid, addr))
				continue;
			*old = b->rec[i];
			b->rec[i] = *val;
			return 1;
		}
#pragma unroll
		for (i = 0; i < AS_BUCKET_SLOTS; i++) {
			if (!nfree)
				break;
			if (READ_ONCE(b->addr[i]) != AS_SLOT_EMPTY ||
			    __sync_val_compare_and_swap(
				&b->addr[i], AS_SLOT_EMPTY, AS_SLOT_CLAIMED) !=
				AS_SLOT_EMPTY)
				continue;
			b->tgid[i] = tgid;
			b->rec[i] = *val;
			WRITE_ONCE(b->addr[i], addr);
			/* a stale record may sit in the hash map */
			return hash_take(tgid, addr, old);
		}
	}
	if (!overflow_used)
		overflow_used = 1;
	err = bpf_map_update_elem(&allocs, &key, val, BPF_NOEXIST);
	if (err == -EEXIST) {
		v = bpf_map_lookup_elem(&allocs, &key);
		if (!v)
			return -1;
		*old = *v;
		*v = *val;
		return 1;
	}
	return err ? -1 : 0;
}

static __always_inline int stat_add(__u32 tgid, __u32 gen, __u64 stack,
				    __s64 size, __s64 count, __u64 alloc_size,
				    __u64 alloc_count)
{
	struct as_stat_key key = {.tgid = tgid, .gen = gen, .stack = stack};
	struct as_stat_val zero = {}, *v;
	long err;

	v = bpf_map_lookup_elem(&stats, &key);
	if (!v) {
		err = bpf_map_update_elem(&stats, &key, &zero, BPF_NOEXIST);
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
 * Ends a live record: what it stands for (@bytes, @count: its size and 1
 * when exact) leaves its stack and its process.
 */
static __always_inline void release(__u32 tgid, __u32 gen, __u64 stack,
				    __u64 bytes, __u64 count,
				    struct as_proc_val *p)
{
	struct as_stat_key key = {.tgid = tgid, .gen = gen, .stack = stack};
	struct as_stat_val *v;

	v = bpf_map_lookup_elem(&stats, &key);
	if (v) {
		__sync_fetch_and_add(&v->size, -(__s64)bytes);
		__sync_fetch_and_add(&v->count, -(__s64)count);
	}
	/* a block of an image replaced by exec is no longer in current */
	if (p && p->gen == gen) {
		__sync_fetch_and_add(&p->current, -(__s64)bytes);
		__sync_fetch_and_add(&p->free_count, count);
		__sync_fetch_and_add(&p->free_bytes, bytes);
	}
}

static __always_inline void peak_update(struct as_proc_val *p, __s64 cur)
{
	__s64 pk;
	int i;

	/* A few retries suffice: losing a race means another CPU raised
	 * the peak at the same moment. */
	for (i = 0; i < 4; i++) {
		pk = p->peak;
		if (cur <= pk)
			break;
		if (__sync_val_compare_and_swap(&p->peak, pk, cur) == pk)
			break;
	}
}

/*
 * Records a new block standing for @w bytes and @cw allocations, made by
 * the thread of @ts.
 */
static __always_inline void record_alloc(struct as_thread_state *ts, __u32 tgid,
					 __u64 ptr, __u64 size, __u64 w,
					 __u64 cw, __u64 stack,
					 struct as_proc_val *p)
{
	__u32 gen = p ? p->gen : 0;
	struct as_alloc_val val = {.size = size,
				   .stack = stack,
				   .weight = w,
				   .count_weight = cw,
				   .gen = gen};
	struct as_alloc_val old;
	__s64 cur;
	int err;

	err = live_put(tgid, ptr, &val, &old);
	if (err == 1) {
		/* The address came back without a free we saw (freed by a
		 * path we do not probe): the stale record ends here. */
		release(tgid, old.gen, old.stack, old.weight, old.count_weight,
			p);
		count_lost(AS_LOST_STALE_ALLOC);
		err = 0;
	}
	if (err) {
		count_lost(AS_LOST_ALLOC_MAP_FULL);
		stat_add(tgid, gen, stack, 0, 0, w, cw);
		if (p) {
			__sync_fetch_and_add(&p->untracked, cw);
			__sync_fetch_and_add(&p->alloc_count, cw);
			__sync_fetch_and_add(&p->alloc_bytes, w);
		}
		return;
	}
	/* a stack a counter refers to stays stored: the next walk that
	 * finds it again need not look */
	if (!stat_add(tgid, gen, stack, w, cw, w, cw))
		ts->last_stack = stack;
	if (p) {
		cur = __sync_fetch_and_add(&p->current, w) + w;
		__sync_fetch_and_add(&p->alloc_count, cw);
		__sync_fetch_and_add(&p->alloc_bytes, w);
		peak_update(p, cur);
	}
}

static __always_inline __u64 sample_draw(void)
{
	return sample_draws[bpf_get_prandom_u32() & (AS_SAMPLE_DRAWS - 1)];
}

/*
 * Decides whether this thread's call of @size bytes is recorded and what
 * it then stands for. A Poisson process over the bytes a thread allocates:
 * a call is recorded when the next sample point falls inside its bytes;
 * points after its end are independent of that (memoryless), so a fresh
 * countdown follows. A block of 0 bytes counts as 1 byte for the decision
 * (so its allocations are still estimated) and weighs 0 bytes.
 */
static __always_inline void sample(struct as_thread_state *ts, __u64 size)
{
	__u64 s = size ? size : 1, w, q, r;

	if (!ts->countdown)
		ts->countdown = sample_draw();
	if (s < ts->countdown) {
		ts->countdown -= s;
		ts->sampled = 0;
		return;
	}
	ts->countdown = sample_draw();
	ts->sampled = 1;
	w = as_sample_weight(sample_gain, sample_bytes, s);
	/* 1/p allocations, rounded up or down at random so that the
	 * integer count stays unbiased: q + (r/s on average). */
	q = w / s;
	r = w - q * s;
	ts->count_weight =
	    q + ((bpf_get_prandom_u32() & ((1U << 20) - 1)) < (r << 20) / s);
	ts->weight = size ? w : 0;
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
	__u32 tgid = bpf_get_current_pid_tgid() >> 32, fn;
	struct as_alloc_val old;
	__u64 n, m;

	fn = AS_COOKIE_FN(cookie);
	ts->fn = fn;
	ts->old_ptr = 0;
	ts->memptr = 0;
	ts->old_found = 0;
	switch (fn) {
	case AS_FN_CALLOC:
		n = PT_REGS_PARM1(ctx);
		m = PT_REGS_PARM2(ctx);
		ts->size = n * m; /* an overflow makes calloc fail */
		break;
	case AS_FN_REALLOC:
		ts->old_ptr = PT_REGS_PARM1(ctx);
		ts->size = PT_REGS_PARM2(ctx);
		break;
	case AS_FN_REALLOCARRAY:
		ts->old_ptr = PT_REGS_PARM1(ctx);
		ts->size = PT_REGS_PARM2(ctx) * PT_REGS_PARM3(ctx);
		break;
	case AS_FN_POSIX_MEMALIGN:
		ts->memptr = PT_REGS_PARM1(ctx);
		ts->size = PT_REGS_PARM3(ctx);
		break;
	case AS_FN_ALIGNED_ALLOC:
	case AS_FN_MEMALIGN:
		ts->size = PT_REGS_PARM2(ctx);
		break;
	default:
		ts->size = PT_REGS_PARM1(ctx);
		break;
	}
	ts->sampled = 1;
	ts->weight = ts->size;
	ts->count_weight = 1;
	if (sample_bytes)
		sample(ts, ts->size);
	if (ts->old_ptr) {
		/* Take realloc's old record out now: once realloc frees it
		 * internally another thread may get the address back. A
		 * failed realloc puts it back. */
		if (live_take(tgid, ts->old_ptr, &old)) {
			ts->old_size = old.size;
			ts->old_stack = old.stack;
			ts->old_weight = old.weight;
			ts->old_count_weight = old.count_weight;
			ts->old_gen = old.gen;
			ts->old_found = 1;
		}
	}
	ts->depth = 1;
	return ts->sampled || ts->old_found ||
	       (fn == AS_FN_REALLOC && !ts->old_ptr);
}

/* The return half of an allocator call. */
static __always_inline int alloc_end(struct pt_regs *ctx)
{
	__u64 id = bpf_get_current_pid_tgid(), ret = PT_REGS_RC(ctx), ptr = 0;
	__u32 tgid = id >> 32, tid = (__u32)id, fn;
	struct as_alloc_val back = {}, stale;
	struct as_thread_state *ts;
	struct as_proc_val *p;
	__u64 stack;

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
	fn = ts->fn;
	p = proc_get(tgid);
	stack = ts->sampled ? stack_store(ctx, tgid, ts) : AS_STACK_NONE;

	if (fn == AS_FN_REALLOC || fn == AS_FN_REALLOCARRAY) {
		if (ts->old_ptr && ts->size == 0 && fn == AS_FN_REALLOC) {
			/* realloc(p, 0) is a free */
			if (ts->old_found)
				release(tgid, ts->old_gen, ts->old_stack,
					ts->old_weight, ts->old_count_weight,
					p);
			else if (p && !sample_bytes)
				__sync_fetch_and_add(&p->unmatched_free_count,
						     1);
			if (ret && ts->sampled)
				record_alloc(ts, tgid, ret, 0, ts->weight,
					     ts->count_weight, stack, p);
			return 0;
		}
		if (!ret) {
			/* failed: the old block stays live */
			if (p && ts->sampled)
				__sync_fetch_and_add(&p->failed_count,
						     ts->count_weight);
			if (ts->old_found) {
				back.size = ts->old_size;
				back.stack = ts->old_stack;
				back.weight = ts->old_weight;
				back.count_weight = ts->old_count_weight;
				back.gen = ts->old_gen;
				if (live_put(tgid, ts->old_ptr, &back, &stale) <
				    0)
					count_lost(AS_LOST_ALLOC_MAP_FULL);
			}
			return 0;
		}
		if (ts->old_ptr) {
			if (ts->old_found)
				release(tgid, ts->old_gen, ts->old_stack,
					ts->old_weight, ts->old_count_weight,
					p);
			else if (p && !sample_bytes)
				__sync_fetch_and_add(&p->unmatched_free_count,
						     1);
		}
		if (ts->sampled)
			record_alloc(ts, tgid, ret, ts->size, ts->weight,
				     ts->count_weight, stack, p);
		return 0;
	}

	if (fn == AS_FN_POSIX_MEMALIGN) {
		if ((int)ret == 0 && bpf_probe_read_user(&ptr, sizeof(ptr),
							 (void *)ts->memptr)) {
			count_lost(AS_LOST_READ_FAILED);
			return 0;
		}
		ret = (int)ret == 0 ? ptr : 0;
	}
	if (!ret) {
		if (p)
			__sync_fetch_and_add(&p->failed_count,
					     ts->count_weight);
		return 0;
	}
	record_alloc(ts, tgid, ret, ts->size, ts->weight, ts->count_weight,
		     stack, p);
	return 0;
}

/* Classic entry probe: its uretprobe always follows. */
SEC("uprobe")
int BPF_KPROBE(alloc_enter)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tgid = id >> 32, tid = (__u32)id;
	struct as_thread_state *ts;

	if (untraced(tgid))
		return 0;
	ts = thread_get(tid);
	if (!ts)
		return 0;
	if (ts->depth) {
		/* A nested call (realloc(NULL, n) -> malloc) belongs to the
		 * outer one: count it once. */
		ts->depth++;
		return 0;
	}
	alloc_begin(ctx, ts, bpf_get_attach_cookie(ctx));
	return 0;
}

SEC("uretprobe")
int BPF_KRETPROBE(alloc_exit)
{
	return alloc_end(ctx);
}

/*
 * Session probe (malloc, calloc, realloc when sampling): loaded with
 * expected attach type BPF_TRACE_UPROBE_SESSION by the tracer. Its entry
 * returns 1 to skip the return half. A call nested in one whose return is
 * still due is that call's and is skipped without touching the depth.
 */
SEC("uprobe")
int BPF_KPROBE(alloc_session)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tgid = id >> 32, tid = (__u32)id;
	struct as_thread_state *ts;

	if (bpf_session_is_return())
		return alloc_end(ctx);
	if (untraced(tgid))
		return 1;
	ts = thread_get(tid);
	if (!ts || ts->depth)
		return 1;
	if (alloc_begin(ctx, ts, bpf_get_attach_cookie(ctx)))
		return 0;
	ts->depth = 0;
	return 1;
}

SEC("uprobe")
int BPF_KPROBE(free_enter, void *ptr)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tgid = id >> 32, tid = (__u32)id;
	struct as_thread_state *ts;
	struct as_alloc_val v;
	struct as_proc_val *p;

	if (!ptr || untraced(tgid))
		return 0;
	if (live_take(tgid, (__u64)ptr, &v)) {
		release(tgid, v.gen, v.stack, v.weight, v.count_weight,
			bpf_map_lookup_elem(&procs, &tgid));
		return 0;
	}
	/* Sampling: most blocks were not recorded. */
	if (sample_bytes)
		return 0;
	/* A free inside an allocator call (realloc(p, 0)) is that call's;
	 * realloc took the record out at its entry. */
	ts = bpf_map_lookup_elem(&threads, &tid);
	if (ts && ts->depth)
		return 0;
	p = proc_get(tgid);
	if (p)
		__sync_fetch_and_add(&p->unmatched_free_count, 1);
	return 0;
}

/* Raw tracepoints attach by name: no tracefs needed. */
/*
 * exec replaces the image: its live blocks are gone. New records carry the
 * next generation; userspace purges the old one's and reports the new
 * image from zero live bytes.
 */
SEC("raw_tp/sched_process_exec")
int handle_exec(void *ctx)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct as_proc_val *p;

	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct as_thread_state *ts;

	bpf_map_delete_elem(&vmas, &tgid);
	/* the new image maps other files at other places */
	ts = bpf_map_lookup_elem(&threads, &tid);
	if (ts) {
		ts->user_start = 0;
		ts->user_end = 0;
		ts->last_stack = AS_STACK_NONE;
	}
	p = bpf_map_lookup_elem(&procs, &tgid);
	if (!p)
		return 0;
	__sync_fetch_and_add(&p->gen, 1);
	p->current = 0;
	p->peak = 0;
	emit(AS_EV_EXEC, tgid);
	return 0;
}

/* --follow-forks: a child of a followed process is followed. */
SEC("raw_tp/sched_process_fork")
int handle_fork(struct bpf_raw_tracepoint_args *ctx)
{
	struct task_struct *parent = (void *)ctx->args[0];
	struct task_struct *child = (void *)ctx->args[1];
	__u32 ptgid = BPF_CORE_READ(parent, tgid);
	__u32 ctgid = BPF_CORE_READ(child, tgid);
	__u8 one = 1;

	if (follow_forks && ptgid != ctgid &&
	    bpf_map_lookup_elem(&follow, &ptgid))
		bpf_map_update_elem(&follow, &ctgid, &one, BPF_ANY);
	return 0;
}

SEC("raw_tp/sched_process_exit")
int handle_exit(void *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tgid = id >> 32, tid = (__u32)id;

	bpf_map_delete_elem(&threads, &tid);
	if (tid != tgid)
		return 0;
	bpf_map_delete_elem(&vmas, &tgid);
	bpf_map_delete_elem(&follow, &tgid);
	if (bpf_map_lookup_elem(&procs, &tgid))
		emit(AS_EV_EXIT, tgid);
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
