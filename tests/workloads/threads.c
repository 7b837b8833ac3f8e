// SPDX-License-Identifier: MIT
/* Threads (4, or WL_THREADS) allocate at full speed: totals must be exact. */
#include <pthread.h>
#include <stdlib.h>

#include "workload.h"

#define MAX_THREADS 16
#define KEEP	    2000
#define CHURN	    5000

static void *kept[MAX_THREADS][KEEP];

static void *worker(void *arg)
{
	long t = (long)arg;
	void *p;
	int i;

	for (i = 0; i < KEEP; i++) {
		kept[t][i] = malloc(48); /* @thread_keep */
		p = malloc(24);		 /* @thread_churn */
		free(p);
	}
	for (i = 0; i < CHURN - KEEP; i++) {
		p = malloc(24); /* @thread_churn2 */
		free(p);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	const char *env = getenv("WL_THREADS");
	long t, threads = env ? atol(env) : 4;
	pthread_t th[MAX_THREADS];

	if (threads < 1 || threads > MAX_THREADS)
		return 2;
	wl_begin(argc, argv);
	for (t = 0; t < threads; t++)
		if (pthread_create(&th[t], NULL, worker, (void *)t))
			return 1;
	for (t = 0; t < threads; t++)
		pthread_join(th[t], NULL);
	wl_end();
	return 0;
}
