// SPDX-License-Identifier: MIT
/* Unit tests for the model: builders, dedup, and the allocation site. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* Lines are copied, kept in order, and grow past any first capacity. */
static void test_lines(void **state)
{
	struct as_snapshot *s = snapshot__new();
	char fn[32], file[32] = "/src/a.c";
	int loc, other, i;

	(void)state;
	loc = snapshot__new_location(s, 0x10, -1, 0);
	other = snapshot__new_location(s, 0x20, -1, 0);
	assert_int_equal(snapshot__add_line(s, 2, "f", "/x.c", 1), -EINVAL);
	for (i = 0; i < 100; i++) {
		snprintf(fn, sizeof(fn), "inl%d", i);
		assert_int_equal(snapshot__add_line(s, loc, fn, file, i + 1),
				 0);
	}
	assert_int_equal(snapshot__add_line(s, other, NULL, NULL, 0), 0);
	/* the caller's buffers are its own */
	file[1] = 'X';
	assert_int_equal(s->locations[loc].nlines, 100);
	for (i = 0; i < 100; i++) {
		snprintf(fn, sizeof(fn), "inl%d", i);
		assert_string_equal(s->locations[loc].lines[i].function, fn);
		assert_string_equal(s->locations[loc].lines[i].file,
				    "/src/a.c");
		assert_int_equal(s->locations[loc].lines[i].line, i + 1);
	}
	assert_int_equal(s->locations[other].nlines, 1);
	assert_null(s->locations[other].lines[0].function);
	assert_null(s->locations[other].lines[0].file);
	assert_int_equal(s->locations[other].lines[0].line, 0);
	snapshot__free(s);
}

/* A sample keeps its own copy of the stack; an empty stack has none. */
static void test_samples(void **state)
{
	struct as_snapshot *s = snapshot__new();
	uint32_t locs[3] = {2, 1, 0};

	(void)state;
	assert_int_equal(snapshot__add_sample(s, 7, locs, 3, 100, 2, 300, 5),
			 0);
	assert_int_equal(snapshot__add_sample(s, 8, NULL, 0, 1, 1, 1, 1), 1);
	locs[0] = 9;
	assert_int_equal(s->nsamples, 2);
	assert_int_equal(s->samples[0].pid, 7);
	assert_int_equal(s->samples[0].nlocs, 3);
	assert_int_equal(s->samples[0].locs[0], 2);
	assert_int_equal(s->samples[0].locs[2], 0);
	assert_int_equal(s->samples[0].size, 100);
	assert_int_equal(s->samples[0].count, 2);
	assert_int_equal(s->samples[0].alloc_size, 300);
	assert_int_equal(s->samples[0].alloc_count, 5);
	assert_int_equal(s->samples[1].nlocs, 0);
	assert_null(s->samples[1].locs);
	snapshot__free(s);
}

static void test_processes_and_meta(void **state)
{
	struct as_snapshot *s = snapshot__new();
	const struct as_process *ps[3];

	(void)state;
	assert_int_equal(snapshot__add_process(s, 30, "c"), 0);
	assert_int_equal(snapshot__add_process(s, 10, NULL), 1);
	assert_int_equal(snapshot__add_process(s, 20, "b"), 2);
	/* a process without a name is shown as "?" */
	assert_string_equal(snapshot__find_process(s, 10)->comm, "?");
	assert_null(snapshot__find_process(s, 40));
	assert_int_equal(snapshot__counter(s, "never set"), 0);
	ps[0] = &s->processes[0];
	ps[1] = &s->processes[1];
	ps[2] = &s->processes[2];
	qsort(ps, 3, sizeof(ps[0]), process__ptr_cmp);
	assert_int_equal(ps[0]->pid, 10);
	assert_int_equal(ps[1]->pid, 20);
	assert_int_equal(ps[2]->pid, 30);

	assert_false(s->has_meta);
	assert_int_equal(snapshot__set_meta(s, "0.1", "host", "cmd"), 0);
	assert_true(s->has_meta);
	assert_string_equal(s->hostname, "host");
	/* set again: replaced, unknown fields NULL */
	assert_int_equal(snapshot__set_meta(s, "0.2", NULL, NULL), 0);
	assert_string_equal(s->tool_version, "0.2");
	assert_null(s->hostname);
	assert_null(s->command);
	snapshot__free(s);
}

/*
 * The site is the innermost frame outside the runtime: a frame without a
 * module (or with one out of range) is the program's, not the runtime's;
 * a runtime frame without lines is still the runtime's.
 */
static void test_site_unknown_modules(void **state)
{
	struct as_snapshot *s = snapshot__new();
	int libc, l_libc, l_none, l_bad;
	uint32_t locs[2];

	(void)state;
	libc = snapshot__add_module(s, "/lib/x86_64-linux-gnu/libc.so.6", "ab",
				    0, 0, 0);
	l_libc = snapshot__new_location(s, 0x100, libc, 0x100);
	l_none = snapshot__new_location(s, 0x200, -1, 0);
	l_bad = snapshot__new_location(s, 0x300, 0, 0);
	s->locations[l_bad].module = 7; /* names no module */
	locs[0] = l_libc;
	locs[1] = l_none;
	assert_true(snapshot__add_sample(s, 1, locs, 2, 8, 1, 8, 1) >= 0);
	assert_int_equal(sample__site(s, &s->samples[0]), 1);
	locs[1] = l_bad;
	assert_true(snapshot__add_sample(s, 1, locs, 2, 8, 1, 8, 1) >= 0);
	assert_int_equal(sample__site(s, &s->samples[1]), 1);
	assert_int_equal(location__site_line(&s->locations[l_none]), 0);
	snapshot__free(s);
}

/*
 * A stack with Python frames (module "[python]") is charged to the
 * innermost of them, past the interpreter's and an extension's frames;
 * one without keeps its native site.
 */
static void test_site_python_frame(void **state)
{
	struct as_snapshot *s = snapshot__new();
	int py, exe, libc, l_libc, l_exe, l_py1, l_py2;
	uint32_t locs[4];

	(void)state;
	libc = snapshot__add_module(s, "/lib/x86_64-linux-gnu/libc.so.6", "ab",
				    0, 0, 0);
	exe = snapshot__add_module(s, "/usr/bin/python3.11", "cd", 0, 0, 0);
	py = snapshot__add_module(s, AS_PYTHON_MODULE, NULL, 0, 0, 0);
	l_libc = snapshot__new_location(s, 0x100, libc, 0x100);
	l_exe = snapshot__new_location(s, 0x400100, exe, 0x100);
	l_py1 = snapshot__new_location(s, 0x7f0010, py, 3);
	l_py2 = snapshot__new_location(s, 0x7f0020, py, 9);
	assert_int_equal(snapshot__add_line(s, l_py1, "leaf", "/app/a.py", 4),
			 0);
	locs[0] = l_libc;
	locs[1] = l_exe;
	locs[2] = l_py1;
	locs[3] = l_py2;
	assert_true(snapshot__add_sample(s, 1, locs, 4, 8, 1, 8, 1) >= 0);
	assert_int_equal(sample__site(s, &s->samples[0]), 2);
	assert_true(location__is_python(s, &s->locations[l_py2]));
	assert_false(location__is_python(s, &s->locations[l_exe]));
	assert_true(snapshot__add_sample(s, 1, locs, 2, 8, 1, 8, 1) >= 0);
	assert_int_equal(sample__site(s, &s->samples[1]), 1);
	snapshot__free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_builders_dedup),
	    cmocka_unit_test(test_many_modules),
	    cmocka_unit_test(test_site_skips_runtime_and_its_headers),
	    cmocka_unit_test(test_lines),
	    cmocka_unit_test(test_samples),
	    cmocka_unit_test(test_processes_and_meta),
	    cmocka_unit_test(test_site_unknown_modules),
	    cmocka_unit_test(test_site_python_frame),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
