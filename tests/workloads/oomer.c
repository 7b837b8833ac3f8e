// SPDX-License-Identifier: MIT
/*
 * Runs out of memory: three small blocks kept, then 1 MiB blocks touched
 * page by page until the OOM killer ends it (in a memory cgroup with a
 * small limit, made by the test). Exit 4 if it never is.
 */
#include <stdlib.h>
#include <string.h>

#include "workload.h"

#define STEP (1 << 20)

int main(int argc, char **argv)
{
	static void *keep[3];
	long i;
	char *p;

	wl_begin(argc, argv);
	for (i = 0; i < 3; i++)
		keep[i] = malloc(4096); /* @keep */
	for (i = 0; i < 1 << 14; i++) {
		p = malloc(STEP); /* @hog */
		if (!p)
			return 5;
		memset(p, 1, STEP);
	}
	wl_end();
	return 4;
}
