// SPDX-License-Identifier: MIT
/*
 * Mixed sizes 256..65536 with exact totals the sampling tests know:
 * size(i) = 256 + i * 2654435761 % 65281. Kept blocks, a churn that keeps
 * one block in 64, realloc chains, and blocks far above the sample
 * interval that sampling must count exactly. No block is smaller: one
 * sample of a 16-byte block would stand for 4096 allocations, a jump no
 * count bound in the tests could absorb.
 */
#include <stdint.h>
#include <stdlib.h>

#include "workload.h"

#define NKEEP	24000
#define NCALLOC 24000
#define NCHURN	64000
#define NCHAIN	12000
#define NSTEPS	4

static size_t size_of(uint64_t i)
{
	return 256 + (size_t)(i * 2654435761u % 65281);
}

static void *keep[NKEEP], *zeroed[NCALLOC], *churned[NCHURN / 64],
    *chains[NCHAIN], *big, *big_edge;

static void keep_blocks(void)
{
	int i;

	for (i = 0; i < NKEEP; i++)
		keep[i] = malloc(size_of(i)); /* @keep */
}

static void keep_zeroed(void)
{
	int i;

	for (i = 0; i < NCALLOC; i++)
		zeroed[i] = calloc(1, size_of(i + NKEEP)); /* @calloc */
}

static void churn(void)
{
	void *p;
	int i;

	for (i = 0; i < NCHURN; i++) {
		p = malloc(size_of(i + 100000)); /* @churn */
		if (i % 64 == 0)
			churned[i / 64] = p;
		else
			free(p);
	}
}

static void grow(void)
{
	size_t base;
	void *p;
	int i, s;

	for (i = 0; i < NCHAIN; i++) {
		/* 256..16395 bytes, growing up to 4x */
		base = 256 +
		       (size_t)((uint64_t)(i + 200000) * 2654435761u % 16140);
		p = NULL;
		for (s = 1; s <= NSTEPS; s++)
			p = realloc(p, base * s); /* @grow */
		chains[i] = p;
	}
}

int main(int argc, char **argv)
{
	wl_begin(argc, argv);
	keep_blocks();
	keep_zeroed();
	churn();
	grow();
	big = malloc(64 << 20);	    /* @big */
	big_edge = malloc(2 << 20); /* @big_edge */
	wl_end();
	return keep[0] && zeroed[0] && churned[0] && chains[0] && big &&
		       big_edge
		   ? 0
		   : 1;
}
