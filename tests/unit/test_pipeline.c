// SPDX-License-Identifier: MIT
/*
 * test_pipeline.c - the one view pipeline: the processes in view, formats
 * by name, and that show-, diff- and live-like runs give the rows (and
 * the output) that grouping and comparing by hand give.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "profile/model.h"
#include "view/format.h"
#include "view/group.h"
#include "view/pipeline.h"
#include "view/report.h"

#define T0 1714564805 /* 2024-05-01 12:00:05 UTC */

static uint32_t loc(struct as_snapshot *s, uint64_t addr, int mod,
		    const char *fn, const char *file, int64_t line)
{
	int i = snapshot__add_location(s, addr, mod, addr & 0xffff);

	assert_true(i >= 0);
	assert_int_equal(snapshot__add_line(s, (uint32_t)i, fn, file, line), 0);
	return (uint32_t)i;
}

static void sample(struct as_snapshot *s, uint32_t pid, uint32_t l,
		   int64_t size, int64_t count)
{
	assert_true(
	    snapshot__add_sample(s, pid, &l, 1, size, count, size, count) >= 0);
}

static void proc(struct as_snapshot *s, uint32_t pid, const char *comm,
		 int64_t current)
{
	int i = snapshot__add_process(s, pid, comm);

	assert_true(i >= 0);
	s->processes[i].current_bytes = current;
	s->processes[i].peak_bytes = current;
}

/*
 * Processes 10 and 20 with their facts; pid 30 has samples only (a
 * profile may carry samples of a process whose facts it lacks). @grow
 * makes the later of two moments.
 */
static struct as_snapshot *build(int grow)
{
	struct as_snapshot *s = snapshot__new();
	uint32_t a, b, c;
	int mod;

	assert_non_null(s);
	s->time = (struct timespec){T0 + grow, 0};
	s->start = (struct timespec){T0 - 10, 0};
	mod = snapshot__add_module(s, "/usr/bin/app", NULL, 0, 0, 0);
	a = loc(s, 0x401100, mod, "load", "/src/app.c", 42);
	b = loc(s, 0x401200, mod, "parse", "/src/csv.c", 7);
	c = loc(s, 0x401300, mod, "other", "/src/other.c", 3);
	sample(s, 10, a, 1000 + 500 * grow, 2 + grow);
	sample(s, 20, b, 300, 3);
	sample(s, 30, c, 64 * (1 + grow), 1);
	if (!grow)
		sample(s, 20, c, 5000, 1); /* freed by the later moment */
	proc(s, 10, "app", 2000);
	proc(s, 20, "app", 300);
	assert_int_equal(snapshot__set_counter(s, "lost_events", 0), 0);
	return s;
}

static size_t count(const struct as_snapshot *s, const uint32_t *pids,
		    size_t npids, uint32_t *single)
{
	const struct as_filter f = {.pids = pids, .npids = npids};

	*single = 77; /* always written */
	return pipeline__count_pids(s, &f, single);
}

/* One rule for show and diff: which processes are in view. */
static void test_count_pids(void **state)
{
	struct as_snapshot *s = build(0), *one = snapshot__new();
	uint32_t pid;

	(void)state;
	/* No --pid: the processes with facts. */
	assert_int_equal(count(s, NULL, 0, &pid), 2);
	assert_int_equal(pid, 0);
	assert_int_equal(pipeline__count_pids(s, NULL, &pid), 2);
	/* Every --pid naming the same process is one process. */
	assert_int_equal(count(s, (uint32_t[]){10}, 1, &pid), 1);
	assert_int_equal(pid, 10);
	assert_int_equal(count(s, (uint32_t[]){20, 20, 20}, 3, &pid), 1);
	assert_int_equal(pid, 20);
	assert_int_equal(count(s, (uint32_t[]){20, 10, 20}, 3, &pid), 2);
	assert_int_equal(pid, 0);
	/* A pid known by its samples only counts (show's rule). */
	assert_int_equal(count(s, (uint32_t[]){30}, 1, &pid), 1);
	assert_int_equal(pid, 30);
	/* A pid the snapshot does not know does not (diff's rule: OLD may
	 * hold a process that NEW has not). */
	assert_int_equal(count(s, (uint32_t[]){99, 10}, 2, &pid), 1);
	assert_int_equal(pid, 10);
	assert_int_equal(count(s, (uint32_t[]){99}, 1, &pid), 0);
	assert_int_equal(pid, 0);

	assert_int_equal(pipeline__missing_pid(s, NULL), 0);
	assert_int_equal(
	    pipeline__missing_pid(
		s, &(struct as_filter){.pids = (uint32_t[]){10, 30, 99, 98},
				       .npids = 4}),
	    99);
	assert_int_equal(
	    pipeline__missing_pid(
		s,
		&(struct as_filter){.pids = (uint32_t[]){30, 20}, .npids = 2}),
	    0);

	/* One process, or none (a profile without process facts). */
	assert_non_null(one);
	assert_int_equal(count(one, NULL, 0, &pid), 0);
	assert_int_equal(pid, 0);
	proc(one, 4242, "solo", 1);
	assert_int_equal(count(one, NULL, 0, &pid), 1);
	assert_int_equal(pid, 4242);
	snapshot__free(one);
	snapshot__free(s);
}

/* Formats are found by name; an unknown name is not one. */
static void test_format_by_name(void **state)
{
	const struct as_format *f;
	char names[64];

	(void)state;
	for (f = as_formats; f->name; f++)
		assert_ptr_equal(format__find(f->name), f);
	assert_ptr_equal(format__find("json")->print, report__json);
	assert_null(format__find("xml"));
	assert_null(format__find("JSON"));
	assert_null(format__find(""));
	assert_string_equal(format__names(names, sizeof(names)),
			    "text, json or folded");
}

static void assert_same_rows(const struct as_stats *a, const struct as_stats *b)
{
	size_t i;

	assert_non_null(a);
	assert_non_null(b);
	assert_int_equal(a->n, b->n);
	for (i = 0; i < a->n; i++) {
		assert_string_equal(a->rows[i].key, b->rows[i].key);
		assert_string_equal(a->rows[i].name, b->rows[i].name);
		assert_int_equal(a->rows[i].pid, b->rows[i].pid);
		assert_int_equal(a->rows[i].size, b->rows[i].size);
		assert_int_equal(a->rows[i].size_diff, b->rows[i].size_diff);
		assert_int_equal(a->rows[i].count, b->rows[i].count);
		assert_int_equal(a->rows[i].count_diff, b->rows[i].count_diff);
		assert_int_equal(a->rows[i].alloc_size, b->rows[i].alloc_size);
	}
}

/* stats__group + stats__compare by hand. */
static struct as_stats *by_hand(const struct as_snapshot *now,
				const struct as_snapshot *prev,
				const struct as_group_opts *go)
{
	struct as_stats *a = NULL, *b = NULL, *c = NULL;

	assert_int_equal(stats__group(now, go, &a), 0);
	if (prev)
		assert_int_equal(stats__group(prev, go, &b), 0);
	assert_int_equal(stats__compare(a, b, &c), 0);
	stats__free(a);
	stats__free(b);
	return c;
}

static void test_rows_like_by_hand(void **state)
{
	struct as_snapshot *now = build(1), *prev = build(0);
	const uint32_t pids[] = {10, 30};
	struct as_filter f = {.pids = pids, .npids = 2, .min_size = 100};
	struct as_view v = {.group_by = AS_GROUP_LINENO, .filter = &f};
	struct as_view_run run = {.now = now, .per_process = true};
	struct as_group_opts go = {
	    .by = AS_GROUP_LINENO, .per_process = true, .filter = &f};
	struct as_stats *rows, *kept, *want, *grouped;

	(void)state;
	/* show-like: one snapshot, per process, filtered */
	assert_int_equal(pipeline__rows(&v, &run, NULL, &rows), 0);
	want = by_hand(now, NULL, &go);
	assert_int_equal(rows->n, 2); /* pid 30's 128 B row; not pid 20 */
	assert_same_rows(rows, want);
	stats__free(rows);
	stats__free(want);

	/* diff-like: two snapshots, keys without the pid */
	f = (struct as_filter){0};
	v.group_by = go.by = AS_GROUP_FUNCTION;
	run = (struct as_view_run){.now = now, .prev = prev};
	go.per_process = false;
	assert_int_equal(pipeline__rows(&v, &run, &kept, &rows), 0);
	want = by_hand(now, prev, &go);
	assert_same_rows(rows, want);
	/* "other" was freed: a row with its size gone */
	assert_int_equal(rows->rows[0].size_diff, -5000 + 64);
	assert_int_equal(stats__group(now, &go, &grouped), 0);
	assert_same_rows(kept, grouped);
	stats__free(rows);

	/* live-like: the previous report's grouping kept and handed back,
	 * not regrouped: the same rows */
	stats__free(grouped);
	assert_int_equal(stats__group(prev, &go, &grouped), 0);
	run.prev_stats = grouped;
	assert_int_equal(pipeline__rows(&v, &run, NULL, &rows), 0);
	assert_same_rows(rows, want);
	stats__free(rows);
	stats__free(want);
	stats__free(grouped);
	stats__free(kept);
	snapshot__free(now);
	snapshot__free(prev);
}

static char *run_to_string(const struct as_view *v,
			   const struct as_view_run *run, int want_err,
			   struct as_stats **kept)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(pipeline__run(f, v, run, kept), want_err);
	assert_int_equal(fclose(f), 0);
	return buf;
}

static char *print_to_string(const struct as_format *fmt,
			     const struct as_report *r)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(fmt->print(f, r), 0);
	assert_int_equal(fclose(f), 0);
	return buf;
}

/* The printed report is the one built by hand, in each format. */
static void test_run_prints_the_report(void **state)
{
	struct as_snapshot *now = build(1), *prev = build(0);
	const uint32_t pids[] = {20};
	struct as_filter f = {.pids = pids, .npids = 1};
	struct as_view v = {
	    .group_by = AS_GROUP_LINENO, .top = 2, .filter = &f};
	struct as_view_run run = {.now = now,
				  .prev = prev,
				  .seq = 3,
				  .final = true,
				  .pid = 20,
				  .source = "test"};
	struct as_group_opts go = {.by = AS_GROUP_LINENO, .filter = &f};
	const struct as_format *fmt;
	struct as_report r;
	struct as_stats *kept;
	char *got, *want;

	(void)state;
	for (fmt = as_formats; fmt->name; fmt++) {
		v.format = fmt;
		r = (struct as_report){
		    .seq = 3,
		    .final = true,
		    .group_by = AS_GROUP_LINENO,
		    .top = 2,
		    .pid = 20,
		    .snap = now,
		    .prev = prev,
		    .stats = by_hand(now, prev, &go),
		    .filter = v.filter,
		};
		got = run_to_string(&v, &run, 0, NULL);
		want = print_to_string(fmt, &r);
		assert_string_equal(got, want);
		assert_true(strlen(got) > 0);
		free(got);
		free(want);
		stats__free((struct as_stats *)r.stats);
	}
	/* The filter reaches the report: the footer lists pid 20 only. */
	v.format = NULL; /* the default, text */
	got = run_to_string(&v, &run, 0, NULL);
	assert_non_null(strstr(got, "[ "));
	assert_non_null(strstr(got, "\npid 20 (app): "));
	assert_null(strstr(got, "pid 10 (app): "));
	free(got);

	/* A failing format: its error comes back, the grouping is kept. */
	v.format = format__find("folded");
	v.folded_value = "bytes";
	got = run_to_string(&v, &run, -EINVAL, &kept);
	assert_non_null(kept);
	assert_true(kept->n > 0);
	stats__free(kept);
	free(got);
	snapshot__free(now);
	snapshot__free(prev);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_count_pids),
	    cmocka_unit_test(test_format_by_name),
	    cmocka_unit_test(test_rows_like_by_hand),
	    cmocka_unit_test(test_run_prints_the_report),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
