/* SPDX-License-Identifier: MIT */
/*
 * allocsnoop.h - the ABI between the BPF programs and userspace.
 *
 * Owned by bpf/. Fixed-width types only: this header is compiled both for
 * the BPF target and for the host.
 */
#ifndef ALLOCSNOOP_ABI_H
#define ALLOCSNOOP_ABI_H

#define AS_MAX_STACK_DEPTH 64
#define AS_TASK_COMM_LEN   16

/* Which allocator function a probe is on; carried in the BPF cookie. */
enum as_fn {
	AS_FN_MALLOC = 0,
	AS_FN_CALLOC,
	AS_FN_REALLOC,
	AS_FN_REALLOCARRAY,
	AS_FN_POSIX_MEMALIGN,
	AS_FN_ALIGNED_ALLOC,
	AS_FN_MEMALIGN,
	AS_FN_VALLOC,
	AS_FN_PVALLOC,
	AS_FN_FREE,
	AS_FN_MAX,
};

/*
 * Cookie layout: bits 0-7 the as_fn, bits 8-15 how many 8-byte words the
 * function has pushed before the probe site (so the return address is at
 * [rsp + 8 * words]).
 */
#define AS_COOKIE(fn, words) ((__u64)(fn) | ((__u64)(words) << 8))
#define AS_COOKIE_FN(c)	     ((c) & 0xff)
#define AS_COOKIE_WORDS(c)   (((c) >> 8) & 0xff)

/* Everything the tracer could not keep exactly; indices into lost[]. */
enum as_lost {
	AS_LOST_ALLOC_MAP_FULL = 0, /* an allocation was not tracked as live */
	AS_LOST_STACK_MAP_FULL,	    /* a stack could not be stored */
	AS_LOST_STAT_MAP_FULL,	    /* a (process, stack) counter could not be created */
	AS_LOST_PROC_MAP_FULL,	    /* a process counter could not be created */
	AS_LOST_THREAD_MAP_FULL,    /* a call was missed: no per-thread slot */
	AS_LOST_EVENTS,		    /* a notification to userspace was dropped */
	AS_LOST_STACK_TRUNCATED,    /* a stack deeper than the limit was cut */
	AS_LOST_READ_FAILED,	    /* a user pointer could not be read */
	AS_LOST_STALE_ALLOC,	    /* an address was returned twice without a free seen */
	AS_LOST_MAX,
};

/* allocs: one live allocation. */
struct as_alloc_key {
	__u32 tgid;
	__u32 pad;
	__u64 addr;
};

struct as_alloc_val {
	__u64 size;
	__u64 stack; /* key into stacks, AS_STACK_NONE when not stored */
	__u64 weight; /* bytes this allocation stands for (sampling), = size when exact */
};

#define AS_STACK_NONE 0ULL

/* stacks: one distinct user stack, innermost first. */
struct as_stack {
	__u32 nr;
	__u32 flags;
	__u64 ips[AS_MAX_STACK_DEPTH];
};

#define AS_STACK_F_TRUNCATED 1

/* stats: per (process, stack) counters. */
struct as_stat_key {
	__u32 tgid;
	__u32 pad;
	__u64 stack;
};

struct as_stat_val {
	__s64 size;	    /* live bytes */
	__s64 count;	    /* live allocations */
	__u64 alloc_size;   /* bytes allocated since attach */
	__u64 alloc_count;  /* allocations since attach */
};

/* procs: per process counters. */
struct as_proc_val {
	__s64 current;
	__s64 peak;
	__u64 alloc_count;
	__u64 free_count;
	__u64 failed_count;
	__u64 unmatched_free_count;
	__u64 alloc_bytes;
	__u64 free_bytes;
	__u64 untracked; /* allocations counted but not kept live (a map was full) */
};

/* threads: the state of one thread inside an allocator call. */
struct as_thread_state {
	__u32 depth; /* nesting of allocator calls; 0 = outside */
	__u32 fn;
	__u64 size;    /* requested bytes */
	__u64 old_ptr; /* realloc: the pointer passed in */
	__u64 memptr;  /* posix_memalign: where the result is stored */
	__u64 stack;
	/* realloc: the record of old_ptr, taken out at entry */
	__u64 old_size;
	__u64 old_stack;
	__u64 old_weight;
	__u32 old_found;
	__u32 sampled;
};

/* Ring buffer events: things userspace must act on promptly. */
enum as_event_type {
	AS_EV_NEW_PROCESS = 1, /* first allocation seen: read its maps now */
	AS_EV_EXEC,	       /* a traced process exec'd: old image's records are stale */
	AS_EV_EXIT,	       /* a traced process exited */
};

struct as_event {
	__u32 type;
	__u32 tgid;
	char comm[AS_TASK_COMM_LEN];
};

#endif
