/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * stackwalk.h - the user stack of an allocation, walked at the call's
 * return and stored once per distinct stack.
 *
 * Owned by bpf/. At the return, the caller's return address is the
 * instruction pointer and the stack and frame pointers are the caller's
 * again, so nothing is read for the direct caller and the probe site's
 * pushes do not matter. Frames of a runtime are stepped through by that
 * runtime's stepper (runtime_frames.h: the C/C++ runtime's CFI); the rest
 * follows frame pointers. A new language runtime's frames get their own
 * header and are called from stack_store().
 */
#ifndef ALLOCSNOOP_BPF_STACKWALK_H
#define ALLOCSNOOP_BPF_STACKWALK_H

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 1 << 16);
	__type(key, __u64);
	__type(value, struct as_stack);
} stacks SEC(".maps");

/*
 * Follows the frame-pointer chain from w->fp, the last stack slot used
 * being @prev, appending to @w's stack of @n frames. A frame must lie
 * above the last stack slot used and frames must grow upwards in small
 * steps; anything else is not a frame chain (code built without frame
 * pointers) and ends the walk, leaving the cursor (w->ret, slot, fp) at
 * the last return address found, and w->resumable set. Sets
 * AS_STACK_F_TRUNCATED in *@flags when the chain went on past the depth
 * limit. Returns the new depth. A global function, verified once.
 */
__noinline __u32 fp_walk(struct walk *w, __u32 n, __u64 prev, __u32 *flags)
{
	__u64 fp, next, ret, want;
	__u32 i;

	if (!w || !flags)
		return n;
	fp = w->fp;
	w->resumable = 0;
	for (i = 0; i < AS_MAX_STACK_DEPTH; i++) {
		if (n >= stack_depth || n >= AS_MAX_STACK_DEPTH) {
			if (fp > prev && fp - prev <= (8 << 20))
				*flags |= AS_STACK_F_TRUNCATED;
			break;
		}
		if (fp <= prev || fp - prev > (8 << 20) || (fp & 7)) {
			if (i) { /* the frame of w->ret keeps no rbp */
				w->slot = prev + 8;
				w->fp = fp;
				w->resumable = 1;
			}
			break;
		}
		/* A window pays off when frames are small: most are then
		 * in it. After a big step, read just the frame record. */
		want = fp - prev <= WIN_BYTES / 2 ? WIN_BYTES : 16;
		/* a return address is a user address: below 2^47, which
		 * leaves the top bit to tag Python frames (AS_PY_TAG) */
		if (stack_words(w, fp, &next, &ret, want) || ret < 4096 ||
		    ret >= AS_PY_ADDR_MASK)
			break;
		n = walk_push(w, n, ret);
		w->ret = ret;
		prev = fp;
		fp = next;
	}
	return n;
}

/*
 * A CPython process's stack goes back and forth between the interpreter
 * (no frame pointers: its CFI steps) and extension modules that call
 * back into Python (frame pointers, if any): each walk that ended at a
 * runtime frame goes on with its stepper, a few times.
 */
static __always_inline __u32 walk_on(__u32 tgid, struct as_thread_state *ts,
				     struct walk *w, __u32 n, __u32 *flags)
{
	/* (called for CPython processes only) */
	__u32 i, m;

	if (!w->resumable)
		return n;
	for (i = 0; i < AS_PY_WALK_RESUMES && w->resumable; i++) {
		m = runtime_steps(tgid, ts, w, n, 0);
		if (m == n)
			break;
		n = fp_walk(w, m, w->slot, flags);
	}
	return n;
}

/* FNV-style hash of @n frames; never AS_STACK_NONE. */
static __always_inline __u64 stack_hash(const struct as_stack *st, __u32 n)
{
	__u64 h = 0xcbf29ce484222325ULL;
	__u32 i;

	for (i = 0; i < AS_MAX_STACK_ENTRIES; i++) {
		if (i >= n)
			break;
		h ^= st->ips[i];
		h *= 0x100000001b3ULL;
		h ^= h >> 29;
	}
	h ^= n;
	return h == AS_STACK_NONE ? 1 : h;
}

/*
 * Walks the user stack whose innermost frame is at instruction @ip with
 * stack pointer @sp and frame pointer @fp (at an allocator call's return:
 * its caller's), and stores it once; returns its key, or AS_STACK_NONE
 * when it could not be stored. A global function, verified once, not in
 * every return path.
 */
__noinline __u64 stack_store(__u32 tgid, struct as_thread_state *ts, __u64 ip,
			     __u64 sp, __u64 fp)
{
	__u64 ret = ip, h;
	__u32 zero = 0, n = 1, flags = 0, native;
	bool py;
	struct walk *w;
	long err;

	w = bpf_map_lookup_elem(&scratch, &zero);
	if (!w || !ts)
		return AS_STACK_NONE;
	w->win_len = 0;
	w->st.ips[0] = ret;
	w->ret = ret;
	w->slot = sp - 8; /* where the return address was */
	w->fp = fp;
	/* most calls come from where the last one outside the runtime did;
	 * a CPython interpreter's frames are stepped through up to its eval
	 * loop (userspace made it a runtime file) */
	py = bpf_map_lookup_elem(&py_procs, &tgid) != NULL;
	if (ret < ts->user_start || ret >= ts->user_end || py)
		n = runtime_steps(tgid, ts, w, n, 1);
	n = fp_walk(w, n, w->slot, &flags);
	if (py)
		n = walk_on(tgid, ts, w, n, &flags);
	native = n;
	n = python_frames(tgid, w, n, &flags);
	if (flags & AS_STACK_F_TRUNCATED)
		count_lost(AS_LOST_STACK_TRUNCATED);

	h = stack_hash(&w->st, n);
	if (h == ts->last_stack || bpf_map_lookup_elem(&stacks, &h))
		return h;
	w->st.nr = n;
	w->st.flags = flags;
	err = bpf_map_update_elem(&stacks, &h, &w->st, BPF_NOEXIST);
	if (err && err != -EEXIST) {
		count_lost(AS_LOST_STACK_MAP_FULL);
		return AS_STACK_NONE;
	}
	if (!err && n > native)
		py_stack_emit(tgid, h);
	return h;
}

#endif
