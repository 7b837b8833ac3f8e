// SPDX-License-Identifier: MIT
/* Unit tests for the model: builders, dedup, and the allocation site. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "profile/model.h"

static void test_builders_dedup(void **state)
{
	struct as_snapshot *s = snapshot__new();

	(void)state;
	assert_int_equal(snapshot__add_module(s, "/a", "ab", 0x1000, 0x2000, 0),
			 0);
	/* same file mapped elsewhere (another process): another module */
	assert_int_equal(snapshot__add_module(s, "/a", "ab", 0x5000, 0x6000, 0),
			 1);
	assert_int_equal(snapshot__add_module(s, "/a", "ab", 0x1000, 0x2000, 0),
			 0);
	assert_int_equal(snapshot__add_location(s, 0x1010, 0, 0x10), 0);
	assert_int_equal(snapshot__add_location(s, 0x1010, 0, 0x10), 0);
	assert_int_equal(snapshot__new_location(s, 0x1010, 0, 0x10), 1);
	assert_int_equal(snapshot__add_process(s, 7, "x"), 0);
	assert_int_equal(snapshot__add_process(s, 7, "y"), 0);
	assert_string_equal(snapshot__find_process(s, 7)->comm, "x");
	assert_int_equal(snapshot__set_counter(s, "lost", 3), 0);
	assert_int_equal(snapshot__set_counter(s, "lost", 4), 0);
	assert_int_equal(snapshot__counter(s, "lost"), 4);
	assert_int_equal(s->ncounters, 1);
	snapshot__free(s);
}

/*
 * A stack: malloc in libc, an out-of-line template instantiation in the
 * program (all lines from libstdc++ headers), then the user's line with
 * header code inlined into it, then main.
 */
static void test_site_skips_runtime_and_its_headers(void **state)
{
	struct as_snapshot *s = snapshot__new();
	int libc, prog, l_malloc, l_tmpl, l_user, l_main;
	uint32_t locs[4];

	(void)state;
	libc = snapshot__add_module(s, "/lib/libc.so.6", NULL, 0, 0, 0);
	prog = snapshot__add_module(s, "/src/app", NULL, 0, 0, 0);
	l_malloc = snapshot__add_location(s, 0x100, libc, 0x100);
	l_tmpl = snapshot__add_location(s, 0x200, prog, 0x200);
	assert_int_equal(snapshot__add_line(s, l_tmpl, "_M_realloc_insert",
					    "/usr/include/c++/12/bits/"
					    "vector.tcc",
					    466),
			 0);
	l_user = snapshot__add_location(s, 0x300, prog, 0x300);
	assert_int_equal(snapshot__add_line(s, l_user, "allocate",
					    "/usr/include/c++/12/bits/"
					    "new_allocator.h",
					    137),
			 0);
	assert_int_equal(
	    snapshot__add_line(s, l_user, "load", "/src/app.cc", 42), 0);
	l_main = snapshot__add_location(s, 0x400, prog, 0x400);
	locs[0] = l_malloc;
	locs[1] = l_tmpl;
	locs[2] = l_user;
	locs[3] = l_main;
	assert_true(snapshot__add_sample(s, 1, locs, 4, 8, 1, 8, 1) >= 0);
	assert_int_equal(sample__site(s, &s->samples[0]), 2);
	assert_int_equal(location__site_line(&s->locations[l_user]), 1);
	assert_int_equal(location__site_line(&s->locations[l_tmpl]), 0);
	/* all in the runtime: the innermost frame */
	assert_true(snapshot__add_sample(s, 1, locs, 2, 8, 1, 8, 1) >= 0);
	assert_int_equal(sample__site(s, &s->samples[1]), 0);
	assert_true(snapshot__add_sample(s, 1, NULL, 0, 8, 1, 8, 1) >= 0);
	assert_int_equal(sample__site(s, &s->samples[2]), -1);
	snapshot__free(s);
}

/* Thousands of modules (a system-wide snapshot): each added once, found
 * again by all four of its fields, and not confused with near twins. */
static void test_many_modules(void **state)
{
	struct as_snapshot *s = snapshot__new();
	char path[32];
	int i;

	(void)state;
	for (i = 0; i < 5000; i++) {
		snprintf(path, sizeof(path), "/lib/m%d.so", i % 1000);
		assert_int_equal(
		    snapshot__add_module(s, path, i % 2 ? "ab" : NULL,
					 0x1000 * (uint64_t)i,
					 0x1000 * (uint64_t)i + 10, i % 3),
		    i);
	}
	for (i = 4999; i >= 0; i--) {
		snprintf(path, sizeof(path), "/lib/m%d.so", i % 1000);
		assert_int_equal(
		    snapshot__add_module(s, path, i % 2 ? "ab" : NULL,
					 0x1000 * (uint64_t)i, 0, i % 3),
		    i);
	}
	/* NULL and "" build-ids, other offsets: other modules */
	assert_int_equal(
	    snapshot__add_module(s, "/lib/m1.so", "", 0x1000, 0, 1), 5000);
	assert_int_equal(
	    snapshot__add_module(s, "/lib/m1.so", "ab", 0x1000, 0, 2), 5001);
	assert_int_equal(s->nmodules, 5002);
	snapshot__free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_builders_dedup),
	    cmocka_unit_test(test_many_modules),
	    cmocka_unit_test(test_site_skips_runtime_and_its_headers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
