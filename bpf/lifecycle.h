/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * lifecycle.h - processes beginning, changing image and ending: the raw
 * tracepoints (attached by name, no tracefs needed) that keep the maps
 * in step with them.
 *
 * Owned by bpf/. Included once, by allocsnoop.bpf.c: it defines programs.
 */
#ifndef ALLOCSNOOP_BPF_LIFECYCLE_H
#define ALLOCSNOOP_BPF_LIFECYCLE_H

/*
 * exec replaces the image: its live blocks are gone. New records carry the
 * next generation; userspace purges the old one's and reports the new
 * image from zero live bytes.
 */
SEC("raw_tp/sched_process_exec")
int handle_exec(void *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tgid = id >> 32, tid = (__u32)id;
	struct as_thread_state *ts;
	struct as_proc_val *p;

	bpf_map_delete_elem(&vmas, &tgid);
	/* a new interpreter, or none: userspace looks again */
	bpf_map_delete_elem(&py_procs, &tgid);
	/* the new image maps other files at other places */
	ts = bpf_map_lookup_elem(&threads, &tid);
	if (ts) {
		ts->user_start = 0;
		ts->user_end = 0;
		ts->last_stack = AS_STACK_NONE;
	}
	p = bpf_map_lookup_elem(&procs, &tgid);
	if (!p) {
		/* not seen allocating yet: userspace looks for allocators
		 * in the new image (a static binary) */
		if (!untraced(tgid))
			emit(AS_EV_EXEC, tgid);
		return 0;
	}
	__sync_fetch_and_add(&p->gen, 1);
	p->current = 0;
	p->peak = 0;
	emit(AS_EV_EXEC, tgid);
	return 0;
}

/*
 * The dynamic loader's debugger rendezvous (_dl_debug_state), which it
 * calls around every load and unload of libraries (at start, dlopen,
 * dlclose): userspace probes the allocator files a process maps anew.
 */
SEC("uprobe")
int BPF_KPROBE(maps_changed)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;

	if (!untraced(tgid))
		emit(AS_EV_MAPS, tgid);
	return 0;
}

/*
 * The OOM killer chose its victim: userspace writes a snapshot of it now,
 * before its memory (and its stacks' meaning) is gone.
 */
SEC("raw_tp/mark_victim")
int handle_oom(struct bpf_raw_tracepoint_args *ctx)
{
	struct task_struct *task = (void *)ctx->args[0];
	__u32 tgid = BPF_CORE_READ(task, tgid);

	if (!untraced(tgid) && bpf_map_lookup_elem(&procs, &tgid))
		emit(AS_EV_OOM, tgid);
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
	/* its pid may be another program's soon: no Python walk there */
	bpf_map_delete_elem(&py_procs, &tgid);
	if (bpf_map_lookup_elem(&procs, &tgid))
		emit(AS_EV_EXIT, tgid);
	return 0;
}

#endif
