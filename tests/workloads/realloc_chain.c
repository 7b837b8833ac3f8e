// SPDX-License-Identifier: MIT
/* realloc moves a block between lines; realloc(p, 0) frees; a failed
 * realloc leaves the block live. */
#include <stdint.h>
#include <stdlib.h>

#include "workload.h"

static void *keep[4];

static void chain(void)
{
	void *p, *q, *r;

	p = malloc(100);     /* @chain_malloc */
	p = realloc(p, 200); /* @chain_grow */
	p = realloc(p, 50);  /* @chain_shrink */
	keep[0] = p;
	q = malloc(10);	   /* @zero_base */
	q = realloc(q, 0); /* @zero_free */
	keep[1] = q;
	r = malloc(30);			 /* @fail_base */
	if (realloc(r, SIZE_MAX - 4096)) /* @fail_realloc */
		abort();
	keep[2] = r;
}

int main(int argc, char **argv)
{
	wl_begin(argc, argv);
	chain();
	wl_end();
	return 0;
}
