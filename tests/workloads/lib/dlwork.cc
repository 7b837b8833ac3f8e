// SPDX-License-Identifier: MIT
/*
 * A library of the dlopener workload's own, loaded with dlopen after the
 * tracer attached: C++ (its libstdc++ arrives with it) and C allocations
 * at known lines.
 */
#include <cstdlib>
#include <vector>

static char *kept_new;
static void *kept_malloc;
static std::vector<long> *kept_vec;

extern "C" void dlwork_alloc(void)
{
	kept_new = new char[777];	      /* @dl_new */
	kept_malloc = malloc(888);	      /* @dl_malloc */
	kept_vec = new std::vector<long>(50); /* @dl_vector */
}
