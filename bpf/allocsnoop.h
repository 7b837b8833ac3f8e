/* SPDX-License-Identifier: MIT */
/*
 * allocsnoop.h - the ABI between the BPF programs and userspace.
 *
 * Owned by bpf/. Fixed-width types only: this header is compiled both for
 * the BPF target and for the host.
 */
#ifndef ALLOCSNOOP_ABI_H
#define ALLOCSNOOP_ABI_H

#define AS_MAX_STACK_DEPTH 64 /* native frames of a stack */
/* entries of a stack record: its native frames, then up to
 * AS_MAX_STACK_DEPTH interpreted (CPython) frames */
#define AS_MAX_STACK_ENTRIES 128
#define AS_TASK_COMM_LEN     16

/*
 * What an allocator function does, and where its arguments are: carried in
 * each probe's BPF cookie, filled from the allocator table
 * (src/trace/allocators.c), so the programs need no per-function code.
 */
enum as_role {
	AS_ROLE_ALLOC = 1, /* returns the new block (malloc, calloc, ...) */
	AS_ROLE_REALLOC,   /* takes an old block, returns the new one */
	AS_ROLE_ALLOC_OUT, /* stores the block through an out pointer and
			      returns 0 on success (posix_memalign) */
	AS_ROLE_FREE,	   /* ends a block */
	AS_ROLE_RESIZE,	   /* resizes a block in place and returns its new
			      usable size, less than asked when it could
			      not (jemalloc's xallocx) */
};

/* realloc(p, 0) frees p (glibc), so a NULL return is not a failure. */
#define AS_FN_ZERO_FREES 1
/*
 * CPython's object allocator (PyObject_Malloc, PyMem_Malloc and friends):
 * pymalloc serves small blocks from its own arenas, which are counted as
 * mmap regions already, and hands the others to malloc, which is nested.
 * A block of such a call is AS_BLOCK_PYMALLOC unless a call nested in it
 * gave it (alloc_call.h).
 */
#define AS_FN_PYMALLOC 2

/*
 * What a live block is, in its record and its stats key. A pymalloc
 * block lies inside an arena that the process's totals hold already (as
 * an mmap region): it has its stack's counters, not the process's, so
 * that no byte is counted twice.
 */
enum as_block_kind {
	AS_BLOCK_MALLOC = 0, /* of an allocator: in the process's totals */
	AS_BLOCK_PYMALLOC,   /* served by pymalloc from an arena */
};

/*
 * Cookie layout: role in bits 0-3, then the 1-based argument numbers
 * (0 = none) of the size, of a count the size is multiplied by, of the
 * old or freed pointer and of the out pointer, 4 bits each, then flags.
 */
#define AS_COOKIE_ROLE(c)      ((__u32)(c)&0xf)
#define AS_COOKIE_SIZE_ARG(c)  ((__u32)((c) >> 4) & 0xf)
#define AS_COOKIE_COUNT_ARG(c) ((__u32)((c) >> 8) & 0xf)
#define AS_COOKIE_PTR_ARG(c)   ((__u32)((c) >> 12) & 0xf)
#define AS_COOKIE_OUT_ARG(c)   ((__u32)((c) >> 16) & 0xf)
#define AS_COOKIE_FLAGS(c)     ((__u32)((c) >> 20) & 0xff)

static inline __u64 as_cookie(__u32 role, __u32 size_arg, __u32 count_arg,
			      __u32 ptr_arg, __u32 out_arg, __u32 flags)
{
	return (__u64)(role & 0xf) | (__u64)(size_arg & 0xf) << 4 |
	       (__u64)(count_arg & 0xf) << 8 | (__u64)(ptr_arg & 0xf) << 12 |
	       (__u64)(out_arg & 0xf) << 16 | (__u64)(flags & 0xff) << 20;
}

/*
 * Sampling (--sample-bytes N): a per-thread countdown of bytes, drawn from
 * an exponential distribution of mean N, picks the allocations to record,
 * so an allocation of S bytes is recorded with probability
 * p = 1 - exp(-S/N) and then stands for S/p bytes and 1/p allocations.
 * BPF has no floats: userspace fills two tables (tracer.c) and the BPF
 * side only interpolates.
 *
 * sample_draws[AS_SAMPLE_DRAWS]: countdowns, the means of AS_SAMPLE_DRAWS
 * equal-probability slices of Exp(N), in bytes (>= 1).
 * sample_gain[AS_SAMPLE_GAIN_N + 1]: g(x) = x / (1 - exp(-x)) at
 * x = i / 2^(AS_SAMPLE_X_SHIFT - AS_SAMPLE_STEP_SHIFT), scaled by
 * 2^AS_SAMPLE_GAIN_SHIFT; S/p = N * g(S/N). From x = AS_SAMPLE_X_EXACT on,
 * p is 1 to 14 digits and an allocation stands for itself.
 */
#define AS_SAMPLE_DRAWS	     4096
#define AS_SAMPLE_X_SHIFT    20 /* x = S/N in units of 2^-20 */
#define AS_SAMPLE_STEP_SHIFT 13 /* table step: 2^13 units = 1/128 */
#define AS_SAMPLE_X_EXACT    32
#define AS_SAMPLE_GAIN_N                                                       \
	(AS_SAMPLE_X_EXACT << (AS_SAMPLE_X_SHIFT - AS_SAMPLE_STEP_SHIFT))
#define AS_SAMPLE_GAIN_SHIFT 26
/* N * g(x) must fit 64 bits: g < 2^5, scaled 2^26, so N <= 2^32. */
#define AS_SAMPLE_BYTES_MAX (1ULL << 32)

/*
 * The bytes a recorded allocation of @s bytes (s >= 1) stands for when
 * sampling one in @n bytes: n * g(s/n), linearly interpolated in @gain.
 * Shared by the BPF programs and the unit tests.
 */
static inline __attribute__((always_inline)) __u64
as_sample_weight(const __u64 *gain, __u64 n, __u64 s)
{
	__u64 xq, i, frac, g0, g1, g, w;

	if (s >= AS_SAMPLE_X_EXACT * n)
		return s;
	xq = (s << AS_SAMPLE_X_SHIFT) / n;
	i = (xq >> AS_SAMPLE_STEP_SHIFT) & (AS_SAMPLE_GAIN_N - 1);
	frac = xq & ((1ULL << AS_SAMPLE_STEP_SHIFT) - 1);
	g0 = gain[i];
	g1 = gain[i + 1];
	g = g0 + (((g1 - g0) * frac) >> AS_SAMPLE_STEP_SHIFT);
	w = (n * g + (1ULL << (AS_SAMPLE_GAIN_SHIFT - 1))) >>
	    AS_SAMPLE_GAIN_SHIFT;
	return w > s ? w : s;
}

/* Everything the tracer could not keep exactly; indices into lost[]. */
enum as_lost {
	AS_LOST_ALLOC_MAP_FULL = 0, /* an allocation was not tracked as live */
	AS_LOST_STACK_MAP_FULL,	    /* a stack could not be stored */
	AS_LOST_STAT_MAP_FULL,	    /* a (process, stack) counter could not be
				       created */
	AS_LOST_PROC_MAP_FULL,	    /* a process counter could not be created */
	AS_LOST_THREAD_MAP_FULL,    /* a call was missed: no per-thread slot */
	AS_LOST_EVENTS,		 /* a notification to userspace was dropped */
	AS_LOST_STACK_TRUNCATED, /* a stack deeper than the limit was cut */
	AS_LOST_READ_FAILED,	 /* a user pointer could not be read */
	AS_LOST_STALE_ALLOC,	 /* an address was returned twice without a free
				    seen */
	AS_LOST_LATE_PROBES,	 /* an allocator file was probed only after a
				    process had mapped it: its calls until then
				    were not seen (counted by userspace) */
	AS_LOST_PYMALLOC_STALE,	 /* a pymalloc block seen was given out again:
				    it had been freed where pymalloc's free is
				    inlined, and was live in its row until
				    then */
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
	__u64 stack;	    /* key into stacks, AS_STACK_NONE when not stored */
	__u64 weight;	    /* bytes it stands for: = size when exact */
	__u64 count_weight; /* allocations it stands for: 1 when exact */
	__u64 ts;	    /* when it was allocated, bpf_ktime_get_ns() */
	__u32 gen;  /* the process image (as_proc_val.gen) it belongs to */
	__u32 kind; /* enum as_block_kind */
};

/*
 * Live blocks are kept first in a table of buckets: an array map that the
 * programs search with plain loads and claim slots in with cmpxchg, so
 * recording and ending a block calls no helper. A block whose bucket is
 * full goes to the allocs hash map instead. A slot's addr is EMPTY, CLAIMED
 * while its record is written, or the block's address (never 0 or 1).
 */
#define AS_BUCKET_SLOTS	     8
#define AS_SLOT_EMPTY	     0ULL
#define AS_SLOT_CLAIMED	     1ULL
#define AS_TABLE_MAX_BUCKETS (1U << 17)

struct as_bucket {
	__u64 addr[AS_BUCKET_SLOTS];
	__u32 tgid[AS_BUCKET_SLOTS];
	struct as_alloc_val rec[AS_BUCKET_SLOTS];
};

#define AS_STACK_NONE 0ULL

/* stacks: one distinct user stack, innermost first. */
struct as_stack {
	__u32 nr;
	__u32 flags;
	__u64 ips[AS_MAX_STACK_ENTRIES];
};

#define AS_STACK_F_TRUNCATED 1

/* stats: per (process, stack) counters. */
struct as_stat_key {
	__u32 tgid;
	__u32 gen; /* process image: bumped at every exec */
	__u64 stack;
	__u32 kind; /* enum as_block_kind of its blocks */
	__u32 pad;
};

/*
 * Lifetimes of freed blocks, log2 buckets of microseconds: bucket 0 holds
 * those under 2 us, bucket i those in [2^i, 2^(i+1)) us, the last one
 * everything longer (2^31 us is 36 minutes). Live blocks' ages use the
 * same buckets (in userspace).
 */
#define AS_LIFE_BUCKETS 32

/* A block freed sooner than this is temporary, by default (--temporary). */
#define AS_TEMPORARY_NS 1000000ULL

/* The bucket of @ns nanoseconds. */
static inline __attribute__((always_inline)) __u32 as_life_bucket(__u64 ns)
{
	__u64 us = ns / 1000;
	__u32 b = 0;

	/* log2 by halving: BPF has no count-leading-zeros */
	if (us >= 1ULL << 16)
		b += 16, us >>= 16;
	if (us >= 1ULL << 8)
		b += 8, us >>= 8;
	if (us >= 1ULL << 4)
		b += 4, us >>= 4;
	if (us >= 1ULL << 2)
		b += 2, us >>= 2;
	if (us >= 1ULL << 1)
		b += 1;
	if (ns / 1000 >= 1ULL << 32)
		b = AS_LIFE_BUCKETS - 1;
	return b < AS_LIFE_BUCKETS ? b : AS_LIFE_BUCKETS - 1;
}

struct as_stat_val {
	__s64 size;		     /* live bytes */
	__s64 count;		     /* live allocations */
	__u64 alloc_size;	     /* bytes allocated since attach */
	__u64 alloc_count;	     /* allocations since attach */
	__u64 temporary;	     /* freed within the temporary threshold */
	__u32 life[AS_LIFE_BUCKETS]; /* freed blocks by lifetime */
};

/*
 * procs: per process counters. When sampling, counts and bytes are
 * estimates (sums of weights) and frees of unrecorded blocks are expected,
 * so unmatched_free_count stays 0.
 */
struct as_proc_val {
	__s64 current;
	__s64 peak;
	__u64 alloc_count;
	__u64 free_count;
	__u64 failed_count;
	__u64 unmatched_free_count;
	__u64 alloc_bytes;
	__u64 free_bytes;
	__u64 untracked; /* allocations counted but not kept live (a map was
			    full) */
	__u64 peak_ns;	 /* when the peak was reached, bpf_ktime_get_ns() */
	__u32 gen;	 /* the current image; old images' records are purged */
	__u32 pad;
};

/* threads: the state of one thread inside an allocator call. */
struct as_thread_state {
	__u32 depth;	 /* nesting of allocator calls; 0 = outside */
	__u32 sampled;	 /* the call's new block is to be recorded */
	__u64 cookie;	 /* of the outermost call's probe: which function */
	__u64 old_ptr;	 /* realloc: the pointer passed in */
	__u64 memptr;	 /* posix_memalign: where the result is stored */
	__u32 old_found; /* old holds old_ptr's record, taken out at entry */
	__u32 pad;
	/* The new block's record: the requested size and what it stands
	 * for (its size and 1 when exact) from the entry, its stack and
	 * image at the return. Kept here, not on the BPF stack, which the
	 * stack walk needs. */
	struct as_alloc_val rec;
	struct as_alloc_val old;   /* realloc: old_ptr's record */
	struct as_alloc_val stale; /* a record live_put displaced */
	/* the last mapping outside the runtime a stack started in: most
	 * calls come from there, and need no mapping lookup */
	__u64 user_start;
	__u64 user_end;
	/* sampling: bytes left until the next sample, 0 = not drawn yet */
	__u64 countdown;
	/* the stack of this thread's last recorded block: stored, and kept
	 * while its process's counter refers to it */
	__u64 last_stack;
	/* the first block a call nested in the outermost one returned, 0
	 * none: pymalloc's large blocks are malloc's */
	__u64 inner;
	/* a block PyObject_Free ended that pymalloc hands on to free():
	 * that free is the same one, not an unmatched one */
	__u64 handed;
};

/* Ring buffer events: things userspace must act on promptly. */
enum as_event_type {
	AS_EV_NEW_PROCESS = 1, /* first allocation seen: read its maps now */
	AS_EV_EXEC, /* a traced process exec'd: old image's records are stale */
	AS_EV_EXIT, /* a traced process exited */
	AS_EV_MAPS, /* a traced process loaded or unloaded a library */
	AS_EV_MMAP, /* struct as_mmap_event: anonymous memory mapped */
	AS_EV_MUNMAP,
	AS_EV_MREMAP,
	AS_EV_OOM,	/* the kernel chose a traced process as OOM victim */
	AS_EV_PY_STACK, /* struct as_py_stack_event: a new stack with Python
			   frames, whose code objects to read now */
};

/* AS_EV_PY_STACK: the code objects of a module's body live only while it
 * runs; userspace reads them as soon as it can. */
struct as_py_stack_event {
	__u32 type;
	__u32 tgid;
	__u64 stack; /* key into stacks */
	__u64 pad;   /* events are at least struct as_event's size */
};

struct as_event {
	__u32 type;
	__u32 tgid;
	char comm[AS_TASK_COMM_LEN];
};

/*
 * Anonymous memory mapped, unmapped or remapped by a traced process
 * (type AS_EV_MMAP, AS_EV_MUNMAP, AS_EV_MREMAP): userspace keeps the
 * regions from this stream, in its order. A mapping made inside an
 * allocator call is the allocator's (glibc's big blocks) and not sent.
 */
struct as_mmap_event {
	__u32 type;
	__u32 tgid;
	__u32 gen; /* AS_EV_MMAP: the process image */
	__u32 pad;
	__u64 addr; /* the region (munmap: the range unmapped) */
	__u64 len;
	__u64 new_addr; /* mremap: where it went, and its new size */
	__u64 new_len;
	__u64 stack; /* AS_EV_MMAP: key into stacks, AS_STACK_NONE if none */
	__u64 ts;    /* when, bpf_ktime_get_ns(): a region's age starts here */
};

/*
 * Stepping through frames of the C/C++ runtime, which keeps no frame
 * pointers, with per-call-site CFI rules computed in userspace (unwind.h).
 */
#define AS_RT_NONE	  0xffffffffU /* a mapping that is not a runtime file */
#define AS_RT_MAX_STEPS	  8
#define AS_VMA_SLOTS	  8
#define AS_UNWIND_CFA_RSP 0
#define AS_UNWIND_CFA_RBP 1

/* rt_files: a runtime library by the kernel's (device, inode). */
struct as_rt_file_key {
	__u64 dev;
	__u64 ino;
};

/* unwind: the rule at one return address of a runtime library. */
struct as_unwind_key {
	__u32 module; /* value in rt_files */
	__u32 pad;
	__u64 offset; /* file offset of the return address */
};

struct as_unwind_val {
	__s32 cfa_off;
	__s16 rbp_off;
	__u8 cfa_reg;
	__u8 pad;
};

/* vmas: per process, the last executable mappings a stack walk met. */
struct as_vma {
	__u64 start;
	__u64 end;
	__u64 bias;   /* start - file offset of the mapping */
	__u32 module; /* AS_RT_NONE when not a runtime library */
	__u32 pad;
};

struct as_vma_cache {
	__u32 next; /* slot to replace next */
	__u32 pad;
	struct as_vma v[AS_VMA_SLOTS];
};

/*
 * CPython frames (python_frames.h): a stack's entries after its native
 * frames, one per Python frame, innermost first, each tagged
 * AS_PY_TAG | instruction index << AS_PY_INSTR_SHIFT | code object
 * address (user addresses are below 2^47) | guard | AS_PY_RUN_END. The
 * instruction index counts code units from co_code_adaptive (3.11+); for
 * 3.10 (AS_PY_F_LASTI) it is f_lasti + 1, so that 0 says "before the
 * first instruction", which 3.10 charges to co_firstlineno. A bigger one
 * is clamped. Code objects are 16-aligned, which leaves the low 4 bits:
 * AS_PY_RUN_END marks the outermost frame that one native call of the
 * eval loop runs (so the native and Python frames merge in order), and
 * the guard, a hash of co_firstlineno, tells the innermost frame's code
 * object from another later allocated at its address (else their stacks
 * would be one). Outer frames and guards that hash to 0 carry 0: not
 * checked.
 */
#define AS_PY_TAG	  (1ULL << 63)
#define AS_PY_INSTR_SHIFT 47
#define AS_PY_INSTR_MAX	  0xffffULL
#define AS_PY_ADDR_MASK	  ((1ULL << AS_PY_INSTR_SHIFT) - 1)
#define AS_PY_RUN_END	  1ULL
#define AS_PY_GUARD_MASK  0xeULL
#define AS_PY_CODE_MASK	  (AS_PY_ADDR_MASK & ~0xfULL)

/* The guard bits of a code object whose co_firstlineno is @line. */
static inline __attribute__((always_inline)) __u64 as_py_guard(__u32 line)
{
	return ((line ^ line >> 3 ^ line >> 6 ^ line >> 9) << 1) &
	       AS_PY_GUARD_MASK;
}

/* 3.10, 3.13+: the thread state holds the frame */
#define AS_PY_NO_CFRAME	   0xffff
#define AS_PY_NO_OWNER	   0xff	  /* no frames to skip by owner */
#define AS_PY_WALK_RESUMES 4	  /* C stretches between eval loops walked */
#define AS_PY_NO_ENTRY	   0xffff /* 3.10, 3.12+: no is_entry */
/* as_py_proc.flags (3.10's frames): fr_instr is the int f_lasti, the
 * index of the last instruction in code units (-1 before the first), not
 * a pointer; every frame is the one frame of its own eval loop call */
#define AS_PY_F_LASTI	 0x01
#define AS_PY_F_EACH_RUN 0x02

/* py_procs: how to find the Python frames of one process (by tgid). */
struct as_py_proc {
	__u64 tsd_off;	      /* fs base + tsd_off holds the thread's
				 PyThreadState * (glibc's thread-specific data of
				 the interpreter's TSS key), unless tsd_indirect */
	__u16 ts_frame;	      /* PyThreadState: cframe (3.11, 3.12), else
				 current_frame (3.13), frame (3.10) */
	__u16 cf_frame;	      /* _PyCFrame.current_frame, or AS_PY_NO_CFRAME */
	__u16 fr_code;	      /* _PyInterpreterFrame: f_code / f_executable
				 (3.10's PyFrameObject: f_code) */
	__u16 fr_previous;    /* previous (3.10: f_back) */
	__u16 fr_instr;	      /* prev_instr (3.11, 3.12), instr_ptr (3.13),
				 f_lasti (3.10) */
	__u16 fr_owner;	      /* char owner */
	__u16 code_adaptive;  /* PyCodeObject.co_code_adaptive */
	__u16 fr_read;	      /* bytes of a frame read: its fields' span */
	__u8 owner_cstack;    /* owner of C-stack shim frames, or
				 AS_PY_NO_OWNER */
	__u8 flags;	      /* AS_PY_F_* */
	__u16 fr_entry;	      /* 3.11's bool is_entry, or AS_PY_NO_ENTRY */
	__u16 co_firstlineno; /* PyCodeObject.co_firstlineno, for the guard */
	__u8 tsd_indirect;    /* 1: fs base + tsd_off holds a block of glibc's
				 struct pthread specific[], and the block +
				 tsd_l2 the PyThreadState * (a key past the
				 first 32, or another glibc) */
	__u8 pad;
	__u32 tsd_l2;
	__u32 pad2;
};

#endif
