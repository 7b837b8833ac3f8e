// SPDX-License-Identifier: MIT
/*
 * Anonymous regions mapped at known lines, then cut (head, tail, middle),
 * remapped and unmapped; and a malloc that glibc serves with its own mmap,
 * which must count once, as a malloc. With --wait, step 1 follows "go"
 * and each next step a line on stdin; "step N" is printed after each.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "workload.h"

#define PG 4096UL

static char *a, *b;
static void *big;

/* mmap at the caller's line: the allocation site is where it is used */
#define MAP(pages)                                                             \
	mmap(NULL, (pages)*PG, PROT_READ | PROT_WRITE,                         \
	     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)

static void step(int n)
{
	switch (n) {
	case 1:
		a = MAP(64); /* @map_a */
		b = MAP(32); /* @map_b */
		if (a == MAP_FAILED || b == MAP_FAILED)
			abort();
		break;
	case 2:
		munmap(a, 8 * PG);	      /* head */
		munmap(a + 56 * PG, 8 * PG);  /* tail */
		munmap(a + 24 * PG, 16 * PG); /* middle */
		break;
	case 3:
		b = mremap(b, 32 * PG, 48 * PG, MREMAP_MAYMOVE); /* grown */
		if (b == MAP_FAILED)
			abort();
		big = malloc(64 << 20); /* @big_malloc */
		memset(big, 1, PG);
		break;
	case 4:
		munmap(a + 8 * PG, 16 * PG);
		munmap(a + 40 * PG, 16 * PG); /* the rest of a */
		free(big);
		break;
	}
}

int main(int argc, char **argv)
{
	char line[16];
	int n;

	wl_begin(argc, argv);
	for (n = 1; n <= 4; n++) {
		if (wl_waiting && n > 1 && read(0, line, sizeof(line)) <= 0)
			break;
		step(n);
		if (wl_waiting)
			printf("step %d\n", n);
	}
	wl_end();
	return 0;
}
