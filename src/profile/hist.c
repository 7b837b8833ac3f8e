// SPDX-License-Identifier: MIT
/* hist.c - sparse log2 histograms of microseconds. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "profile/hist.h"

#define COUNT_MASK ((1ULL << 56) - 1)

unsigned hist__bucket(uint64_t ns)
{
	uint64_t us = ns / 1000;
	unsigned b = 0;

	while (us > 1 && b < AS_HIST_BUCKETS - 1) {
		us >>= 1;
		b++;
	}
	return b;
}

uint64_t hist__bucket_start(unsigned b)
{
	return b ? (1ULL << b) * 1000 : 0;
}

static uint32_t find(const struct as_hist *h, unsigned b)
{
	uint32_t i;

	for (i = 0; i < h->n; i++)
		if (hist__bin_bucket(h, i) >= b)
			break;
	return i;
}

int hist__add(struct as_hist *h, unsigned b, uint64_t count)
{
	uint32_t i;
	uint64_t *p;

	if (b >= AS_HIST_BUCKETS)
		return -EINVAL;
	if (!count)
		return 0;
	i = find(h, b);
	if (i < h->n && hist__bin_bucket(h, i) == b) {
		h->bins[i] = (uint64_t)b << 56 |
			     ((hist__bin_count(h, i) + count) & COUNT_MASK);
		return 0;
	}
	p = realloc(h->bins, (h->n + 1) * sizeof(*p));
	if (!p)
		return -ENOMEM;
	memmove(&p[i + 1], &p[i], (h->n - i) * sizeof(*p));
	p[i] = (uint64_t)b << 56 | (count & COUNT_MASK);
	h->bins = p;
	h->n++;
	return 0;
}

int hist__merge(struct as_hist *dst, const struct as_hist *src)
{
	uint32_t i;
	int err = 0;

	for (i = 0; !err && i < src->n; i++)
		err = hist__add(dst, hist__bin_bucket(src, i),
				hist__bin_count(src, i));
	return err;
}

uint64_t hist__count(const struct as_hist *h, unsigned b)
{
	uint32_t i = find(h, b);

	return i < h->n && hist__bin_bucket(h, i) == b ? hist__bin_count(h, i)
						       : 0;
}

uint64_t hist__total(const struct as_hist *h)
{
	uint64_t t = 0;
	uint32_t i;

	for (i = 0; i < h->n; i++)
		t += hist__bin_count(h, i);
	return t;
}

int hist__copy(struct as_hist *dst, const struct as_hist *src)
{
	dst->n = 0;
	dst->bins = NULL;
	if (!src->n)
		return 0;
	dst->bins = malloc(src->n * sizeof(*dst->bins));
	if (!dst->bins)
		return -ENOMEM;
	memcpy(dst->bins, src->bins, src->n * sizeof(*dst->bins));
	dst->n = src->n;
	return 0;
}

void hist__free(struct as_hist *h)
{
	free(h->bins);
	h->bins = NULL;
	h->n = 0;
}
