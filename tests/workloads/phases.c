// SPDX-License-Identifier: MIT
/* Two phases with a pause between them, for snapshot diffs: phase 1
 * allocates, phase 2 allocates more at other lines and frees some. */
#include <stdlib.h>

#include "workload.h"

static void *a[100], *b[50];

static void phase1(void)
{
	int i;

	for (i = 0; i < 100; i++)
		a[i] = malloc(1000); /* @phase1_keep */
}

static void phase2(void)
{
	int i;

	for (i = 0; i < 50; i++)
		b[i] = calloc(4, 512); /* @phase2_new */
	for (i = 0; i < 40; i++)
		free(a[i]);
}

int main(int argc, char **argv)
{
	char line[16];

	wl_begin(argc, argv);
	phase1();
	if (wl_waiting) {
		printf("phase1\n");
		if (read(0, line, sizeof(line)) <= 0)
			return 3;
	}
	phase2();
	wl_end();
	return 0;
}
