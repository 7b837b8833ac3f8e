// SPDX-License-Identifier: MIT
/*
 * Unit tests for the allocator table: every row decodes on the BPF side
 * to what it says, the probe-site registers follow the arguments, and the
 * runtime's libraries and headers are recognised.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <linux/types.h>

#include "allocsnoop.h"
#include "trace/allocators.h"
#include "trace/probesite.h"

struct find {
	const char *name;
	const struct as_alloc_fn *found;
	size_t n, required;
};

static int find_row(const struct as_alloc_fn *row, void *ctx)
{
	struct find *f = ctx;

	f->n++;
	f->required += row->required;
	if (f->name && strcmp(row->name, f->name) == 0)
		f->found = row;
	return 0;
}

static const struct as_alloc_fn *fn_of(const char *family, const char *name)
{
	const struct as_alloc_family *fam = allocators__family(family);
	struct find f = {.name = name};

	assert_non_null(fam);
	allocators__for_each_fn(fam, find_row, &f);
	if (!f.found)
		fail_msg("%s has no %s", family, name);
	return f.found;
}

/* Checks one row decodes on the BPF side to what it says. */
static int check_row(const struct as_alloc_fn *f, void *ctx)
{
	uint64_t c = allocators__cookie(f);

	(void)ctx;
	assert_int_equal(AS_COOKIE_ROLE(c), f->role);
	assert_int_equal(AS_COOKIE_SIZE_ARG(c), f->size_arg);
	assert_int_equal(AS_COOKIE_COUNT_ARG(c), f->count_arg);
	assert_int_equal(AS_COOKIE_PTR_ARG(c), f->ptr_arg);
	assert_int_equal(AS_COOKIE_OUT_ARG(c), f->out_arg);
	assert_int_equal(AS_COOKIE_FLAGS(c), f->flags);
	/* the BPF side reads arguments 1 to 6 */
	assert_true(f->size_arg <= 6 && f->count_arg <= 6 && f->ptr_arg <= 6 &&
		    f->out_arg <= 6 && f->align_arg <= 6);
	/* what each role needs to be counted */
	if (f->role == AS_ROLE_FREE || f->role == AS_ROLE_REALLOC ||
	    f->role == AS_ROLE_RESIZE)
		assert_true(f->ptr_arg > 0);
	if (f->role == AS_ROLE_ALLOC_OUT)
		assert_true(f->out_arg > 0);
	if (f->role != AS_ROLE_FREE)
		assert_true(f->size_arg > 0);
	return 0;
}

static void test_every_row_decodes(void **state)
{
	const struct as_alloc_family *fams;
	size_t nfams, i;
	struct find f;

	(void)state;
	fams = allocators__families(&nfams);
	assert_true(nfams >= 5);
	for (i = 0; i < nfams; i++) {
		assert_non_null(fams[i].prefixes[0]);
		assert_int_equal(
		    allocators__for_each_fn(&fams[i], check_row, NULL), 0);
		f = (struct find){0};
		allocators__for_each_fn(&fams[i], find_row, &f);
		assert_true(f.n <= AS_MAX_FNS);
		/* a family is recognised by at least one function */
		assert_true(f.required > 0);
	}
}

/* Each family's own API and C++'s operator new are one row each. */
static void test_family_rows(void **state)
{
	(void)state;
	assert_int_equal(fn_of("jemalloc", "mallocx")->size_arg, 1);
	assert_int_equal(fn_of("jemalloc", "sdallocx")->role, AS_ROLE_FREE);
	assert_int_equal(fn_of("jemalloc", "xallocx")->role, AS_ROLE_RESIZE);
	assert_int_equal(fn_of("mimalloc", "mi_malloc")->role, AS_ROLE_ALLOC);
	assert_int_equal(fn_of("mimalloc", "mi_calloc")->count_arg, 1);
	assert_int_equal(fn_of("tcmalloc", "tc_delete_sized")->ptr_arg, 1);
	assert_int_equal(fn_of("tcmalloc", "_Znwm")->size_arg, 1);
	assert_int_equal(fn_of("jemalloc", "_ZnwmSt11align_val_t")->align_arg,
			 2);
	assert_non_null(fn_of("static", "malloc"));
	/* CPython's: not hot (a call nested in one keeps its return), and
	 * marked so that pymalloc's blocks are told from malloc's */
	assert_true(fn_of("cpython", "PyObject_Malloc")->required);
	assert_true(fn_of("cpython", "PyObject_Free")->required);
	assert_int_equal(fn_of("cpython", "PyObject_Calloc")->count_arg, 1);
	assert_int_equal(fn_of("cpython", "PyMem_Realloc")->ptr_arg, 1);
	assert_int_equal(fn_of("cpython", "PyMem_Realloc")->size_arg, 2);
	assert_true(fn_of("cpython", "PyMem_Free")->flags & AS_FN_PYMALLOC);
	assert_false(fn_of("cpython", "PyObject_Realloc")->flags &
		     AS_FN_ZERO_FREES);
	assert_false(fn_of("cpython", "PyObject_Malloc")->hot);
	assert_false(fn_of("glibc", "malloc")->flags & AS_FN_PYMALLOC);
	assert_string_equal(allocators__family("jemalloc")->prefixes[2],
			    "_rjem_");
}

static void test_glibc_rows(void **state)
{
	(void)state;
	/* the registers each entry probe reads, as the probes had them */
	assert_int_equal(allocators__regs_read(fn_of("glibc", "malloc")),
			 AS_REG_RDI);
	assert_int_equal(allocators__regs_read(fn_of("glibc", "calloc")),
			 AS_REG_RDI | AS_REG_RSI);
	assert_int_equal(allocators__regs_read(fn_of("glibc", "reallocarray")),
			 AS_REG_RDI | AS_REG_RSI | AS_REG_RDX);
	assert_int_equal(
	    allocators__regs_read(fn_of("glibc", "posix_memalign")),
	    AS_REG_RDI | AS_REG_RSI | AS_REG_RDX);
	assert_int_equal(allocators__regs_read(fn_of("glibc", "memalign")),
			 AS_REG_RDI | AS_REG_RSI);
	assert_int_equal(allocators__regs_read(fn_of("glibc", "free")),
			 AS_REG_RDI);
	assert_true(allocators__is_free(fn_of("glibc", "free")));
	assert_false(allocators__is_free(fn_of("glibc", "realloc")));
	assert_true(fn_of("glibc", "realloc")->flags & AS_FN_ZERO_FREES);
	assert_true(fn_of("glibc", "malloc")->hot);
	assert_false(fn_of("glibc", "pvalloc")->hot);
}

static void test_family_of(void **state)
{
	(void)state;
	assert_string_equal(
	    allocators__family_of("/usr/lib/x86_64-linux-gnu/libc.so.6")->name,
	    "glibc");
	assert_string_equal(
	    allocators__family_of("/usr/lib/libjemalloc.so.2")->name,
	    "jemalloc");
	assert_string_equal(
	    allocators__family_of("libtcmalloc_minimal.so.4")->name,
	    "tcmalloc");
	assert_string_equal(allocators__family_of("/usr/bin/python3.11")->name,
			    "cpython");
	assert_string_equal(
	    allocators__family_of("/usr/lib/libpython3.12.so.1.0")->name,
	    "cpython");
	assert_null(allocators__family_of("/usr/lib/libcrypt.so.1"));
	assert_null(allocators__family_of(NULL));
	assert_null(allocators__family("nosuch"));
	assert_null(allocators__family("static")->libs);
}

static void test_runtime_files(void **state)
{
	(void)state;
	assert_true(allocators__is_runtime_module(
	    "/usr/lib/x86_64-linux-gnu/libc.so.6"));
	assert_true(allocators__is_runtime_module("/lib/libstdc++.so.6.0.30"));
	assert_true(
	    allocators__is_runtime_module("/lib64/ld-linux-x86-64.so.2"));
	assert_false(allocators__is_runtime_module("/usr/bin/libcalc"));
	assert_false(allocators__is_runtime_module(NULL));
	assert_true(allocators__is_runtime_source(
	    "/usr/include/c++/12/bits/stl_vector.h"));
	assert_true(allocators__is_runtime_source(
	    "/usr/lib/llvm-14/include/c++/v1/vector"));
	assert_false(allocators__is_runtime_source("/src/app/vector.cc"));
	assert_false(allocators__is_runtime_source(NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_every_row_decodes),
	    cmocka_unit_test(test_glibc_rows),
	    cmocka_unit_test(test_family_rows),
	    cmocka_unit_test(test_family_of),
	    cmocka_unit_test(test_runtime_files),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
