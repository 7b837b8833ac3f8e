/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * python_frames.h - the CPython frames of the allocating thread, appended
 * to its native stack as tagged entries (allocsnoop.h: AS_PY_TAG).
 *
 * Owned by bpf/. Userspace (src/unwind/python.c) writes py_procs for each
 * process it recognised as CPython 3.10+: the layouts of its version and
 * where the thread's own PyThreadState is (the interpreter's TSS key in
 * glibc's thread-specific data, found from the task's fs base, in one
 * read or two; not the GIL holder). Per frame only the code object and
 * the instruction index are read, and for the innermost frame the code
 * object's first line (its guard): no strings are read here, userspace
 * reads the code objects. 3.11+ keep a thread's frames one after the
 * other in its data stack, each caller below its callee: one read of the
 * frame and the bytes below it serves the frames it holds, where a read
 * per frame costs ~60 ns.
 */
#ifndef ALLOCSNOOP_BPF_PYTHON_FRAMES_H
#define ALLOCSNOOP_BPF_PYTHON_FRAMES_H

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, struct as_py_proc);
} py_procs SEC(".maps");

#define PYWIN_BYTES 2048
#define PYWIN_WORDS (PYWIN_BYTES / 8)
#define PYWIN_FIRST 512 /* the first read; each next one twice as much */

/* A window of the thread's frames: win[0] is at user address base. */
struct py_window {
	__u64 base;
	__u64 len; /* bytes read, 0 = none */
	__u64 win[PYWIN_WORDS];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct py_window);
} py_scratch SEC(".maps");

/*
 * Tells userspace of a new stack with Python frames. A full ring buffer
 * costs only that wait: the code objects are read later then, which is
 * no count that could be wrong, so it is not a loss.
 */
static __always_inline void py_stack_emit(__u32 tgid, __u64 stack)
{
	struct as_py_stack_event *e;

	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e)
		return;
	e->type = AS_EV_PY_STACK;
	e->tgid = tgid;
	e->stack = stack;
	e->pad = 0;
	bpf_ringbuf_submit(e, 0);
}

/* The first Python frame of the thread, 0 when it has none. */
static __always_inline __u64 py_first_frame(const struct as_py_proc *cfg)
{
	struct task_struct *task = bpf_get_current_task_btf();
	__u64 fsbase, ts = 0, frame = 0;

	fsbase = BPF_CORE_READ(task, thread.fsbase);
	if (!fsbase || bpf_probe_read_user(&ts, sizeof(ts),
					   (void *)(fsbase + cfg->tsd_off)))
		return 0;
	/* a key's block of key data, allocated when first set */
	if (cfg->tsd_indirect &&
	    (!ts ||
	     bpf_probe_read_user(&ts, sizeof(ts), (void *)(ts + cfg->tsd_l2))))
		return 0;
	if (!ts || bpf_probe_read_user(&frame, sizeof(frame),
				       (void *)(ts + cfg->ts_frame)))
		return 0;
	if (cfg->cf_frame != AS_PY_NO_CFRAME &&
	    (!frame || bpf_probe_read_user(&frame, sizeof(frame),
					   (void *)(frame + cfg->cf_frame))))
		return 0;
	return frame;
}

/* The state of a Python frame walk, one bpf_loop step per frame. */
struct py_walk {
	struct as_py_proc cfg; /* a copy: no map lookup per frame */
	__u32 n;	       /* frames in the stack */
	__u32 native;	       /* of which native */
	__u32 flags;	       /* AS_STACK_F_* */
	__u32 want;	       /* bytes of frames to read next */
	__u64 frame; /* the next _PyInterpreterFrame (3.10: PyFrameObject), 0
			at the end */
};

/* The guard bits (allocsnoop.h) of the code object at @code. */
static __always_inline __u64 py_guard(const struct as_py_proc *cfg, __u64 code)
{
	__u32 line = 0;

	bpf_probe_read_user(&line, sizeof(line),
			    (void *)(code + cfg->co_firstlineno));
	return as_py_guard(line);
}

/* The word at byte @off (8-aligned) of the frame at @at of @pw. */
static __always_inline __u64 fr_word(const struct py_window *pw, __u32 at,
				     __u32 off)
{
	return pw->win[((at + off) >> 3) & (PYWIN_WORDS - 1)];
}

/* The byte at @off of the frame at @at of @pw. */
static __always_inline __u32 fr_byte(const struct py_window *pw, __u32 at,
				     __u32 off)
{
	return (fr_word(pw, at, off & ~7) >> ((off & 7) * 8)) & 0xff;
}

/* Reads @len bytes at @addr into @pw. */
static __always_inline int pywin_read(struct py_window *pw, __u64 addr,
				      __u64 len)
{
	pw->len = 0;
	if (len < 8 || len > PYWIN_BYTES ||
	    bpf_probe_read_user(pw->win, len, (void *)addr))
		return -1;
	pw->base = addr;
	pw->len = len;
	return 0;
}

/*
 * Sets *@at to where the @need bytes of the frame at @frame are in @pw,
 * reading them when they are not there. 3.11+ read up to *@want bytes
 * that end with the frame, where its callers are, but not below the
 * frame's page (below, memory may not be mapped: a failed read costs a
 * fault); 3.10's frames are heap objects, each read alone.
 */
static __always_inline int py_frame_at(struct py_window *pw,
				       const struct as_py_proc *cfg,
				       __u64 frame, __u32 *want, __u32 *at)
{
	__u64 need = cfg->fr_read, end = frame + need, page = frame & ~4095ULL;
	__u64 start = frame;

	if (frame & 7)
		return -1;
	if (pw->len && frame >= pw->base && end <= pw->base + pw->len) {
		*at = frame - pw->base;
		return 0;
	}
	/* a copy costs by its bytes: a shallow stack reads little */
	if (!(cfg->flags & AS_PY_F_LASTI)) {
		start = end - *want;
		if (*want > end || start < page)
			start = page;
		*want = *want < PYWIN_BYTES / 2 ? *want * 2 : PYWIN_BYTES;
	}
	*at = frame - start;
	return pywin_read(pw, start, end - start);
}

/* Is the frame in @w a shim frame of the C stack (3.12+), by its owner? */
static __always_inline bool py_is_shim(const struct py_window *pw, __u32 at,
				       const struct as_py_proc *cfg)
{
	return cfg->owner_cstack != AS_PY_NO_OWNER &&
	       fr_byte(pw, at, cfg->fr_owner) == cfg->owner_cstack;
}

/*
 * AS_PY_RUN_END when the frame in @w is the outermost one its eval loop
 * call runs: every 3.10 frame, 3.11's is_entry ones (3.12+ say it with a
 * shim frame after it).
 */
static __always_inline __u64 py_run_end(const struct py_window *pw, __u32 at,
					const struct as_py_proc *cfg)
{
	if ((cfg->flags & AS_PY_F_EACH_RUN) ||
	    (cfg->fr_entry != AS_PY_NO_ENTRY && fr_byte(pw, at, cfg->fr_entry)))
		return AS_PY_RUN_END;
	return 0;
}

/* The instruction index of the frame in @w, whose code object is @code,
 * as allocsnoop.h encodes it (not yet clamped). */
static __always_inline __u64 py_instr_index(const struct py_window *pw,
					    __u32 at,
					    const struct as_py_proc *cfg,
					    __u64 code)
{
	__u64 instr = fr_word(pw, at, cfg->fr_instr & ~7);
	__s32 lasti;

	if (cfg->flags & AS_PY_F_LASTI) {
		lasti = (__s32)(instr >> ((cfg->fr_instr & 7) * 8));
		return lasti < 0 ? 0 : (__u64)lasti + 1;
	}
	return instr > code + cfg->code_adaptive
		   ? (instr - code - cfg->code_adaptive) / 2
		   : 0;
}

/*
 * One frame: its code object and instruction index appended, unless it is
 * a shim frame of the C stack, which ends the run of the frame before it.
 * Returns 1 to end the walk. A bpf_loop callback, verified once for every
 * frame (an unrolled loop of 64 frames took the verifier past its million
 * instructions).
 */
static long py_step(__u32 i, void *arg)
{
	struct py_walk *pw = arg;
	const struct as_py_proc *cfg = &pw->cfg;
	__u64 code, idx, end;
	__u32 zero = 0, last, at;
	struct py_window *fw;
	struct walk *w;

	w = bpf_map_lookup_elem(&scratch, &zero);
	fw = bpf_map_lookup_elem(&py_scratch, &zero);
	if (!w || !fw || !pw->frame ||
	    py_frame_at(fw, cfg, pw->frame, &pw->want, &at))
		return 1;
	code = fr_word(fw, at, cfg->fr_code);
	end = py_run_end(fw, at, cfg);
	pw->frame = fr_word(fw, at, cfg->fr_previous);
	if (py_is_shim(fw, at, cfg)) {
		last = (pw->n - 1) & (AS_MAX_STACK_ENTRIES - 1);
		if (pw->n > pw->native)
			w->st.ips[last] |= AS_PY_RUN_END;
		return 0;
	}
	if (!code)
		return 0;
	if (pw->n - pw->native >= stack_depth ||
	    pw->n >= AS_MAX_STACK_ENTRIES) {
		pw->flags |= AS_STACK_F_TRUNCATED;
		return 1;
	}
	idx = py_instr_index(fw, at, cfg, code);
	if (idx > AS_PY_INSTR_MAX)
		idx = AS_PY_INSTR_MAX;
	/* only the innermost frame, the allocation site, is guarded: a
	 * read of the code object costs ~90 ns, as much as the frame's */
	if (pw->n == pw->native)
		end |= py_guard(cfg, code);
	pw->n = walk_push(w, pw->n,
			  AS_PY_TAG | idx << AS_PY_INSTR_SHIFT |
			      (code & AS_PY_CODE_MASK) | end);
	return 0;
}

/*
 * Appends the Python frames of the current thread of process @tgid to
 * @w's stack of @n frames, innermost first, leaving out the C stack's
 * shim frames, up to stack_depth of them (they have room of their own,
 * after the native frames). Sets AS_STACK_F_TRUNCATED in *@flags when
 * frames were left over. Returns the new depth; @n when the process is
 * not CPython or the thread runs no Python code. A global function,
 * verified once.
 */
__noinline __u32 python_frames(__u32 tgid, struct walk *w, __u32 n,
			       __u32 *flags)
{
	const struct as_py_proc *cfg;
	struct py_walk pw = {.n = n, .native = n, .want = PYWIN_FIRST};
	struct py_window *fw;
	__u32 zero = 0;

	if (!w || !flags)
		return n;
	cfg = bpf_map_lookup_elem(&py_procs, &tgid);
	fw = bpf_map_lookup_elem(&py_scratch, &zero);
	if (!cfg || !fw)
		return n;
	fw->len = 0; /* memory read for another stack is no longer true */
	pw.cfg = *cfg;
	pw.frame = py_first_frame(cfg);
	if (!pw.frame)
		return n;
	bpf_loop(AS_MAX_STACK_DEPTH * 2, py_step, &pw, 0);
	*flags |= pw.flags;
	return pw.n;
}

#endif
