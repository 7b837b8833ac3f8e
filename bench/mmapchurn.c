// SPDX-License-Identifier: MIT
/*
 * mmapchurn - anonymous mmap + munmap pairs of 16 KiB: the cost of
 * tracing mmap'd regions (two system calls, their exits traced).
 *
 *   mmapchurn [--wait] [N]
 *
 * One op = one mmap + one munmap.
 */
#include <sys/mman.h>

#include "bench.h"

int main(int argc, char **argv)
{
	struct bench b;
	long n, i;
	void *p;

	bench_init(&b, &argc, &argv);
	n = bench_arg(argc, argv, 1, 100000);
	bench_start(&b);
	for (i = 0; i < n; i++) {
		p = mmap(NULL, 16384, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			return 1;
		munmap(p, 16384);
	}
	bench_stop(&b, n);
	bench_end(&b);
	return 0;
}
