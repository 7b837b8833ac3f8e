// SPDX-License-Identifier: MIT
/*
 * Memory that grows, holds, then shrinks, for the memory timeline: ten
 * 1 MiB blocks 100 ms apart, held 600 ms, then freed 100 ms apart. Prints
 * "peak NS" (CLOCK_REALTIME of the allocation that reached the peak).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "workload.h"

#define N    10
#define STEP (1 << 20)

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts))
		;
}

int main(int argc, char **argv)
{
	static void *blocks[N];
	struct timespec peak;
	int i;

	wl_begin(argc, argv);
	for (i = 0; i < N; i++) {
		sleep_ms(100);
		blocks[i] = malloc(STEP); /* @grow */
		memset(blocks[i], 1, 64);
	}
	clock_gettime(CLOCK_REALTIME, &peak);
	sleep_ms(600);
	for (i = 0; i < N; i++) {
		free(blocks[i]);
		sleep_ms(100);
	}
	printf("peak %lld\n",
	       (long long)peak.tv_sec * 1000000000LL + peak.tv_nsec);
	wl_end();
	return 0;
}
