// SPDX-License-Identifier: MIT
/* A churn loop: every block freed at once, so 0 live and exact totals. */
#include <stdlib.h>

#include "workload.h"

#define N 20000

static void churn(void)
{
	volatile char *p;
	int i;

	for (i = 0; i < N; i++) {
		p = malloc(64 + (i % 4) * 16); /* @churn */
		p[0] = 1;
		free((void *)p);
	}
}

int main(int argc, char **argv)
{
	wl_begin(argc, argv);
	churn();
	wl_end();
	return 0;
}
