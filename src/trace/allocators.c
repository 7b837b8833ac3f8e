// SPDX-License-Identifier: MIT
/* allocators.c - the allocator table and the C/C++ runtime's libraries. */
#include <string.h>

#include <linux/types.h>

#include "allocsnoop.h"
#include "trace/allocators.h"
#include "trace/probesite.h"

#define ALLOC	   AS_ROLE_ALLOC
#define REALLOC	   AS_ROLE_REALLOC
#define RESIZE	   AS_ROLE_RESIZE
#define ALLOC_OUT  AS_ROLE_ALLOC_OUT
#define FREE	   AS_ROLE_FREE
#define ZERO_FREES AS_FN_ZERO_FREES
#define N(a)	   (sizeof(a) / sizeof((a)[0]))

/*
 * The C and POSIX functions, which every family below exports. malloc,
 * calloc, realloc and free are required: a library without them is not an
 * allocator. The rest are optional, and several are aliases (glibc's
 * memalign is aligned_alloc), which the tracer attaches once.
 *
 *  name            role       size count ptr out align flags  req   hot
 */
static const struct as_alloc_fn std_fns[] = {
    {"malloc", ALLOC, 1, 0, 0, 0, 0, 0, true, true},
    {"calloc", ALLOC, 2, 1, 0, 0, 0, 0, true, true},
    {"realloc", REALLOC, 2, 0, 1, 0, 0, ZERO_FREES, true, true},
    {"free", FREE, 0, 0, 1, 0, 0, 0, true, false},
    {"reallocarray", REALLOC, 3, 2, 1, 0, 0, ZERO_FREES, false, false},
    {"posix_memalign", ALLOC_OUT, 3, 0, 0, 1, 2, 0, false, false},
    {"aligned_alloc", ALLOC, 2, 0, 0, 0, 1, 0, false, false},
    {"memalign", ALLOC, 2, 0, 0, 0, 1, 0, false, false},
    {"valloc", ALLOC, 1, 0, 0, 0, 0, 0, false, false},
    {"pvalloc", ALLOC, 1, 0, 0, 0, 0, 0, false, false},
    {"cfree", FREE, 0, 0, 1, 0, 0, 0, false, false},
};

/*
 * C++'s operator new and delete, for the allocators that define their
 * own (libstdc++'s end in malloc, which is probed already): plain,
 * nothrow, aligned (align_val_t), sized and array forms.
 */
static const struct as_alloc_fn cxx_fns[] = {
    {"_Znwm", ALLOC, 1, 0, 0, 0, 0, 0, false, true},
    {"_Znam", ALLOC, 1, 0, 0, 0, 0, 0, false, true},
    {"_ZnwmRKSt9nothrow_t", ALLOC, 1, 0, 0, 0, 0, 0, false, false},
    {"_ZnamRKSt9nothrow_t", ALLOC, 1, 0, 0, 0, 0, 0, false, false},
    {"_ZnwmSt11align_val_t", ALLOC, 1, 0, 0, 0, 2, 0, false, false},
    {"_ZnamSt11align_val_t", ALLOC, 1, 0, 0, 0, 2, 0, false, false},
    {"_ZnwmSt11align_val_tRKSt9nothrow_t", ALLOC, 1, 0, 0, 0, 2, 0, false,
     false},
    {"_ZnamSt11align_val_tRKSt9nothrow_t", ALLOC, 1, 0, 0, 0, 2, 0, false,
     false},
    {"_ZdlPv", FREE, 0, 0, 1, 0, 0, 0, false, false},
    {"_ZdaPv", FREE, 0, 0, 1, 0, 0, 0, false, false},
    {"_ZdlPvm", FREE, 0, 0, 1, 0, 0, 0, false, false},
    {"_ZdaPvm", FREE, 0, 0, 1, 0, 0, 0, false, false},
    {"_ZdlPvRKSt9nothrow_t", FREE, 0, 0, 1, 0, 0, 0, false, false},
    {"_ZdaPvRKSt9nothrow_t", FREE, 0, 0, 1, 0, 0, 0, false, false},
    {"_ZdlPvSt11align_val_t", FREE, 0, 0, 1, 0, 0, 0, false, false},
    {"_ZdaPvSt11align_val_t", FREE, 0, 0, 1, 0, 0, 0, false, false},
    {"_ZdlPvmSt11align_val_t", FREE, 0, 0, 1, 0, 0, 0, false, false},
    {"_ZdaPvmSt11align_val_t", FREE, 0, 0, 1, 0, 0, 0, false, false},
    {"_ZdlPvSt11align_val_tRKSt9nothrow_t", FREE, 0, 0, 1, 0, 0, 0, false,
     false},
    {"_ZdaPvSt11align_val_tRKSt9nothrow_t", FREE, 0, 0, 1, 0, 0, 0, false,
     false},
};

/* jemalloc's own API; flags (alignment, zeroing, arena) are not sizes. */
static const struct as_alloc_fn jemalloc_fns[] = {
    {"mallocx", ALLOC, 1, 0, 0, 0, 0, 0, false, true},
    {"rallocx", REALLOC, 2, 0, 1, 0, 0, 0, false, false},
    {"xallocx", RESIZE, 2, 0, 1, 0, 0, 0, false, false},
    {"sdallocx", FREE, 0, 0, 1, 0, 0, 0, false, true},
    {"dallocx", FREE, 0, 0, 1, 0, 0, 0, false, false},
};

/* gperftools' tc_ names (malloc and friends are aliases of most). */
static const struct as_alloc_fn tcmalloc_fns[] = {
    {"tc_malloc", ALLOC, 1, 0, 0, 0, 0, 0, false, true},
    {"tc_calloc", ALLOC, 2, 1, 0, 0, 0, 0, false, false},
    {"tc_realloc", REALLOC, 2, 0, 1, 0, 0, ZERO_FREES, false, false},
    {"tc_free", FREE, 0, 0, 1, 0, 0, 0, false, false},
    {"tc_free_sized", FREE, 0, 0, 1, 0, 0, 0, false, false},
    {"tc_cfree", FREE, 0, 0, 1, 0, 0, 0, false, false},
    {"tc_memalign", ALLOC, 2, 0, 0, 0, 1, 0, false, false},
    {"tc_posix_memalign", ALLOC_OUT, 3, 0, 0, 1, 2, 0, false, false},
    {"tc_valloc", ALLOC, 1, 0, 0, 0, 0, 0, false, false},
    {"tc_pvalloc", ALLOC, 1, 0, 0, 0, 0, 0, false, false},
    {"tc_new", ALLOC, 1, 0, 0, 0, 0, 0, false, false},
    {"tc_newarray", ALLOC, 1, 0, 0, 0, 0, 0, false, false},
    {"tc_new_nothrow", ALLOC, 1, 0, 0, 0, 0, 0, false, false},
    {"tc_newarray_nothrow", ALLOC, 1, 0, 0, 0, 0, 0, false, false},
    {"tc_new_aligned", ALLOC, 1, 0, 0, 0, 2, 0, false, false},
    {"tc_newarray_aligned", ALLOC, 1, 0, 0, 0, 2, 0, false, false},
    {"tc_delete", FREE, 0, 0, 1, 0, 0, 0, false, false},
    {"tc_deletearray", FREE, 0, 0, 1, 0, 0, 0, false, false},
    {"tc_delete_sized", FREE, 0, 0, 1, 0, 0, 0, false, false},
    {"tc_deletearray_sized", FREE, 0, 0, 1, 0, 0, 0, false, false},
    {"tc_delete_nothrow", FREE, 0, 0, 1, 0, 0, 0, false, false},
    {"tc_deletearray_nothrow", FREE, 0, 0, 1, 0, 0, 0, false, false},
    {"tc_delete_aligned", FREE, 0, 0, 1, 0, 0, 0, false, false},
    {"tc_deletearray_aligned", FREE, 0, 0, 1, 0, 0, 0, false, false},
};

/* mimalloc's own API (malloc and friends are its overrides). */
static const struct as_alloc_fn mimalloc_fns[] = {
    {"mi_malloc", ALLOC, 1, 0, 0, 0, 0, 0, false, true},
    {"mi_zalloc", ALLOC, 1, 0, 0, 0, 0, 0, false, false},
    {"mi_calloc", ALLOC, 2, 1, 0, 0, 0, 0, false, false},
    {"mi_mallocn", ALLOC, 2, 1, 0, 0, 0, 0, false, false},
    {"mi_malloc_small", ALLOC, 1, 0, 0, 0, 0, 0, false, false},
    {"mi_zalloc_small", ALLOC, 1, 0, 0, 0, 0, 0, false, false},
    {"mi_malloc_aligned", ALLOC, 1, 0, 0, 0, 2, 0, false, false},
    {"mi_zalloc_aligned", ALLOC, 1, 0, 0, 0, 2, 0, false, false},
    {"mi_calloc_aligned", ALLOC, 2, 1, 0, 0, 3, 0, false, false},
    {"mi_realloc", REALLOC, 2, 0, 1, 0, 0, ZERO_FREES, false, true},
    {"mi_reallocn", REALLOC, 3, 2, 1, 0, 0, ZERO_FREES, false, false},
    {"mi_realloc_aligned", REALLOC, 2, 0, 1, 0, 3, ZERO_FREES, false, false},
    {"mi_free", FREE, 0, 0, 1, 0, 0, 0, false, true},
    {"mi_free_size", FREE, 0, 0, 1, 0, 0, 0, false, false},
    {"mi_free_aligned", FREE, 0, 0, 1, 0, 0, 0, false, false},
    {"mi_free_size_aligned", FREE, 0, 0, 1, 0, 0, 0, false, false},
    {"mi_new", ALLOC, 1, 0, 0, 0, 0, 0, false, false},
    {"mi_new_nothrow", ALLOC, 1, 0, 0, 0, 0, 0, false, false},
    {"mi_new_aligned", ALLOC, 1, 0, 0, 0, 2, 0, false, false},
    {"mi_new_n", ALLOC, 2, 1, 0, 0, 0, 0, false, false},
};

/*
 * CPython's object and memory domains, whose calls every Python object
 * and buffer takes: pymalloc serves blocks of 1..512 bytes from its
 * arenas (mmap regions, charged to the line that made each), the rest
 * from malloc, nested. Debian's LTO build inlines them into most of the
 * interpreter's own callers, which no probe sees: these rows see the real
 * calls (extension modules, out-of-line sites). LTO also leaves an
 * out-of-line copy of the static functions behind them, which the
 * interpreter's inlined reallocs call (list growth, str resize) and every
 * call does while a hook is installed (tracemalloc, -X dev): the last four
 * rows, arguments after the allocator's context. Not hot: a call nested in
 * one of them keeps its return probe (alloc_call.h, block_kind). The Raw
 * domain is malloc itself.
 */
#define PY  AS_FN_PYMALLOC
#define LTO false, false, true
static const struct as_alloc_fn cpython_fns[] = {
    {"PyObject_Malloc", ALLOC, 1, 0, 0, 0, 0, PY, true, false},
    {"PyObject_Calloc", ALLOC, 2, 1, 0, 0, 0, PY, false, false},
    {"PyObject_Realloc", REALLOC, 2, 0, 1, 0, 0, PY, false, false},
    {"PyObject_Free", FREE, 0, 0, 1, 0, 0, PY, true, false},
    {"PyMem_Malloc", ALLOC, 1, 0, 0, 0, 0, PY, false, false},
    {"PyMem_Calloc", ALLOC, 2, 1, 0, 0, 0, PY, false, false},
    {"PyMem_Realloc", REALLOC, 2, 0, 1, 0, 0, PY, false, false},
    {"PyMem_Free", FREE, 0, 0, 1, 0, 0, PY, false, false},
    {"_PyObject_Malloc", ALLOC, 2, 0, 0, 0, 0, PY, LTO},
    {"_PyObject_Calloc", ALLOC, 3, 2, 0, 0, 0, PY, LTO},
    {"_PyObject_Realloc", REALLOC, 3, 0, 2, 0, 0, PY, LTO},
    {"_PyObject_Free", FREE, 0, 0, 2, 0, 0, PY, LTO},
};

#define SET(a)                                                                 \
	{                                                                      \
		a, N(a)                                                        \
	}

static const char *const no_prefix[] = {"", NULL};
/* jemalloc built with a prefix: je_ (--with-jemalloc-prefix), or Rust's
 * tikv-jemallocator (_rjem_) */
static const char *const jemalloc_prefixes[] = {"", "je_", "_rjem_", NULL};
static const char *const glibc_libs[] = {"libc.so", NULL};
static const char *const jemalloc_libs[] = {"libjemalloc.so", NULL};
static const char *const tcmalloc_libs[] = {"libtcmalloc", NULL};
static const char *const mimalloc_libs[] = {"libmimalloc.so", NULL};
/* the interpreter with libpython linked in (Debian's, pyenv's), or the
 * shared libpython of the others */
static const char *const cpython_libs[] = {"libpython3.", "python3.", NULL};

static const struct as_alloc_family families[] = {
    {"glibc", glibc_libs, no_prefix, {SET(std_fns)}},
    {"jemalloc",
     jemalloc_libs,
     jemalloc_prefixes,
     {SET(std_fns), SET(jemalloc_fns), SET(cxx_fns)}},
    {"tcmalloc",
     tcmalloc_libs,
     no_prefix,
     {SET(std_fns), SET(tcmalloc_fns), SET(cxx_fns)}},
    {"mimalloc",
     mimalloc_libs,
     no_prefix,
     {SET(std_fns), SET(mimalloc_fns), SET(cxx_fns)}},
    {"cpython", cpython_libs, no_prefix, {SET(cpython_fns)}},
    /* a static binary's own malloc (glibc or musl static), and its C++
     * runtime's operator new, which ends in that malloc */
    {"static", NULL, no_prefix, {SET(std_fns)}},
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

int allocators__for_each_fn(const struct as_alloc_family *fam,
			    int (*fn)(const struct as_alloc_fn *row, void *ctx),
			    void *ctx)
{
	size_t i, j;
	int ret;

	for (i = 0; i < AS_MAX_SETS; i++)
		for (j = 0; j < fam->sets[i].n; j++) {
			ret = fn(&fam->sets[i].fns[j], ctx);
			if (ret)
				return ret;
		}
	return 0;
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
