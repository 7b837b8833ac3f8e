// SPDX-License-Identifier: MIT
/* allocators.c - the allocator table and the C/C++ runtime's libraries. */
#include <string.h>

#include <linux/types.h>

#include "allocsnoop.h"
#include "trace/allocators.h"
#include "trace/probesite.h"

#define ALLOC	  AS_ROLE_ALLOC
#define REALLOC	  AS_ROLE_REALLOC
#define ALLOC_OUT AS_ROLE_ALLOC_OUT
#define FREE	  AS_ROLE_FREE

/*
 * The C and POSIX functions, which every family below exports. malloc,
 * calloc, realloc and free are required: a library without them is not an
 * allocator. The rest are optional, and several are aliases in glibc
 * (memalign == aligned_alloc), which the tracer attaches once.
 *
 *  name            role       size count ptr out align flags  req   hot
 */
static const struct as_alloc_fn std_fns[] = {
    {"malloc", ALLOC, 1, 0, 0, 0, 0, 0, true, true},
    {"calloc", ALLOC, 2, 1, 0, 0, 0, 0, true, true},
    {"realloc", REALLOC, 2, 0, 1, 0, 0, AS_FN_ZERO_FREES, true, true},
    {"free", FREE, 0, 0, 1, 0, 0, 0, true, false},
    {"reallocarray", REALLOC, 3, 2, 1, 0, 0, 0, false, false},
    {"posix_memalign", ALLOC_OUT, 3, 0, 0, 1, 2, 0, false, false},
    {"aligned_alloc", ALLOC, 2, 0, 0, 0, 1, 0, false, false},
    {"memalign", ALLOC, 2, 0, 0, 0, 1, 0, false, false},
    {"valloc", ALLOC, 1, 0, 0, 0, 0, 0, false, false},
    {"pvalloc", ALLOC, 1, 0, 0, 0, 0, 0, false, false},
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const char *const no_prefix[] = {"", NULL};
static const char *const glibc_libs[] = {"libc.so", NULL};
static const char *const jemalloc_libs[] = {"libjemalloc.so", NULL};
static const char *const tcmalloc_libs[] = {"libtcmalloc", NULL};
static const char *const mimalloc_libs[] = {"libmimalloc.so", NULL};

static const struct as_alloc_family families[] = {
    {"glibc", glibc_libs, no_prefix, std_fns, N(std_fns)},
    {"jemalloc", jemalloc_libs, no_prefix, std_fns, N(std_fns)},
    {"tcmalloc", tcmalloc_libs, no_prefix, std_fns, N(std_fns)},
    {"mimalloc", mimalloc_libs, no_prefix, std_fns, N(std_fns)},
    {"static", NULL, no_prefix, std_fns, N(std_fns)},
};

/* The C/C++ runtime; libc's frames are stepped through too, its file is
 * the one the tracer found. */
static const struct as_runtime_lib runtime_libs[] = {
    {"libc.so", NULL},
    {"libc-", NULL},
    {"libstdc++.so", "libstdc++.so.6"},
    {"ld-linux", NULL},
    {"ld.so", NULL},
    {"libgcc_s.", "libgcc_s.so.1"},
    {"libc++.so", NULL},
    {"libc++abi.so", NULL},
};

const struct as_alloc_family *allocators__families(size_t *n)
{
	*n = N(families);
	return families;
}

static const char *base_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

static bool has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

const struct as_alloc_family *allocators__family(const char *name)
{
	size_t i;

	for (i = 0; i < N(families); i++)
		if (strcmp(families[i].name, name) == 0)
			return &families[i];
	return NULL;
}

const struct as_alloc_family *allocators__family_of(const char *path)
{
	const char *const *lib;
	size_t i;

	for (i = 0; path && i < N(families); i++)
		for (lib = families[i].libs; lib && *lib; lib++)
			if (has_prefix(base_of(path), *lib))
				return &families[i];
	return NULL;
}

uint64_t allocators__cookie(const struct as_alloc_fn *fn)
{
	return as_cookie(fn->role, fn->size_arg, fn->count_arg, fn->ptr_arg,
			 fn->out_arg, fn->flags);
}

uint32_t allocators__regs_read(const struct as_alloc_fn *fn)
{
	/* the SysV x86-64 argument registers, in order */
	static const uint32_t regs[] = {AS_REG_RDI, AS_REG_RSI, AS_REG_RDX,
					AS_REG_RCX, AS_REG_R8,	AS_REG_R9};
	const uint8_t args[] = {fn->size_arg, fn->count_arg, fn->ptr_arg,
				fn->out_arg, fn->align_arg};
	uint32_t mask = 0;
	size_t i;

	for (i = 0; i < N(args); i++)
		if (args[i] >= 1 && args[i] <= N(regs))
			mask |= regs[args[i] - 1];
	return mask;
}

bool allocators__is_free(const struct as_alloc_fn *fn)
{
	return fn->role == AS_ROLE_FREE;
}

const struct as_runtime_lib *allocators__runtime_libs(size_t *n)
{
	*n = N(runtime_libs);
	return runtime_libs;
}

bool allocators__is_runtime_module(const char *path)
{
	size_t i;

	for (i = 0; path && i < N(runtime_libs); i++)
		if (has_prefix(base_of(path), runtime_libs[i].prefix))
			return true;
	return false;
}

bool allocators__is_runtime_source(const char *file)
{
	return file &&
	       (strstr(file, "/include/c++/") || strstr(file, "/c++/v1/"));
}
