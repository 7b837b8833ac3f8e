// SPDX-License-Identifier: MIT
/*
 * orders - the demo workload: a C analogue of the tracemalloc tutorial.
 *
 *   orders gen FILE N   write N random order records as CSV
 *   orders load FILE    load them into memory, add a discounted-amount
 *                       and an order-year column, keep the result
 *
 * `load` pauses between phases (ORDERS_PAUSE_MS, default 700) so that
 * allocsnoop's interval reports show each phase's growth.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct order {
	long id;
	char *customer;
	char *date; /* YYYY-MM-DD */
	double amount;
};

struct table {
	struct order *rows;
	size_t n, cap;
	double *discounted; /* column added after loading */
	int *year;	    /* column added after loading */
};

static void pause_phase(void)
{
	const char *ms = getenv("ORDERS_PAUSE_MS");

	usleep((ms ? atoi(ms) : 700) * 1000);
}

static int gen(const char *path, long n)
{
	static const char *const names[] = {"acme",	"globex", "initech",
					    "umbrella", "hooli",  "vandelay"};
	FILE *f = fopen(path, "w");
	long i;

	if (!f) {
		fprintf(stderr, "orders: cannot create %s: %s\n", path,
			strerror(errno));
		return 1;
	}
	srand(42);
	fprintf(f, "id,customer,date,amount\n");
	for (i = 0; i < n; i++)
		fprintf(f, "%ld,%s-%d,%d-%02d-%02d,%d.%02d\n", i,
			names[rand() % 6], rand() % 1000, 2015 + rand() % 10,
			1 + rand() % 12, 1 + rand() % 28, rand() % 5000,
			rand() % 100);
	return fclose(f) ? 1 : 0;
}

static int add_row(struct table *t, const char *line)
{
	char customer[128], date[16];
	struct order *o;
	double amount;
	long id;

	if (sscanf(line, "%ld,%127[^,],%15[^,],%lf", &id, customer, date,
		   &amount) != 4)
		return 0; /* the header, or a malformed line */
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 1024;
		t->rows = realloc(t->rows, t->cap * sizeof(*t->rows));
		if (!t->rows)
			return -1;
	}
	o = &t->rows[t->n++];
	o->id = id;
	o->customer = strdup(customer);
	o->date = malloc(strlen(date) + 1);
	if (!o->customer || !o->date)
		return -1;
	memcpy(o->date, date, strlen(date) + 1);
	o->amount = amount;
	return 0;
}

static int load_csv(struct table *t, const char *path)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t len = 0;
	int err = 0;

	if (!f) {
		fprintf(stderr, "orders: cannot open %s: %s\n", path,
			strerror(errno));
		return -1;
	}
	while (!err && getline(&line, &len, f) > 0)
		err = add_row(t, line);
	free(line);
	fclose(f);
	return err;
}

static int add_discount(struct table *t, double rate)
{
	size_t i;

	t->discounted = calloc(t->n, sizeof(*t->discounted));
	if (!t->discounted)
		return -1;
	for (i = 0; i < t->n; i++)
		t->discounted[i] = t->rows[i].amount * (1 - rate);
	return 0;
}

static int add_year(struct table *t)
{
	size_t i;

	t->year = malloc(t->n * sizeof(*t->year));
	if (!t->year)
		return -1;
	for (i = 0; i < t->n; i++)
		t->year[i] = atoi(t->rows[i].date);
	return 0;
}

int main(int argc, char **argv)
{
	struct table t = {0};

	if (argc == 4 && strcmp(argv[1], "gen") == 0)
		return gen(argv[2], atol(argv[3]));
	if (argc != 3 || strcmp(argv[1], "load") != 0) {
		fprintf(stderr,
			"usage: orders gen FILE N | orders load FILE\n");
		return 2;
	}
	if (load_csv(&t, argv[2]))
		return 1;
	pause_phase();
	if (add_discount(&t, 0.1))
		return 1;
	pause_phase();
	if (add_year(&t))
		return 1;
	pause_phase();
	printf("loaded %zu orders, first year %d, last discounted %.2f\n", t.n,
	       t.n ? t.year[0] : 0, t.n ? t.discounted[t.n - 1] : 0.0);
	return 0;
}
