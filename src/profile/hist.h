/* SPDX-License-Identifier: MIT */
/*
 * hist.h - how long blocks live, or have lived: log2 histograms of
 * microseconds, kept sparse.
 *
 * Owned by the hist module. Bucket 0 holds durations under 2 us, bucket i
 * those in [2^i, 2^(i+1)) us, the last bucket (AS_HIST_BUCKETS - 1) all
 * longer ones: the kernel side's as_life_bucket(). Most stacks fill one or
 * two buckets, so only the non-empty ones are stored: a snapshot of 131k
 * stacks keeps its histograms in a few MB.
 */
#ifndef ALLOCSNOOP_HIST_H
#define ALLOCSNOOP_HIST_H

#include <stdint.h>

#define AS_HIST_BUCKETS 32

/* A bin: its bucket in the top 8 bits, its count below. */
struct as_hist {
	uint32_t n;	/* bins */
	uint64_t *bins; /* sorted by bucket */
};

/* The bucket of @ns nanoseconds. */
unsigned hist__bucket(uint64_t ns);
/* The shortest duration bucket @b holds, in nanoseconds. */
uint64_t hist__bucket_start(unsigned b);

/* Adds @count to bucket @b (< AS_HIST_BUCKETS). 0 or -ENOMEM. */
int hist__add(struct as_hist *h, unsigned b, uint64_t count);
/* Adds every bin of @src to @dst. 0 or -ENOMEM. */
int hist__merge(struct as_hist *dst, const struct as_hist *src);
uint64_t hist__count(const struct as_hist *h, unsigned b);
/* The total of every bin. */
uint64_t hist__total(const struct as_hist *h);
/* A copy of @src into @dst (empty before). 0 or -ENOMEM. */
int hist__copy(struct as_hist *dst, const struct as_hist *src);
void hist__free(struct as_hist *h);

/* The bucket and count of bin @i (i < h->n). */
static inline unsigned hist__bin_bucket(const struct as_hist *h, uint32_t i)
{
	return (unsigned)(h->bins[i] >> 56);
}

static inline uint64_t hist__bin_count(const struct as_hist *h, uint32_t i)
{
	return h->bins[i] & ((1ULL << 56) - 1);
}

#endif
