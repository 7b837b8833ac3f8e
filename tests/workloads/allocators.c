// SPDX-License-Identifier: MIT
/* Every probed allocator function once, with a distinct size, kept live. */
#include <malloc.h>
#include <stdint.h>
#include <stdlib.h>

#include "workload.h"

static void *keep[32];

static void allocate(void)
{
	void *p;
	int n = 0;

	keep[n++] = malloc(1000);	       /* @malloc */
	keep[n++] = calloc(10, 20);	       /* @calloc */
	keep[n++] = realloc(NULL, 300);	       /* @realloc_null */
	keep[n++] = reallocarray(NULL, 7, 11); /* @reallocarray */
	if (posix_memalign(&p, 64, 400) == 0)  /* @posix_memalign */
		keep[n++] = p;
	if (posix_memalign(&p, 16, 440) == 0) /* @posix_memalign_small */
		keep[n++] = p;
	keep[n++] = aligned_alloc(128, 512); /* @aligned_alloc */
	keep[n++] = memalign(256, 600);	     /* @memalign */
	keep[n++] = valloc(700);	     /* @valloc */
	keep[n++] = pvalloc(800);	     /* @pvalloc */
	p = malloc(5000);		     /* @freed */
	free(p);
	free(NULL);
	p = malloc(SIZE_MAX - 4096); /* @failed */
	if (p)
		abort();
}

int main(int argc, char **argv)
{
	wl_begin(argc, argv);
	allocate();
	wl_end();
	return 0;
}
