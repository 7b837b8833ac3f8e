// SPDX-License-Identifier: MIT
/* A known live set, then a long churn of malloc/free pairs: load for the
 * tracer while its server is flooded with requests. */
#include <stdlib.h>

#include "workload.h"

#define KEEP   100
#define ROUNDS 3000000

static void *keep[KEEP];

int main(int argc, char **argv)
{
	volatile char *p;
	int i;

	wl_begin(argc, argv);
	for (i = 0; i < KEEP; i++)
		keep[i] = malloc(4096); /* @keep */
	for (i = 0; i < ROUNDS; i++) {
		p = malloc(32 + (i % 8) * 8); /* @churn */
		p[0] = 1;
		free((void *)p);
	}
	wl_end();
	return 0;
}
