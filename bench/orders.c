// SPDX-License-Identifier: MIT
/*
 * orders - the demo's CSV load (demo/orders.c, compiled in unchanged) as a
 * timed benchmark.
 *
 *   orders [--wait] FILE ROWS
 *
 * Runs `orders load FILE` with ORDERS_PAUSE_MS=0; FILE comes from
 * `build/demo/orders gen FILE ROWS`. One op = one CSV row loaded (a
 * strdup, a malloc, a getline and an sscanf; the row array's realloc
 * amortized).
 */
#include "bench.h"

/* The demo's main becomes a function this benchmark times. */
#define main orders_main
#include "../demo/orders.c"
#undef main

int main(int argc, char **argv)
{
	struct bench b;
	char *load[4];
	long rows;
	int rc;

	bench_init(&b, &argc, &argv);
	if (argc != 3) {
		fprintf(stderr, "usage: orders [--wait] FILE ROWS\n");
		return 2;
	}
	rows = atol(argv[2]);
	setenv("ORDERS_PAUSE_MS", "0", 1);
	load[0] = "orders";
	load[1] = "load";
	load[2] = argv[1];
	load[3] = NULL;
	bench_start(&b);
	rc = orders_main(3, load);
	bench_stop(&b, rows);
	bench_end(&b);
	return rc;
}
