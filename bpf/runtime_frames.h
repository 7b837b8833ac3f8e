/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * runtime_frames.h - stepping through frames of the C/C++ runtime (libc,
 * libstdc++, libgcc_s), which keeps no frame pointers, with per-call-site
 * CFI rules that userspace computed (src/unwind/) and loaded into maps.
 *
 * Owned by bpf/. Which mapping an address is in comes from a small
 * per-process cache of the last executable mappings met, filled through
 * bpf_find_vma; a mapping is a runtime library when its file's (device,
 * inode) is in rt_files.
 */
#ifndef ALLOCSNOOP_BPF_RUNTIME_FRAMES_H
#define ALLOCSNOOP_BPF_RUNTIME_FRAMES_H

/* Zeroed initial value for new cache entries: an empty cache (start ==
 * end matches nothing). */
static struct as_vma_cache vma_zero = {};

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
	bpf_map_update_elem(&vmas, &tgid, &vma_zero, BPF_NOEXIST);
	return bpf_map_lookup_elem(&vmas, &tgid);
}

/*
 * One CFI step from return address w->ret, found at stack address
 * w->slot, to its caller's, with the rule @u. Returns 0, or -1 when the
 * stack cannot be read.
 */
static __always_inline int cfi_step(struct walk *w,
				    const struct as_unwind_val *u)
{
	__u64 cfa, hi;

	cfa = (u->cfa_reg == AS_UNWIND_CFA_RBP ? w->fp : w->slot + 8) +
	      u->cfa_off;
	/* the saved rbp, when there is one, is below the return address:
	 * at cfa-16 as a rule */
	if (u->rbp_off == -16) {
		if (stack_words(w, cfa - 16, &w->fp, &w->ret, WIN_BYTES))
			return -1;
	} else if (stack_words(w, cfa - 8, &w->ret, &hi, WIN_BYTES) ||
		   (u->rbp_off &&
		    bpf_probe_read_user(&w->fp, sizeof(w->fp),
					(void *)(cfa + u->rbp_off)))) {
		return -1;
	}
	w->slot = cfa - 8;
	return 0;
}

/*
 * Steps from return address w->ret, found at stack address w->slot,
 * through frames of the runtime with their CFI rules, appending each
 * caller to @w's stack, which holds @n frames. Stops at the first frame
 * outside the runtime, which keeps frame pointers if anything does; w->fp
 * is then the rbp to walk on, and, when @first (the walk's first
 * stepping), the thread remembers that frame's mapping
 * (@ts->user_start/end). Returns the new depth. A global function,
 * verified once: inlined, it multiplied the verifier's work on every
 * return path (0.4 s at load), for calls most of which never come here.
 */
__noinline __u32 runtime_steps(__u32 tgid, struct as_thread_state *ts,
			       struct walk *w, __u32 n, __u32 first)
{
	struct as_unwind_key key = {};
	const struct as_unwind_val *u;
	const struct as_vma *v;
	struct as_vma_cache *vc;
	__u32 i;

	if (!ts || !w)
		return n;
	vc = vma_cache(tgid);
	if (!vc)
		return n;
	for (i = 0; i < AS_RT_MAX_STEPS; i++) {
		v = vma_of(vc, w->ret);
		if (!v)
			break;
		if (v->module == AS_RT_NONE) {
			if (i == 0 && first) {
				ts->user_start = v->start;
				ts->user_end = v->end;
			}
			break;
		}
		key.module = v->module;
		key.offset = w->ret - v->bias;
		u = bpf_map_lookup_elem(&unwind, &key);
		if (!u || cfi_step(w, u) || n >= AS_MAX_STACK_DEPTH)
			break;
		n = walk_push(w, n, w->ret);
	}
	return n;
}

#endif
