// SPDX-License-Identifier: MIT
/*
 * The accuracy workload for every allocator family: each C allocator
 * function, a realloc chain, threads, a churn and big blocks; built plain
 * (for LD_PRELOAD) and linked with jemalloc, tcmalloc or mimalloc, whose
 * own API it then calls too (FAMILY_JEMALLOC, _TCMALLOC, _MIMALLOC).
 */
#include <malloc.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if defined(FAMILY_JEMALLOC)
#include <jemalloc/jemalloc.h>
#elif defined(FAMILY_TCMALLOC_MINIMAL)
#include <gperftools/tcmalloc.h>
#elif defined(FAMILY_MIMALLOC)
#include <mimalloc.h>
#endif

#include "workload.h"

#define THREADS 4
#define KEEP	2000
#define CHURN	20000

static void *keep[64];
static void *kept[THREADS][KEEP];
static int nkeep;

static void c_functions(void)
{
	void *p;

	keep[nkeep++] = malloc(1000);	      /* @malloc */
	keep[nkeep++] = calloc(10, 20);	      /* @calloc */
	keep[nkeep++] = realloc(NULL, 300);   /* @realloc_null */
	if (posix_memalign(&p, 64, 400) == 0) /* @posix_memalign */
		keep[nkeep++] = p;
	keep[nkeep++] = aligned_alloc(128, 512); /* @aligned_alloc */
	keep[nkeep++] = memalign(256, 600);	 /* @memalign */
	keep[nkeep++] = valloc(700);		 /* @valloc */
	p = malloc(5000);			 /* @freed */
	free(p);
	free(NULL);
	p = malloc(SIZE_MAX - 4096); /* @failed */
	if (p)
		abort();
}

static void realloc_chain(void)
{
	void *p;

	p = malloc(100);     /* @chain_malloc */
	p = realloc(p, 200); /* @chain_grow */
	p = realloc(p, 50);  /* @chain_shrink */
	keep[nkeep++] = p;
}

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
	return NULL;
}

static void threads(void)
{
	pthread_t th[THREADS];
	long t;

	for (t = 0; t < THREADS; t++)
		if (pthread_create(&th[t], NULL, worker, (void *)t))
			abort();
	for (t = 0; t < THREADS; t++)
		pthread_join(th[t], NULL);
}

static void churn(void)
{
	void *p;
	int i;

	for (i = 0; i < CHURN; i++) {
		p = malloc(64 + (i % 4) * 16); /* @churn */
		free(p);
	}
}

static void big(void)
{
	void *p;

	keep[nkeep++] = malloc(64 << 20); /* @big_keep */
	memset(keep[nkeep - 1], 1, 4096);
	p = malloc(32 << 20); /* @big_freed */
	free(p);
}

/* The family's own API: each row of the allocator table it has. */
static void own_api(void)
{
	void *p;

#if defined(FAMILY_JEMALLOC)
	keep[nkeep++] = mallocx(333, 0); /* @mallocx */
	p = mallocx(100, 0);
	keep[nkeep++] = rallocx(p, 444, 0); /* @rallocx */
	p = malloc(4096);		    /* @xallocx_base */
	if (xallocx(p, 1000, 0, 0) >= 1000) /* @xallocx */
		keep[nkeep++] = p;
	p = mallocx(200, 0); /* @sdallocx_freed */
	sdallocx(p, 200, 0);
	p = mallocx(210, 0); /* @dallocx_freed */
	dallocx(p, 0);
#elif defined(FAMILY_TCMALLOC_MINIMAL)
	keep[nkeep++] = tc_malloc(111);	      /* @tc_malloc */
	keep[nkeep++] = tc_calloc(3, 37);     /* @tc_calloc */
	keep[nkeep++] = tc_memalign(64, 130); /* @tc_memalign */
	p = tc_malloc(140);		      /* @tc_free_sized_freed */
	tc_free_sized(p, 140);
	if (tc_posix_memalign(&p, 32, 150) == 0) /* @tc_posix_memalign */
		keep[nkeep++] = p;
#elif defined(FAMILY_MIMALLOC)
	keep[nkeep++] = mi_malloc(321);		    /* @mi_malloc */
	keep[nkeep++] = mi_calloc(3, 7);	    /* @mi_calloc */
	keep[nkeep++] = mi_mallocn(5, 8);	    /* @mi_mallocn */
	keep[nkeep++] = mi_zalloc(64);		    /* @mi_zalloc */
	keep[nkeep++] = mi_malloc_aligned(256, 64); /* @mi_malloc_aligned */
	p = mi_malloc(90);			    /* @mi_realloc_base */
	keep[nkeep++] = mi_realloc(p, 500);	    /* @mi_realloc */
	p = mi_malloc(77);			    /* @mi_free_size_freed */
	mi_free_size(p, 77);
#else
	(void)p;
#endif
}

int main(int argc, char **argv)
{
	wl_begin(argc, argv);
	c_functions();
	realloc_chain();
	threads();
	churn();
	big();
	own_api();
	wl_end();
	return 0;
}
