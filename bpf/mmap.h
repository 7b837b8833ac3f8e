/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * mmap.h - anonymous memory taken with mmap directly: the mmap, munmap and
 * mremap system calls of traced processes, whatever library made them.
 *
 * Owned by bpf/. Included once, by allocsnoop.bpf.c: it defines programs.
 * Regions need ranges (a partial munmap ends part of one), so they are
 * kept in userspace from events sent here in order; an mmap's stack is
 * stored like an allocation's. A raw tracepoint: attached by name, no
 * tracefs.
 */
#ifndef ALLOCSNOOP_BPF_MMAP_H
#define ALLOCSNOOP_BPF_MMAP_H

#define AS_MAP_ANONYMOUS 0x20
#define AS_MAX_ERRNO	 4095

const volatile bool mmap_files = false; /* --mmap-files: file mappings too */

static __always_inline int mmap_emit(__u32 type, __u32 tgid, __u32 gen,
				     __u64 addr, __u64 len, __u64 new_addr,
				     __u64 new_len, __u64 stack)
{
	struct as_mmap_event *e;

	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count_lost(AS_LOST_EVENTS);
		return -1;
	}
	*e = (struct as_mmap_event){.type = type,
				    .tgid = tgid,
				    .gen = gen,
				    .addr = addr,
				    .len = len,
				    .new_addr = new_addr,
				    .new_len = new_len,
				    .stack = stack,
				    .ts = bpf_ktime_get_ns()};
	bpf_ringbuf_submit(e, 0);
	return 0;
}

/* A syscall's result is an error when it is -1..-4095. */
static __always_inline bool failed(long ret)
{
	return ret < 0 && ret >= -AS_MAX_ERRNO;
}

/* x86-64 system call numbers */
#define AS_NR_MMAP   9
#define AS_NR_MUNMAP 11
#define AS_NR_MREMAP 25

/*
 * Is a mapping made now an allocator's own memory (glibc's big blocks),
 * counted as its blocks? Not a pymalloc arena, which its blocks are not
 * added to the totals for (account.h): mapped by CPython's allocator
 * itself, outside any malloc nested in it.
 */
static __always_inline bool allocators_own(const struct as_thread_state *ts)
{
	if (!ts->depth)
		return false;
	return ts->depth > 1 || !(AS_COOKIE_FLAGS(ts->cookie) & AS_FN_PYMALLOC);
}

static __always_inline void on_mmap(const struct pt_regs *regs, __u32 tgid,
				    __u32 tid, long ret)
{
	__u64 flags = BPF_CORE_READ(regs, r10), stack;
	struct as_thread_state *ts;
	struct as_proc_val *p;

	if (!(flags & AS_MAP_ANONYMOUS) && !mmap_files)
		return;
	ts = thread_get(tid);
	if (!ts || allocators_own(ts))
		return;
	p = proc_get(tgid);
	stack = stack_store(tgid, ts, BPF_CORE_READ(regs, ip),
			    BPF_CORE_READ(regs, sp), BPF_CORE_READ(regs, bp));
	mmap_emit(AS_EV_MMAP, tgid, p ? p->gen : 0, (__u64)ret,
		  BPF_CORE_READ(regs, si), 0, 0, stack);
}

/*
 * Every system call's exit: the three of interest are told by number.
 * fexit on the calls themselves would cost other calls nothing, but this
 * kernel's lockdown refuses fentry/fexit; the BTF raw tracepoint it
 * allows, and its arguments are still in the saved registers. BTF-typed,
 * the number is a plain load, not a probe read: 123 -> 76 ns a system
 * call (bpf_stats), which every process on the machine pays.
 */
SEC("tp_btf/sys_exit")
int BPF_PROG(mmap_calls, struct pt_regs *regs, long ret)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tgid = id >> 32, tid = (__u32)id;
	long nr;

	if (floor_only)
		return 0;
	nr = regs->orig_ax;
	if ((nr != AS_NR_MMAP && nr != AS_NR_MUNMAP && nr != AS_NR_MREMAP) ||
	    failed(ret) || untraced(tgid))
		return 0;
	if (nr == AS_NR_MMAP)
		on_mmap(regs, tgid, tid, ret);
	else if (nr == AS_NR_MUNMAP)
		mmap_emit(AS_EV_MUNMAP, tgid, 0, BPF_CORE_READ(regs, di),
			  BPF_CORE_READ(regs, si), 0, 0, AS_STACK_NONE);
	else
		mmap_emit(AS_EV_MREMAP, tgid, 0, BPF_CORE_READ(regs, di),
			  BPF_CORE_READ(regs, si), (__u64)ret,
			  BPF_CORE_READ(regs, dx), AS_STACK_NONE);
	return 0;
}

#endif
