// SPDX-License-Identifier: MIT
/*
 * churn - malloc/free churn of mixed small sizes.
 *
 *   churn [--wait] [PAIRS [THREADS]]
 *
 * Each thread keeps a ring of 64 live blocks and replaces one per step:
 * one free and one malloc (a "pair") of 16..512 bytes, sizes from a fixed
 * LCG so every run allocates the same sequence. One op = one pair; with
 * several threads PAIRS is split between them and ns/op is wall time over
 * all pairs.
 */
#include <pthread.h>
#include <stdint.h>

#include "bench.h"

#define RING 64

struct job {
	long pairs;
	uint32_t seed;
};

static void *churn(void *arg)
{
	const struct job *j = arg;
	void *ring[RING] = {0};
	uint32_t x = j->seed;
	char *p;
	long i;

	for (i = 0; i < j->pairs; i++) {
		x = x * 1664525u + 1013904223u;
		free(ring[i % RING]);
		p = malloc(16 + (x >> 8) % 497);
		if (!p)
			abort();
		p[0] = (char)i; /* touch it: the block is really used */
		ring[i % RING] = p;
	}
	for (i = 0; i < RING; i++)
		free(ring[i]);
	return NULL;
}

int main(int argc, char **argv)
{
	struct job jobs[64];
	pthread_t tids[64];
	struct bench b;
	long pairs, nthreads, t;

	bench_init(&b, &argc, &argv);
	pairs = bench_arg(argc, argv, 1, 1000000);
	nthreads = bench_arg(argc, argv, 2, 1);
	if (nthreads < 1 || nthreads > 64) {
		fprintf(stderr, "churn: THREADS must be 1..64\n");
		return 2;
	}
	for (t = 0; t < nthreads; t++) {
		jobs[t].pairs = pairs / nthreads;
		jobs[t].seed = 12345u + (uint32_t)t;
	}
	bench_start(&b);
	if (nthreads == 1) {
		churn(&jobs[0]);
	} else {
		for (t = 0; t < nthreads; t++)
			if (pthread_create(&tids[t], NULL, churn, &jobs[t]))
				abort();
		for (t = 0; t < nthreads; t++)
			pthread_join(tids[t], NULL);
	}
	bench_stop(&b, jobs[0].pairs * nthreads);
	bench_end(&b);
	return 0;
}
