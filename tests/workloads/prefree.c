// SPDX-License-Identifier: MIT
/* Frees of blocks allocated before the tracer attached: unmatched frees,
 * never subtracted from anyone. Needs --wait (attach between phases). */
#include <stdlib.h>

#include "workload.h"

#define OLD 100

static void *old[OLD];
static void *keep;

int main(int argc, char **argv)
{
	int i;

	for (i = 0; i < OLD; i++)
		old[i] = malloc(256); /* before attach: not seen */
	wl_begin(argc, argv);
	for (i = 0; i < OLD; i++)
		free(old[i]);
	keep = malloc(4242); /* @after_attach */
	wl_end();
	return 0;
}
