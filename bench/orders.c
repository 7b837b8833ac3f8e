// SPDX-License-Identifier: MIT
/*
 * orders - the demo's CSV load (demo/orders.c, compiled in unchanged) as a
 * timed benchmark.
 *
 *   orders [--wait] FILE ROWS [PASSES]
 *
 * Does what `orders load FILE` does (load, then the discount and year
 * columns) PASSES times (default 1), freeing each pass's table before the
 * next, as a service reloading its data would; the last table stays live.
 * FILE comes from `build/demo/orders gen FILE ROWS`. One op = one CSV row
 * loaded (a strdup, a malloc, a getline and an sscanf; the row array's
 * realloc amortized).
 */
#include "bench.h"

/* The demo's functions, its main renamed out of the way. */
#define main orders_main
#include "../demo/orders.c"
#undef main

static void table_free(struct table *t)
{
	size_t i;

	for (i = 0; i < t->n; i++) {
		free(t->rows[i].customer);
		free(t->rows[i].date);
	}
	free(t->rows);
	free(t->discounted);
	free(t->year);
	memset(t, 0, sizeof(*t));
}

int main(int argc, char **argv)
{
	struct table t = {0};
	struct bench b;
	long rows, passes, p;

	bench_init(&b, &argc, &argv);
	if (argc != 3 && argc != 4) {
		fprintf(stderr, "usage: orders [--wait] FILE ROWS [PASSES]\n");
		return 2;
	}
	rows = atol(argv[2]);
	passes = bench_arg(argc, argv, 3, 1);
	if (passes < 1) {
		fprintf(stderr, "orders: PASSES must be at least 1\n");
		return 2;
	}
	bench_start(&b);
	for (p = 0; p < passes; p++) {
		table_free(&t);
		if (load_csv(&t, argv[1]) || add_discount(&t, 0.1) ||
		    add_year(&t))
			return 1;
	}
	bench_stop(&b, rows * passes);
	printf("loaded %zu orders %ld times\n", t.n, passes);
	bench_end(&b);
	return 0;
}
