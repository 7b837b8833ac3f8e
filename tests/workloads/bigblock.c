// SPDX-License-Identifier: MIT
/* Blocks big enough that glibc serves them with mmap. */
#include <stdlib.h>
#include <string.h>

#include "workload.h"

static void *keep;

static void big(void)
{
	void *p;

	keep = malloc(64 << 20); /* @big_keep */
	memset(keep, 1, 4096);
	p = malloc(32 << 20); /* @big_freed */
	free(p);
}

int main(int argc, char **argv)
{
	wl_begin(argc, argv);
	big();
	wl_end();
	return 0;
}
