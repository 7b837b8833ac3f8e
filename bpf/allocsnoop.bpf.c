// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * allocsnoop.bpf.c - the kernel side: uprobes on the allocator aggregate
 * live and total bytes per (process, stack) in maps. This file holds the
 * probe programs; each concern is a header:
 *
 *   common.h          configuration, loss counters, process/thread maps
 *   live.h            the live-block table and its publish protocol
 *   sample.h          which calls --sample-bytes records
 *   stackwin.h        reading the user stack a window at a time
 *   runtime_frames.h  stepping through the C/C++ runtime's frames (CFI)
 *   python_frames.h   the CPython frames of the allocating thread
 *   stackwalk.h       the stack walk, stored once per distinct stack
 *   account.h         the per-stack and per-process counters
 *   alloc_call.h      the entry and return halves of an allocator call
 *   lifecycle.h       exec, fork and exit, the loader's rendezvous
 *   mmap.h            anonymous memory mapped with mmap directly
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

/* Tells a session's return from its entry (Linux >= 6.13). Weak: an older
 * kernel still loads the exact-mode programs, which never call it. */
extern bool bpf_session_is_return(void) __ksym __weak;

/* Each header uses the ones before it. */
// clang-format off
#include "common.h"
#include "live.h"
#include "sample.h"
#include "stackwin.h"
#include "runtime_frames.h"
#include "python_frames.h"
#include "stackwalk.h"
#include "account.h"
#include "alloc_call.h"
#include "lifecycle.h"
#include "mmap.h"
// clang-format on

/* Classic entry probe: its uretprobe always follows. */
SEC("uprobe")
int BPF_KPROBE(alloc_enter)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tgid = id >> 32, tid = (__u32)id;
	struct as_thread_state *ts;

	if (floor_only || untraced(tgid))
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
	return floor_only ? 0 : alloc_end(ctx);
}

/*
 * Session probe (malloc, calloc, realloc when sampling): loaded with
 * expected attach type BPF_TRACE_UPROBE_SESSION by the tracer. Its entry
 * returns 1 to skip the return half. A call nested in one whose return is
 * still due is that call's and is skipped without touching the depth,
 * but in CPython's allocator, which the session never runs itself.
 */
SEC("uprobe")
int BPF_KPROBE(alloc_session)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tgid = id >> 32, tid = (__u32)id;
	struct as_thread_state *ts;

	/* --floor: the traps a real run takes (the return only when exact) */
	if (floor_only)
		return sample_bytes ? 1 : 0;
	if (bpf_session_is_return())
		return alloc_end(ctx);
	if (untraced(tgid))
		return 1;
	ts = thread_get(tid);
	if (!ts)
		return 1;
	if (ts->depth) {
		/* inside CPython's allocator, whose block it may be: its
		 * return is kept (block_kind) */
		if (!(AS_COOKIE_FLAGS(ts->cookie) & AS_FN_PYMALLOC))
			return 1;
		ts->depth++;
		return 0;
	}
	if (alloc_begin(ctx, ts, bpf_get_attach_cookie(ctx)))
		return 0;
	ts->depth = 0;
	return 1;
}

/*
 * PyObject_Free and the like: a malloc block it ends (a large one) is
 * passed on to free() inside, which must not count it as unmatched; a
 * block not seen is no unmatched free either: most were allocated where
 * pymalloc's fast path is inlined, and one it hands to free() is counted
 * there.
 */
static __always_inline void pymalloc_freed(__u32 tid, __u64 ptr, bool found,
					   const struct as_alloc_val *v)
{
	struct as_thread_state *ts;

	if (!found || v->kind != AS_BLOCK_MALLOC)
		return;
	ts = thread_get(tid);
	if (ts)
		ts->handed = ptr;
}

SEC("uprobe")
int BPF_KPROBE(free_enter)
{
	__u64 id = bpf_get_current_pid_tgid(),
	      cookie = bpf_get_attach_cookie(ctx);
	__u32 tgid = id >> 32, tid = (__u32)id;
	void *ptr = (void *)call_arg(ctx, AS_COOKIE_PTR_ARG(cookie));
	struct as_thread_state *ts;
	struct as_alloc_val v;
	struct as_proc_val *p;
	bool found;

	if (floor_only || !ptr || untraced(tgid))
		return 0;
	found = live_take(tgid, (__u64)ptr, &v);
	if (found)
		release(tgid, &v, bpf_map_lookup_elem(&procs, &tgid),
			bpf_ktime_get_ns());
	if (AS_COOKIE_FLAGS(cookie) & AS_FN_PYMALLOC) {
		pymalloc_freed(tid, (__u64)ptr, found, &v);
		return 0;
	}
	/* Sampling: most blocks were not recorded. */
	if (found || sample_bytes)
		return 0;
	/* A free inside an allocator call (realloc(p, 0)) is that call's;
	 * realloc took the record out at its entry. The free pymalloc
	 * makes of a block PyObject_Free ended is that one's (the debug
	 * hooks free their header, just before the block). */
	ts = bpf_map_lookup_elem(&threads, &tid);
	if (ts && ts->handed && ts->handed - (__u64)ptr < 64) {
		ts->handed = 0;
		return 0;
	}
	if (ts && ts->depth)
		return 0;
	p = proc_get(tgid);
	if (p)
		__sync_fetch_and_add(&p->unmatched_free_count, 1);
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
