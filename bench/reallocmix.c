// SPDX-License-Identifier: MIT
/*
 * reallocmix - a calloc/realloc/free mix.
 *
 *   reallocmix [--wait] [OPS]
 *
 * A ring of 64 live blocks; each op frees one slot, callocs 1..8 elements
 * of 8..64 bytes, then reallocs it to a size that grows or shrinks (fixed
 * LCG, so runs repeat exactly). One op = one calloc + one realloc + one
 * free.
 */
#include <stdint.h>

#include "bench.h"

#define RING 64

int main(int argc, char **argv)
{
	void *ring[RING] = {0};
	uint32_t x = 4242;
	struct bench b;
	size_t nmemb, size;
	long ops, i;
	char *p, *q;

	bench_init(&b, &argc, &argv);
	ops = bench_arg(argc, argv, 1, 1000000);
	bench_start(&b);
	for (i = 0; i < ops; i++) {
		x = x * 1664525u + 1013904223u;
		free(ring[i % RING]);
		nmemb = 1 + (x >> 8) % 8;
		size = 8 + (x >> 12) % 57;
		p = calloc(nmemb, size);
		if (!p)
			abort();
		/* Half grow (up to 4x), half shrink (down to a quarter). */
		q = realloc(p, (x >> 20) & 1
				   ? nmemb * size * (2 + (x >> 21) % 3)
				   : 1 + nmemb * size / 4);
		if (!q)
			abort();
		q[0] = (char)i;
		ring[i % RING] = q;
	}
	for (i = 0; i < RING; i++)
		free(ring[i]);
	bench_stop(&b, ops);
	bench_end(&b);
	return 0;
}
