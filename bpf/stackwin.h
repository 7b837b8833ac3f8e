/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * stackwin.h - reading the user stack a window at a time.
 *
 * Owned by bpf/. A stack walk keeps its state, the stack being built and
 * a window of user stack words in a per-CPU scratch value (too big for the
 * BPF stack). One read serves every frame inside the window, where a read
 * per frame costs ~60 ns here.
 */
#ifndef ALLOCSNOOP_BPF_STACKWIN_H
#define ALLOCSNOOP_BPF_STACKWIN_H

#define WIN_BYTES 256
#define WIN_WORDS (WIN_BYTES / 8)

struct walk {
	struct as_stack st;
	__u64 win_base; /* user address of win[0]; 8-aligned */
	__u64 win_len;	/* bytes of win read, 0 = none */
	__u64 win[WIN_WORDS];
	/* a runtime stepper's cursor: a return address, the stack slot it
	 * was found in, and the frame pointer */
	__u64 ret, slot, fp;
	/* the frame-pointer walk ended at a frame that keeps none: the
	 * cursor is at its return address, which a stepper may go on from */
	__u64 resumable;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct walk);
} scratch SEC(".maps");

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

/* Appends @ip to @w's stack of @n frames; returns the new depth. */
static __always_inline __u32 walk_push(struct walk *w, __u32 n, __u64 ip)
{
	__u32 idx;

	if (n >= AS_MAX_STACK_ENTRIES)
		return n;
	idx = n & (AS_MAX_STACK_ENTRIES - 1);
	/* keep the mask: an index the compiler turns into a running
	 * pointer has no bound the verifier can see */
	asm volatile("" : "+r"(idx));
	w->st.ips[idx & (AS_MAX_STACK_ENTRIES - 1)] = ip;
	return n + 1;
}

#endif
