// SPDX-License-Identifier: MIT
/*
 * stacks - many distinct live stacks, to time the tracer's report.
 *
 *   stacks [--wait] [DEPTH]
 *
 * Allocation i is made at the bottom of a recursion DEPTH (default 17)
 * deep that goes through f0 or f1 for each bit of i, so the 2^DEPTH
 * allocations (131072) all have different call stacks. Every block stays
 * live; with --wait the program then waits, so the tracer's report on
 * all those stacks can be timed. One op = one allocation, recursion
 * included.
 */
#include "bench.h"

static void *descend(unsigned i, unsigned d, unsigned depth);

/* noinline and a use after the call: every level stays a real frame. */
__attribute__((noinline)) static void *leaf(unsigned i)
{
	char *p = malloc(16 + (i & 15));

	if (!p)
		abort();
	p[0] = (char)i;
	__asm__ volatile("" : : "r"(p) : "memory");
	return p;
}

__attribute__((noinline)) static void *f0(unsigned i, unsigned d,
					  unsigned depth)
{
	void *p = descend(i, d, depth);

	__asm__ volatile("" : : "r"(p) : "memory");
	return p;
}

__attribute__((noinline)) static void *f1(unsigned i, unsigned d,
					  unsigned depth)
{
	void *p = descend(i, d, depth);

	__asm__ volatile("" : : "r"(p) : "memory");
	return p;
}

static void *descend(unsigned i, unsigned d, unsigned depth)
{
	if (d == depth)
		return leaf(i);
	return (i >> d) & 1 ? f1(i, d + 1, depth) : f0(i, d + 1, depth);
}

int main(int argc, char **argv)
{
	struct bench b;
	unsigned depth, n, i;
	void **blocks;

	bench_init(&b, &argc, &argv);
	depth = (unsigned)bench_arg(argc, argv, 1, 17);
	if (depth < 1 || depth > 24) {
		fprintf(stderr, "stacks: DEPTH must be 1..24\n");
		return 2;
	}
	n = 1u << depth;
	blocks = malloc(n * sizeof(*blocks));
	if (!blocks)
		abort();
	bench_start(&b);
	for (i = 0; i < n; i++)
		blocks[i] = descend(i, 0, depth);
	bench_stop(&b, n);
	bench_end(&b);
	/* The blocks stay live to the end on purpose: they are the load. */
	return blocks[0] ? 0 : 1;
}
