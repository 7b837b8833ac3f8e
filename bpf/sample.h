/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * sample.h - which calls --sample-bytes records, and what each stands for.
 *
 * Owned by bpf/. The math is in allocsnoop.h (as_sample_weight) and the
 * tables are filled by userspace (src/trace/sampling.c): BPF has no
 * floats, so it only draws from a table and interpolates.
 */
#ifndef ALLOCSNOOP_BPF_SAMPLE_H
#define ALLOCSNOOP_BPF_SAMPLE_H

__u64 sample_draws[AS_SAMPLE_DRAWS] = {};
__u64 sample_gain[AS_SAMPLE_GAIN_N + 1] = {};

static __always_inline __u64 sample_draw(void)
{
	return sample_draws[bpf_get_prandom_u32() & (AS_SAMPLE_DRAWS - 1)];
}

/*
 * Decides whether this thread's call of ts->rec.size bytes is recorded
 * and what it then stands for. A Poisson process over the bytes a thread
 * allocates: a call is recorded when the next sample point falls inside
 * its bytes; points after its end are independent of that (memoryless), so
 * a fresh countdown follows. A block of 0 bytes counts as 1 byte for the
 * decision (so its allocations are still estimated) and weighs 0 bytes.
 */
static __always_inline void sample(struct as_thread_state *ts)
{
	__u64 size = ts->rec.size, s = size ? size : 1, w, q, r;

	if (!ts->countdown)
		ts->countdown = sample_draw();
	if (s < ts->countdown) {
		ts->countdown -= s;
		ts->sampled = 0;
		return;
	}
	ts->countdown = sample_draw();
	ts->sampled = 1;
	w = as_sample_weight(sample_gain, sample_bytes, s);
	/* 1/p allocations, rounded up or down at random so that the
	 * integer count stays unbiased: q + (r/s on average). */
	q = w / s;
	r = w - q * s;
	ts->rec.count_weight =
	    q + ((bpf_get_prandom_u32() & ((1U << 20) - 1)) < (r << 20) / s);
	ts->rec.weight = size ? w : 0;
}

#endif
