// SPDX-License-Identifier: MIT
/*
 * Times malloc/free pairs: prints the mean nanoseconds a pair took, to
 * compare untraced, traced exactly and traced with --sample-bytes.
 * Usage: pair_cost [pairs [size]] (default 200000 pairs of 64 bytes).
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	long pairs = argc > 1 ? atol(argv[1]) : 200000, i;
	size_t size = argc > 2 ? (size_t)atol(argv[2]) : 64;
	volatile char *p;
	double t0, t1;

	if (pairs <= 0 || !size)
		return 2;
	t0 = now_ns();
	for (i = 0; i < pairs; i++) {
		p = malloc(size); /* @pair */
		p[0] = 1;
		free((void *)p);
	}
	t1 = now_ns();
	printf("%.0f ns per malloc/free pair (%ld pairs of %zu bytes)\n",
	       (t1 - t0) / pairs, pairs, size);
	return 0;
}
