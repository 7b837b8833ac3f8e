// SPDX-License-Identifier: MIT
/*
 * Blocks of known ages and lifetimes, for --older-than and --lifetimes:
 * old ones (and an mmap'd region) kept from the start, young ones (and
 * another region) kept from the end, 200
 * temporary ones freed at once, and two sets freed after known sleeps.
 */
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>

#include "workload.h"

#define NSHORT 200
#define RW     (PROT_READ | PROT_WRITE)
#define ANON   (MAP_PRIVATE | MAP_ANONYMOUS)

static void *keep_old[10], *keep_young[5], *mid[4], *lng[3];

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts))
		;
}

/* allocated, then freed after about @ms (0: at once) */
static void churn(void **v, int n, size_t size, long ms, int which)
{
	int i;

	for (i = 0; i < n; i++)
		v[i] = which ? malloc(size)  /* @long */
			     : malloc(size); /* @medium */
	sleep_ms(ms);
	for (i = 0; i < n; i++)
		free(v[i]);
}

int main(int argc, char **argv)
{
	void *p, *map_old, *map_young;
	int i;

	wl_begin(argc, argv);
	map_old = mmap(NULL, 5 << 12, RW, ANON, -1, 0); /* @old_map */
	for (i = 0; i < 10; i++)
		keep_old[i] = malloc(3000); /* @old */
	for (i = 0; i < NSHORT; i++) {
		p = malloc(64); /* @short */
		free(p);
	}
	churn(mid, 4, 128, 45, 0);
	churn(lng, 3, 256, 300, 1);
	sleep_ms(1500);
	for (i = 0; i < 5; i++)
		keep_young[i] = malloc(700);		  /* @young */
	map_young = mmap(NULL, 3 << 12, RW, ANON, -1, 0); /* @young_map */
	wl_end();
	munmap(map_old, 5 << 12);
	munmap(map_young, 3 << 12);
	return 0;
}
