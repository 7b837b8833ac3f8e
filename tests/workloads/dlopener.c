// SPDX-License-Identifier: MIT
/*
 * dlopens, after the tracer attached, a library of its own (libdlwork.so,
 * next to it) that allocates at known lines; then, when WL_PRIVATE_ALLOC
 * names a private copy of mimalloc, loads that too, waits for the tracer
 * to probe it, and allocates through it.
 */
#include <dlfcn.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "workload.h"

static void *kept;

static void own_library(void)
{
	char path[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 32);
	void (*work)(void);
	void *h;

	if (n <= 0)
		abort();
	path[n] = 0;
	strcpy(strrchr(path, '/') + 1, "libdlwork.so");
	h = dlopen(path, RTLD_NOW);
	if (!h)
		abort();
	work = (void (*)(void))dlsym(h, "dlwork_alloc");
	if (!work)
		abort();
	work();
}

static void private_allocator(const char *lib)
{
	void *(*mi_malloc)(size_t);
	void *h = dlopen(lib, RTLD_NOW | RTLD_LOCAL);

	if (!h)
		abort();
	mi_malloc = (void *(*)(size_t))dlsym(h, "mi_malloc");
	if (!mi_malloc)
		abort();
	/* the tracer probes it when the loader says a library came: give
	 * it the time a real program would not */
	sleep(1);
	kept = mi_malloc(999); /* @private_malloc */
}

int main(int argc, char **argv)
{
	const char *lib = getenv("WL_PRIVATE_ALLOC");

	wl_begin(argc, argv);
	own_library();
	if (lib)
		private_allocator(lib);
	wl_end();
	return 0;
}
