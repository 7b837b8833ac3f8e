/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * common.h - what every part of the kernel side uses: the configuration
 * userspace sets before load, the loss counters, the per-process and
 * per-thread maps, and the event ring buffer.
 *
 * Owned by bpf/. Included once, by allocsnoop.bpf.c, before the headers
 * of each concern.
 */
#ifndef ALLOCSNOOP_BPF_COMMON_H
#define ALLOCSNOOP_BPF_COMMON_H

#define EEXIST 17

#define READ_ONCE(x)	 (*(volatile typeof(x) *)&(x))
#define WRITE_ONCE(x, v) (*(volatile typeof(x) *)&(x) = (v))

const volatile __u32 self_tgid = 0; /* never trace the tracer itself */
const volatile __u32 stack_depth = AS_MAX_STACK_DEPTH;
const volatile __u64 sample_bytes = 0;	  /* mean bytes per sample, 0 = exact */
const volatile bool follow_forks = false; /* trace only tgids in follow */
const volatile __u32 only_tgid = 0;	  /* -p, -c: trace only this process */
const volatile __u64 temporary_ns = AS_TEMPORARY_NS; /* --temporary */
/* --floor: the allocation probes return at once (the traps' own cost) */
const volatile bool floor_only = false;
const volatile __u32 table_mask = 0; /* buckets in table - 1 */

__u64 lost[AS_LOST_MAX] = {};

/* Zeroed initial value for new thread entries: too big for the BPF
 * stack. */
static struct as_thread_state thread_zero = {};

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

/* Is this process traced? Only --follow-forks asks the kernel-side set.
 * The probes of -p and -c are linked for their process alone; the
 * tracepoints see every process. */
static __always_inline bool untraced(__u32 tgid)
{
	if (tgid == self_tgid || (only_tgid && tgid != only_tgid))
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

#endif
