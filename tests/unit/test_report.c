// SPDX-License-Identifier: MIT
/* test_report.c - text, JSON and folded output, sizes, escaping, options. */
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
#include <json-c/json.h>

#include "cli/view_opts.h"
#include "profile/model.h"
#include "view/escape.h"
#include "view/format.h"
#include "view/group.h"
#include "view/report.h"
#include "view/size.h"

#define T0 1714564805 /* 2024-05-01 12:00:05 UTC */

/* Captures what a writer prints. */
struct capture {
	char *buf;
	size_t len;
	FILE *f;
};

static void cap_open(struct capture *c)
{
	c->buf = NULL;
	c->len = 0;
	c->f = open_memstream(&c->buf, &c->len);
	assert_non_null(c->f);
}

static char *cap_close(struct capture *c)
{
	assert_int_equal(fclose(c->f), 0);
	return c->buf;
}

static void test_format_size(void **state)
{
	/* Expected strings from tracemalloc._format_size (Python 3.11). */
	static const struct {
		double v;
		const char *plain, *sign;
	} cases[] = {
	    {0, "0 B", "+0 B"},
	    {1, "1 B", "+1 B"},
	    {-1, "-1 B", "-1 B"},
	    {99, "99 B", "+99 B"},
	    {100, "100 B", "+100 B"},
	    {1023, "1023 B", "+1023 B"},
	    {1024, "1024 B", "+1024 B"},
	    {10239, "10239 B", "+10239 B"},
	    {10240, "10.0 KiB", "+10.0 KiB"},
	    {-10240, "-10.0 KiB", "-10.0 KiB"},
	    {10752, "10.5 KiB", "+10.5 KiB"},
	    {102348, "99.9 KiB", "+99.9 KiB"},
	    {102399, "100.0 KiB", "+100.0 KiB"},
	    {102400, "100 KiB", "+100 KiB"},
	    {300544, "294 KiB", "+294 KiB"},
	    {1048575, "1024 KiB", "+1024 KiB"},
	    {1048576, "1024 KiB", "+1024 KiB"},
	    {1200000, "1172 KiB", "+1172 KiB"},
	    {1258291, "1229 KiB", "+1229 KiB"},
	    {1572864, "1536 KiB", "+1536 KiB"},
	    {10485759, "10240 KiB", "+10240 KiB"},
	    {10485760, "10.0 MiB", "+10.0 MiB"},
	    {11324620, "10.8 MiB", "+10.8 MiB"},
	    {14260633, "13.6 MiB", "+13.6 MiB"},
	    {-11324620, "-10.8 MiB", "-10.8 MiB"},
	    {104805171, "99.9 MiB", "+99.9 MiB"},
	    {104857599, "100.0 MiB", "+100.0 MiB"},
	    {104857600, "100 MiB", "+100 MiB"},
	    {1073741824, "1024 MiB", "+1024 MiB"},
	    {10737418240.0, "10.0 GiB", "+10.0 GiB"},
	    {109951162777.0, "102 GiB", "+102 GiB"},
	    {1099511627776.0, "1024 GiB", "+1024 GiB"},
	    {10995116277760.0, "10.0 TiB", "+10.0 TiB"},
	    {1125899906842624.0, "1024 TiB", "+1024 TiB"},
	    {-1125899906842624.0, "-1024 TiB", "-1024 TiB"},
	    {11258999068426240.0, "10240 TiB", "+10240 TiB"},
	    {9223372036854775807.0, "8388608 TiB", "+8388608 TiB"},
	    {-9223372036854775808.0, "-8388608 TiB", "-8388608 TiB"},
	    {2560, "2560 B", "+2560 B"},
	    {-2560, "-2560 B", "-2560 B"},
	    {3.5, "4 B", "+4 B"},
	    {2.5, "2 B", "+2 B"},
	    {0.5, "0 B", "+0 B"},
	    {-0.4, "-0 B", "-0 B"},
	    {1500.75, "1501 B", "+1501 B"},
	    {10291, "10.0 KiB", "+10.0 KiB"},
	    {10291.2, "10.1 KiB", "+10.1 KiB"},
	    {1000.0 / 3, "333 B", "+333 B"},
	    {224694.85714285713, "219 KiB", "+219 KiB"},
	};
	char buf[32];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_string_equal(
		    size__format(buf, sizeof(buf), cases[i].v, false),
		    cases[i].plain);
		assert_string_equal(
		    size__format(buf, sizeof(buf), cases[i].v, true),
		    cases[i].sign);
	}
}

static char *escaped(const char *s)
{
	struct capture c;

	cap_open(&c);
	escape__fputs(c.f, s);
	return cap_close(&c);
}

static void test_escape(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
	    {"\x1b[31mred\x1b[0m", "\\x1b[31mred\\x1b[0m"},
	    {"tab\tnl\ncr\r", "tab\\tnl\\ncr\\r"},
	    {"del\x7f bell\a", "del\\x7f bell\\x07"},
	    {"a\xff"
	     "b",
	     "a\\xffb"},
	    {"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
	     "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"},
	    {"\xc3(", "\\xc3("},
	    {"end\xe2\x82", "end\\xe2\\x82"},
	    {"\xc0\xaf", "\\xc0\\xaf"},			  /* overlong '/' */
	    {"\xed\xa0\x80", "\\xed\\xa0\\x80"},	  /* surrogate */
	    {"\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80"}, /* > U+10FFFF */
	    {"csi\xc2\x9b"
	     "1m",
	     "csi\\xc2\\x9b1m"}, /* C1 control */
	    {"nbsp\xc2\xa0", "nbsp\xc2\xa0"},
	    {"", ""},
	};
	size_t i;
	char *s;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		s = escaped(cases[i].in);
		assert_string_equal(s, cases[i].out);
		free(s);
	}
	s = escaped(NULL);
	assert_string_equal(s, "");
	free(s);
}

static void test_utf8_len(void **state)
{
	(void)state;
	assert_int_equal(utf8__len("a"), 1);
	assert_int_equal(utf8__len("\xc3\xa9"), 2);
	assert_int_equal(utf8__len("\xe2\x82\xac"), 3);
	assert_int_equal(utf8__len("\xf0\x9f\x98\x80"), 4);
	assert_int_equal(utf8__len("\xf4\x8f\xbf\xbf"), 4);
	assert_int_equal(utf8__len("\x80"), 0);
	assert_int_equal(utf8__len("\xc1\xbf"), 0);
	assert_int_equal(utf8__len("\xe0\x9f\xbf"), 0);
	assert_int_equal(utf8__len("\xf0\x8f\xbf\xbf"), 0);
	assert_int_equal(utf8__len("\xed\xbf\xbf"), 0);
	assert_int_equal(utf8__len("\xf5\x80\x80\x80"), 0);
	assert_int_equal(utf8__len("\xe2\x82"), 0);
}

static void test_format_table(void **state)
{
	(void)state;
	assert_ptr_equal(format__find("text")->print, report__text);
	assert_ptr_equal(format__find("json")->print, report__json);
	assert_ptr_equal(format__find("folded")->print, report__folded);
	assert_null(format__find("xml"));
	assert_string_equal(as_formats[0].name, "text");
	assert_null(as_formats[3].name);
}

static uint32_t loc(struct as_snapshot *s, uint64_t addr, int mod, uint64_t rel,
		    const char *fn, const char *file, int64_t line)
{
	int i = snapshot__add_location(s, addr, mod, rel);

	assert_true(i >= 0);
	if (fn || file)
		assert_int_equal(
		    snapshot__add_line(s, (uint32_t)i, fn, file, line), 0);
	return (uint32_t)i;
}

static void sample(struct as_snapshot *s, uint32_t pid, const uint32_t *locs,
		   uint32_t n, int64_t size, int64_t count)
{
	assert_true(snapshot__add_sample(s, pid, locs, n, size, count, size * 2,
					 count * 2) >= 0);
}

static struct as_process *proc(struct as_snapshot *s, uint32_t pid,
			       const char *comm)
{
	int i = snapshot__add_process(s, pid, comm);

	assert_true(i >= 0);
	return &s->processes[i];
}

/* One program, two moments one second apart. */
static void build_pair(struct as_snapshot **now, struct as_snapshot **prev)
{
	struct as_snapshot *n = snapshot__new(), *p = snapshot__new();
	struct as_process *pr;
	uint32_t malloc_, load, parse, main_, other, gone;
	int orders, libc;

	assert_non_null(n);
	assert_non_null(p);
	n->time = (struct timespec){T0, 250000000};
	n->start = (struct timespec){T0 - 5, 0};
	p->time = (struct timespec){T0 - 1, 250000000};
	p->start = n->start;

	orders = snapshot__add_module(n, "/usr/bin/orders", "ab", 0, 0, 0);
	libc = snapshot__add_module(n, "/lib/x86_64-linux-gnu/libc.so.6", NULL,
				    0, 0, 0);
	malloc_ = loc(n, 0x7f0000001000, libc, 0x1000, "malloc+0x14", NULL, 0);
	load = loc(n, 0x401100, orders, 0x1100, "load_orders", "/src/orders.c",
		   42);
	parse =
	    loc(n, 0x401200, orders, 0x1200, "parse_field", "/src/csv.c", 118);
	main_ = loc(n, 0x401300, orders, 0x1300, "main", "/src/orders.c", 90);
	other =
	    loc(n, 0x401400, orders, 0x1400, "helper", "/other/orders.c", 5);
	sample(n, 4242, (uint32_t[]){malloc_, load, main_}, 3, 1200000, 4);
	sample(n, 4242, (uint32_t[]){parse, main_}, 2, 800000, 3);
	sample(n, 4242, (uint32_t[]){other, main_}, 2, 100, 1);
	pr = proc(n, 4242, "orders");
	pr->current_bytes = 11324620;
	pr->peak_bytes = 14260633;
	pr->alloc_count = 1000000;
	pr->free_count = 900000;
	assert_int_equal(snapshot__set_counter(n, "lost_events", 0), 0);
	assert_int_equal(snapshot__set_counter(n, "stack_errors", 0), 0);

	orders = snapshot__add_module(p, "/usr/bin/orders", "ab", 0, 0, 0);
	parse =
	    loc(p, 0x401200, orders, 0x1200, "parse_field", "/src/csv.c", 118);
	main_ = loc(p, 0x401300, orders, 0x1300, "main", "/src/orders.c", 90);
	gone = loc(p, 0x401500, orders, 0x1500, "free_me", "/src/gone.c", 7);
	sample(p, 4242, (uint32_t[]){parse, main_}, 2, 400000, 1);
	sample(p, 4242, (uint32_t[]){gone, main_}, 2, 2048, 2);
	pr = proc(p, 4242, "orders");
	pr->alloc_count = 879966;
	pr->free_count = 780020;
	*now = n;
	*prev = p;
}

/* Two processes, one with a hostile name; no previous report. */
static struct as_snapshot *build_system(void)
{
	struct as_snapshot *s = snapshot__new();
	struct as_process *pr;
	uint32_t malloc_, load, main_, nosym, semi;
	int orders, libc, libfoo;

	assert_non_null(s);
	s->time = (struct timespec){T0, 0};
	s->start = (struct timespec){T0 - 10, 0};
	orders = snapshot__add_module(s, "/usr/bin/orders", NULL, 0, 0, 0);
	libc = snapshot__add_module(s, "/lib/x86_64-linux-gnu/libc.so.6", NULL,
				    0, 0, 0);
	libfoo = snapshot__add_module(s, "/usr/lib/libfoo.so", NULL, 0, 0, 0);
	malloc_ = loc(s, 0x7f0000001000, libc, 0x1000, "malloc+0x14", NULL, 0);
	load = loc(s, 0x401100, orders, 0x1100, "read_line", "/src/io.h", 7);
	assert_int_equal(
	    snapshot__add_line(s, load, "load_orders", "/src/orders.c", 42), 0);
	main_ = loc(s, 0x401300, orders, 0x1300, "main", "/src/orders.c", 90);
	nosym = loc(s, 0x7f0000002000, libfoo, 0x2000, NULL, NULL, 0);
	semi = loc(s, 0x401600, orders, 0x1600, "a;b c", "/src/x;y.c", 3);
	sample(s, 7, (uint32_t[]){malloc_, load, main_}, 3, 4096, 2);
	sample(s, 9, (uint32_t[]){nosym}, 1, 100, 1);
	sample(s, 9, (uint32_t[]){semi}, 1, 1, 1);
	/* Allocated and freed: nothing live, only alloc_size/count; the row
	 * stays for its totals. */
	assert_true(snapshot__add_sample(s, 9, (uint32_t[]){main_}, 1, 0, 0, 50,
					 1) >= 0);

	pr = proc(s, 9, "ok");
	pr->current_bytes = 100;
	pr->peak_bytes = 100;
	pr->alloc_count = 10;
	pr = proc(s, 7, "evil\x1b[31m\xff");
	pr->current_bytes = 4096;
	pr->peak_bytes = 8192;
	pr->alloc_count = 50;
	pr->free_count = 20;
	pr->failed_count = 1;
	pr->unmatched_free_count = 2;
	pr->exited = true;
	pr->inexact = true;
	assert_int_equal(snapshot__set_counter(s, "lost_events", 3), 0);
	assert_int_equal(snapshot__set_counter(s, "stack_errors", 0), 0);
	assert_int_equal(snapshot__set_counter(s, "map_full", 5), 0);
	return s;
}

static struct as_stats *stats_of(const struct as_snapshot *now,
				 const struct as_snapshot *prev,
				 enum as_group_by by, bool per_process)
{
	struct as_group_opts o = {.by = by, .per_process = per_process};
	struct as_stats *a = NULL, *b = NULL, *c = NULL;

	assert_int_equal(stats__group(now, &o, &a), 0);
	if (prev)
		assert_int_equal(stats__group(prev, &o, &b), 0);
	assert_int_equal(stats__compare(a, b, &c), 0);
	stats__free(a);
	stats__free(b);
	return c;
}

static char *run(int (*print)(FILE *, const struct as_report *),
		 const struct as_report *r)
{
	struct capture c;

	cap_open(&c);
	assert_int_equal(print(c.f, r), 0);
	return cap_close(&c);
}

static void test_text_lineno(void **state)
{
	struct as_snapshot *now, *prev;
	struct as_stats *st;
	struct as_report r;
	char *out;

	(void)state;
	build_pair(&now, &prev);
	st = stats_of(now, prev, AS_GROUP_LINENO, false);
	r = (struct as_report){.seq = 2,
			       .group_by = AS_GROUP_LINENO,
			       .top = 3,
			       .pid = 4242,
			       .snap = now,
			       .prev = prev,
			       .stats = st};
	out = run(report__text, &r);
	assert_string_equal(
	    out, "[ 12:00:05 pid 4242 (orders) top 3 lines, change since "
		 "12:00:04 ]\n"
		 "orders.c:42 (load_orders): size=1172 KiB (+1172 KiB), "
		 "count=4 (+4), average=293 KiB\n"
		 "csv.c:118 (parse_field): size=781 KiB (+391 KiB), count=3 "
		 "(+2), average=260 KiB\n"
		 "gone.c:7 (free_me): size=0 B (-2048 B), count=0 (-2)\n"
		 "1 other: size=100 B (+100 B), count=1 (+1)\n"
		 "pid 4242 (orders): current=10.8 MiB peak=13.6 MiB  "
		 "allocs=120034/s frees=119980/s  failed=0 unmatched_frees=0  "
		 "lost=0\n");
	free(out);

	/* All rows: two orders.c files now show their full paths. */
	r.top = 0;
	out = run(report__text, &r);
	assert_string_equal(
	    out, "[ 12:00:05 pid 4242 (orders) all 4 lines, change since "
		 "12:00:04 ]\n"
		 "/src/orders.c:42 (load_orders): size=1172 KiB (+1172 KiB), "
		 "count=4 (+4), average=293 KiB\n"
		 "csv.c:118 (parse_field): size=781 KiB (+391 KiB), count=3 "
		 "(+2), average=260 KiB\n"
		 "gone.c:7 (free_me): size=0 B (-2048 B), count=0 (-2)\n"
		 "/other/orders.c:5 (helper): size=100 B (+100 B), count=1 "
		 "(+1), average=100 B\n"
		 "pid 4242 (orders): current=10.8 MiB peak=13.6 MiB  "
		 "allocs=120034/s frees=119980/s  failed=0 unmatched_frees=0  "
		 "lost=0\n");
	free(out);
	stats__free(st);

	/* Other groupings name their rows by file, function, module. */
	st = stats_of(now, prev, AS_GROUP_FILENAME, false);
	r = (struct as_report){.group_by = AS_GROUP_FILENAME,
			       .top = 2,
			       .snap = now,
			       .stats = st,
			       .final = true};
	out = run(report__text, &r);
	assert_string_equal(
	    out, "[ 12:00:05 all processes top 2 files, since 12:00:00 (final) "
		 "]\n"
		 "orders.c: size=1172 KiB (+1172 KiB), count=4 (+4), "
		 "average=293 KiB\n"
		 "csv.c: size=781 KiB (+391 KiB), count=3 (+2), average=260 "
		 "KiB\n"
		 "2 other: size=100 B (-1948 B), count=1 (-1)\n"
		 "pid 4242 (orders): current=10.8 MiB peak=13.6 MiB  "
		 "allocs=190476/s frees=171429/s  failed=0 unmatched_frees=0  "
		 "lost=0\n");
	free(out);
	stats__free(st);
	snapshot__free(now);
	snapshot__free(prev);
}

static void test_text_traceback(void **state)
{
	struct as_snapshot *s = build_system();
	struct as_stats *st = stats_of(s, NULL, AS_GROUP_TRACEBACK, true);
	struct as_report r = {.seq = 1,
			      .final = true,
			      .group_by = AS_GROUP_TRACEBACK,
			      .top = 0,
			      .system_wide = true,
			      .snap = s,
			      .stats = st};
	char *out;

	(void)state;
	out = run(report__text, &r);
	assert_string_equal(
	    out, "[ 12:00:05 all processes all 4 tracebacks, since 11:59:55 "
		 "(final) ]\n"
		 "[7 evil\\x1b[31m\\xff] io.h:7 (read_line): size=4096 B "
		 "(+4096 B), count=2 (+2), average=2048 B\n"
		 "    malloc+0x14  libc.so.6\n"
		 "    io.h:7 (read_line)  orders [inlined]\n"
		 "    orders.c:42 (load_orders)  orders\n"
		 "    orders.c:90 (main)  orders\n"
		 "[9 ok] libfoo.so+0x2000: size=100 B (+100 B), count=1 (+1), "
		 "average=100 B\n"
		 "    libfoo.so+0x2000\n"
		 "[9 ok] x;y.c:3 (a;b c): size=1 B (+1 B), count=1 (+1), "
		 "average=1 B\n"
		 "    x;y.c:3 (a;b c)  orders\n"
		 /* all freed again: shown for its totals, ordered last */
		 "[9 ok] orders.c:90 (main): size=0 B (+0 B), count=0 (+0)\n"
		 "    orders.c:90 (main)  orders\n"
		 "pid 7 (evil\\x1b[31m\\xff): current=4096 B peak=8192 B  "
		 "allocs=5/s frees=2/s  failed=1 unmatched_frees=2  exited  "
		 "inexact\n"
		 "pid 9 (ok): current=100 B peak=100 B  allocs=1/s frees=0/s  "
		 "failed=0 unmatched_frees=0\n"
		 "lost: lost_events=3 map_full=5\n");
	free(out);
	stats__free(st);

	/* Group by process: rows name the process itself. */
	st = stats_of(s, NULL, AS_GROUP_PROCESS, true);
	r = (struct as_report){.group_by = AS_GROUP_PROCESS,
			       .top = 1,
			       .system_wide = true,
			       .snap = s,
			       .stats = st};
	out = run(report__text, &r);
	assert_non_null(strstr(out, " top 1 processes, since 11:59:55 ]\n"
				    "pid 7 (evil\\x1b[31m\\xff): size=4096 B "
				    "(+4096 B), count=2 (+2), average=2048 B\n"
				    "1 other: size=101 B (+101 B), count=2 "
				    "(+2)\n"));
	free(out);
	stats__free(st);
	snapshot__free(s);
}

static json_object *get(json_object *o, const char *key)
{
	json_object *v = NULL;

	if (!json_object_object_get_ex(o, key, &v))
		fail_msg("no key '%s'", key);
	return v;
}

static void assert_jstr(json_object *o, const char *key, const char *want)
{
	json_object *v = get(o, key);

	if (!want) {
		assert_null(v);
		return;
	}
	assert_true(json_object_is_type(v, json_type_string));
	assert_string_equal(json_object_get_string(v), want);
}

static void assert_jint(json_object *o, const char *key, int64_t want)
{
	json_object *v = get(o, key);

	assert_true(json_object_is_type(v, json_type_int));
	assert_int_equal(json_object_get_int64(v), want);
}

static json_object *parse_line(const char *out)
{
	json_object *root;
	size_t len = strlen(out);

	/* One object on one line. */
	assert_true(len > 2);
	assert_int_equal(out[len - 1], '\n');
	assert_null(memchr(out, '\n', len - 1));
	root = json_tokener_parse(out);
	assert_non_null(root);
	return root;
}

static void test_json(void **state)
{
	struct as_snapshot *now, *prev;
	struct as_stats *st = NULL;
	struct as_report r;
	json_object *root, *p, *row, *lost, *top;
	char *out;
	int i;

	(void)state;
	build_pair(&now, &prev);
	st = stats_of(now, prev, AS_GROUP_LINENO, false);
	r = (struct as_report){.seq = 2,
			       .group_by = AS_GROUP_LINENO,
			       .top = 2,
			       .pid = 4242,
			       .snap = now,
			       .prev = prev,
			       .stats = st};
	out = run(report__json, &r);
	root = parse_line(out);
	assert_jstr(root, "type", "report");
	assert_jint(root, "seq", 2);
	assert_jstr(root, "time", "2024-05-01T12:00:05.250+00:00");
	assert_jstr(root, "since", "2024-05-01T12:00:04.250+00:00");
	assert_false(json_object_get_boolean(get(root, "final")));
	assert_true(json_object_is_type(get(root, "final"), json_type_boolean));
	assert_jstr(root, "group_by", "lineno");
	assert_int_equal(json_object_array_length(get(root, "processes")), 1);
	p = json_object_array_get_idx(get(root, "processes"), 0);
	assert_jint(p, "pid", 4242);
	assert_jstr(p, "comm", "orders");
	assert_jint(p, "current_bytes", 11324620);
	assert_jint(p, "peak_bytes", 14260633);
	assert_jint(p, "alloc_count", 1000000);
	assert_jint(p, "free_count", 900000);
	assert_jint(p, "failed_count", 0);
	assert_jint(p, "unmatched_free_count", 0);
	assert_false(json_object_get_boolean(get(p, "exited")));
	assert_false(json_object_get_boolean(get(p, "inexact")));
	lost = get(root, "lost");
	assert_int_equal(json_object_object_length(lost), 2);
	assert_jint(lost, "lost_events", 0);
	assert_jint(lost, "stack_errors", 0);
	assert_jint(root, "top_total", 4);
	top = get(root, "top");
	assert_int_equal(json_object_array_length(top), 2);
	row = json_object_array_get_idx(top, 0);
	assert_null(get(row, "pid"));
	assert_null(get(row, "comm"));
	assert_jstr(row, "function", "load_orders");
	assert_jstr(row, "file", "/src/orders.c");
	assert_jint(row, "line", 42);
	assert_jstr(row, "module", "/usr/bin/orders");
	assert_jint(row, "size", 1200000);
	assert_jint(row, "size_diff", 1200000);
	assert_jint(row, "count", 4);
	assert_jint(row, "count_diff", 4);
	assert_true(json_object_is_type(get(row, "average"), json_type_double));
	assert_true(json_object_get_double(get(row, "average")) == 300000.0);
	assert_jint(row, "alloc_size", 2400000);
	assert_jint(row, "alloc_count", 8);
	assert_false(json_object_object_get_ex(row, "stack", NULL));
	row = json_object_array_get_idx(top, 1);
	assert_jstr(row, "file", "/src/csv.c");
	assert_jint(row, "size_diff", 400000);
	assert_jint(row, "count_diff", 2);
	json_object_put(root);
	free(out);
	stats__free(st);

	/* A row only in the old snapshot: average 0. */
	st = stats_of(now, prev, AS_GROUP_FUNCTION, false);
	r.group_by = AS_GROUP_FUNCTION;
	r.top = 0;
	r.stats = st;
	out = run(report__json, &r);
	root = parse_line(out);
	assert_jstr(root, "group_by", "function");
	top = get(root, "top");
	assert_int_equal(json_object_array_length(top), 4);
	row = json_object_array_get_idx(top, 2);
	assert_jstr(row, "function", "free_me");
	assert_null(get(row, "file"));
	assert_jstr(row, "module", "/usr/bin/orders");
	assert_null(get(row, "line"));
	assert_jint(row, "size", 0);
	assert_jint(row, "size_diff", -2048);
	assert_true(json_object_get_double(get(row, "average")) == 0.0);
	json_object_put(root);
	free(out);
	stats__free(st);
	snapshot__free(now);
	snapshot__free(prev);

	/* Without debug info the row's function is the symbol alone. */
	now = snapshot__new();
	assert_non_null(now);
	i = snapshot__add_module(now, "/usr/lib/libfoo.so", NULL, 0, 0, 0);
	sample(now, 5,
	       (uint32_t[]){loc(now, 0x1c, i, 0x1c, "foo+0x1c", NULL, 0)}, 1,
	       4000, 1);
	sample(now, 5,
	       (uint32_t[]){loc(now, 0x5c, i, 0x5c, "foo+0x5c", NULL, 0)}, 1,
	       96, 1);
	st = stats_of(now, NULL, AS_GROUP_FUNCTION, false);
	r = (struct as_report){
	    .group_by = AS_GROUP_FUNCTION, .snap = now, .stats = st};
	out = run(report__json, &r);
	root = parse_line(out);
	row = json_object_array_get_idx(get(root, "top"), 0);
	assert_jint(root, "top_total", 1);
	assert_jstr(row, "function", "foo");
	assert_jstr(row, "module", "/usr/lib/libfoo.so");
	assert_jint(row, "size", 4096);
	json_object_put(root);
	free(out);
	stats__free(st);
	snapshot__free(now);
}

static void test_json_traceback(void **state)
{
	struct as_snapshot *s = build_system();
	struct as_stats *st = stats_of(s, NULL, AS_GROUP_TRACEBACK, true);
	struct as_report r = {.seq = 7,
			      .final = true,
			      .group_by = AS_GROUP_TRACEBACK,
			      .system_wide = true,
			      .snap = s,
			      .stats = st};
	json_object *root, *p, *row, *stack, *fr;
	char *out;

	(void)state;
	out = run(report__json, &r);
	/* Control characters escaped, the bad byte replaced. */
	assert_non_null(strstr(out, "\"evil\\u001b[31m\xef\xbf\xbd\""));
	root = parse_line(out);
	assert_true(json_object_get_boolean(get(root, "final")));
	assert_jstr(root, "since", "2024-05-01T11:59:55.000+00:00");
	p = json_object_array_get_idx(get(root, "processes"), 0);
	assert_jint(p, "pid", 7);
	assert_jstr(p, "comm", "evil\x1b[31m\xef\xbf\xbd");
	assert_jint(p, "failed_count", 1);
	assert_jint(p, "unmatched_free_count", 2);
	assert_true(json_object_get_boolean(get(p, "exited")));
	assert_true(json_object_get_boolean(get(p, "inexact")));
	p = json_object_array_get_idx(get(root, "processes"), 1);
	assert_jint(p, "pid", 9);
	assert_jint(get(root, "lost"), "map_full", 5);
	assert_jint(get(root, "lost"), "lost_events", 3);
	assert_jint(root, "top_total", 4);

	row = json_object_array_get_idx(get(root, "top"), 0);
	assert_jint(row, "pid", 7);
	assert_jstr(row, "comm", "evil\x1b[31m\xef\xbf\xbd");
	assert_jstr(row, "function", "read_line");
	assert_jstr(row, "file", "/src/io.h");
	assert_jint(row, "line", 7);
	stack = get(row, "stack");
	assert_int_equal(json_object_array_length(stack), 4);
	fr = json_object_array_get_idx(stack, 0);
	assert_jstr(fr, "function", "malloc+0x14");
	assert_null(get(fr, "file"));
	assert_null(get(fr, "line"));
	assert_jstr(fr, "module", "/lib/x86_64-linux-gnu/libc.so.6");
	assert_jstr(fr, "address", "0x7f0000001000");
	fr = json_object_array_get_idx(stack, 1);
	assert_jstr(fr, "function", "read_line");
	assert_jstr(fr, "file", "/src/io.h");
	assert_jint(fr, "line", 7);
	assert_jstr(fr, "address", "0x401100");
	fr = json_object_array_get_idx(stack, 2);
	assert_jstr(fr, "function", "load_orders");
	assert_jint(fr, "line", 42);
	assert_jstr(fr, "address", "0x401100");
	fr = json_object_array_get_idx(stack, 3);
	assert_jstr(fr, "function", "main");
	assert_jstr(fr, "module", "/usr/bin/orders");

	row = json_object_array_get_idx(get(root, "top"), 1);
	assert_jint(row, "pid", 9);
	assert_jstr(row, "comm", "ok");
	assert_null(get(row, "function"));
	assert_null(get(row, "file"));
	assert_null(get(row, "line"));
	assert_jstr(row, "module", "/usr/lib/libfoo.so");
	stack = get(row, "stack");
	assert_int_equal(json_object_array_length(stack), 1);
	fr = json_object_array_get_idx(stack, 0);
	assert_null(get(fr, "function"));
	assert_jstr(fr, "address", "0x7f0000002000");
	json_object_put(root);
	free(out);
	stats__free(st);
	snapshot__free(s);
}

static void test_folded(void **state)
{
	struct as_snapshot *s = build_system();
	const char *exc[] = {"*libfoo*"};
	struct as_filter flt = {.exclude = exc, .nexclude = 1};
	struct as_report r = {.snap = s};
	char *out;

	(void)state;
	out = run(report__folded, &r);
	assert_string_equal(out, "main (orders.c:90);load_orders (orders.c:42);"
				 "read_line (io.h:7);malloc+0x14 4096\n"
				 "libfoo.so+0x2000 100\n"
				 "a:b c (x:y.c:3) 1\n");
	free(out);

	r.system_wide = true;
	r.folded_value = "alloc_count";
	out = run(report__folded, &r);
	assert_string_equal(out, "evil\\x1b[31m\\xff (7);main (orders.c:90);"
				 "load_orders (orders.c:42);read_line (io.h:7);"
				 "malloc+0x14 4\n"
				 "ok (9);libfoo.so+0x2000 2\n"
				 "ok (9);a:b c (x:y.c:3) 2\n"
				 "ok (9);main (orders.c:90) 1\n");
	free(out);

	r.system_wide = false;
	r.folded_value = "count";
	r.filter = &flt;
	out = run(report__folded, &r);
	assert_string_equal(out, "main (orders.c:90);load_orders (orders.c:42);"
				 "read_line (io.h:7);malloc+0x14 2\n"
				 "a:b c (x:y.c:3) 1\n");
	free(out);

	r.filter = NULL;
	r.folded_value = "alloc_size";
	out = run(report__folded, &r);
	assert_string_equal(out, "main (orders.c:90);load_orders (orders.c:42);"
				 "read_line (io.h:7);malloc+0x14 8192\n"
				 "libfoo.so+0x2000 200\n"
				 "a:b c (x:y.c:3) 2\n"
				 "main (orders.c:90) 50\n");
	free(out);

	r.folded_value = "bytes";
	assert_int_equal(report__folded(stdout, &r), -EINVAL);
	snapshot__free(s);
}

/* Hands the wrapper's input to both view children. */
static error_t give_children(int key, char *arg, struct argp_state *state)
{
	(void)arg;
	if (key != ARGP_KEY_INIT)
		return ARGP_ERR_UNKNOWN;
	view_opts__give(state, state->input, 2);
	return 0;
}

/* Parses @argv through a wrapper that hands @o to the children. */
static int parse_view(struct as_view_opts *o, int argc, char **argv)
{
	static const struct argp_child children[] = {
	    {&as_view_argp, 0, "Report options:", 0},
	    {&as_view_filter_argp, 0, NULL, 0},
	    {0},
	};
	static const struct argp wrapper = {.parser = give_children,
					    .children = children};

	view_opts__init(o);
	return argp_parse(&wrapper, argc, argv,
			  ARGP_NO_EXIT | ARGP_NO_HELP | ARGP_SILENT, NULL, o);
}

#define ARGV(...)                                                              \
	(char *[])                                                             \
	{                                                                      \
		"allocsnoop", __VA_ARGS__, NULL                                \
	}
#define ARGC(...)     ((int)(sizeof(ARGV(__VA_ARGS__)) / sizeof(char *)) - 1)
#define PARSE(o, ...) parse_view(o, ARGC(__VA_ARGS__), ARGV(__VA_ARGS__))

static void test_viewopts(void **state)
{
	struct as_view_opts o;
	struct as_filter f;
	char *none[] = {"allocsnoop", NULL};

	(void)state;
	assert_int_equal(parse_view(&o, 1, none), 0);
	assert_int_equal(o.group_by, AS_GROUP_LINENO);
	assert_int_equal(o.top, 10);
	assert_false(o.json);
	assert_false(o.folded);
	assert_null(o.folded_value);
	view_opts__free(&o);

	assert_int_equal(PARSE(&o, "-g", "traceback", "-T", "0", "-j",
			       "--include", "*/a.c", "--include", "b*",
			       "--exclude", "<unknown>", "--min-size", "64K"),
			 0);
	assert_int_equal(o.group_by, AS_GROUP_TRACEBACK);
	assert_int_equal(o.top, 0);
	assert_true(o.json);
	assert_int_equal(o.ninclude, 2);
	assert_string_equal(o.include[0], "*/a.c");
	assert_string_equal(o.include[1], "b*");
	assert_int_equal(o.nexclude, 1);
	assert_string_equal(o.exclude[0], "<unknown>");
	assert_int_equal(o.min_size, 65536);
	assert_int_equal(view_opts__filter(&o, &f), 0);
	assert_ptr_equal(f.include, o.include);
	assert_int_equal(f.ninclude, 2);
	assert_ptr_equal(f.exclude, o.exclude);
	assert_int_equal(f.nexclude, 1);
	assert_int_equal(f.min_size, 65536);
	assert_null(f.pids);
	assert_int_equal(f.npids, 0);
	view_opts__free(&o);

	assert_int_equal(PARSE(&o, "--group-by=filename", "--cumulative",
			       "--folded", "--folded-value", "alloc_count",
			       "--top=25", "--min-size=2GiB"),
			 0);
	assert_int_equal(o.group_by, AS_GROUP_FILENAME);
	assert_true(o.cumulative);
	assert_true(o.folded);
	assert_string_equal(o.folded_value, "alloc_count");
	assert_int_equal(o.top, 25);
	assert_int_equal(o.min_size, 2LL << 30);
	view_opts__free(&o);

	assert_int_equal(PARSE(&o, "--min-size", "1m"), 0);
	assert_int_equal(o.min_size, 1 << 20);
	assert_int_equal(PARSE(&o, "--min-size", "512B"), 0);
	assert_int_equal(o.min_size, 512);

	/* Errors. */
	assert_int_equal(PARSE(&o, "-T", "x"), EINVAL);
	assert_int_equal(PARSE(&o, "-T", "-1"), EINVAL);
	assert_int_equal(PARSE(&o, "-T", "99999999999"), EINVAL);
	assert_int_equal(PARSE(&o, "-g", "line"), EINVAL);
	assert_int_equal(PARSE(&o, "--min-size", "x"), EINVAL);
	assert_int_equal(PARSE(&o, "--min-size", "-1"), EINVAL);
	assert_int_equal(PARSE(&o, "--min-size", "1T"), EINVAL);
	assert_int_equal(PARSE(&o, "--min-size", "99999999999G"), EINVAL);
	assert_int_equal(PARSE(&o, "--json", "--folded"), EINVAL);
	assert_int_equal(PARSE(&o, "--folded", "--folded-value", "bytes"),
			 EINVAL);
	assert_int_equal(PARSE(&o, "--folded-value", "size"), EINVAL);
	assert_int_equal(PARSE(&o, "--cumulative", "-g", "function"), EINVAL);
	assert_int_equal(PARSE(&o, "--include", "a", "-T", "y"), EINVAL);
	view_opts__free(&o);
}

/* Parses @argv like parse_view, with argp's messages into @err. */
struct err_input {
	struct as_view_opts *o;
	FILE *err;
};

static error_t err_wrapper_opt(int key, char *arg, struct argp_state *state)
{
	struct err_input *in = state->input;

	(void)arg;
	if (key != ARGP_KEY_INIT)
		return ARGP_ERR_UNKNOWN;
	state->child_inputs[0] = in->o;
	state->child_inputs[1] = in->o;
	state->err_stream = in->err;
	return 0;
}

static int parse_view_err(struct as_view_opts *o, char **msg, int argc,
			  char **argv)
{
	static const struct argp_child children[] = {
	    {&as_view_argp, 0, "Report options:", 0},
	    {&as_view_filter_argp, 0, NULL, 0},
	    {0},
	};
	static const struct argp wrapper = {.parser = err_wrapper_opt,
					    .children = children};
	struct capture c;
	struct err_input in = {.o = o};
	int rc;

	cap_open(&c);
	in.err = c.f;
	view_opts__init(o);
	rc = argp_parse(&wrapper, argc, argv, ARGP_NO_EXIT | ARGP_NO_HELP, NULL,
			&in);
	*msg = cap_close(&c);
	return rc;
}

#define PARSE_ERR(o, msg, ...)                                                 \
	parse_view_err(o, msg, ARGC(__VA_ARGS__), ARGV(__VA_ARGS__))

/* --format NAME through the table; --json and --folded are its aliases. */
static void test_viewopts_format(void **state)
{
	struct as_view_opts o;
	char *none[] = {"allocsnoop", NULL}, *msg;

	(void)state;
	assert_int_equal(parse_view(&o, 1, none), 0);
	assert_ptr_equal(o.format, format__find("text"));
	assert_int_equal(PARSE(&o, "--format", "json"), 0);
	assert_ptr_equal(o.format, format__find("json"));
	assert_false(o.json);
	assert_int_equal(PARSE(&o, "--format=folded", "--folded-value=count"),
			 0);
	assert_ptr_equal(o.format, format__find("folded"));
	assert_int_equal(PARSE(&o, "-j"), 0);
	assert_ptr_equal(o.format, format__find("json"));
	assert_int_equal(PARSE(&o, "--folded"), 0);
	assert_ptr_equal(o.format, format__find("folded"));
	/* The same format twice is no conflict. */
	assert_int_equal(PARSE(&o, "--format", "json", "--json"), 0);
	assert_ptr_equal(o.format, format__find("json"));
	assert_int_equal(PARSE(&o, "--format", "text", "--format", "folded"),
			 0);
	assert_ptr_equal(o.format, format__find("folded"));

	assert_int_equal(PARSE_ERR(&o, &msg, "--format", "xml"), EINVAL);
	assert_non_null(strstr(msg, "invalid --format 'xml': expected text, "
				    "json or folded"));
	free(msg);
	assert_int_equal(PARSE_ERR(&o, &msg, "--format", "json", "--folded"),
			 EINVAL);
	assert_non_null(strstr(msg, "--format json and --folded cannot be "
				    "used together: pick one output format"));
	free(msg);
	assert_int_equal(PARSE_ERR(&o, &msg, "--json", "--format", "folded"),
			 EINVAL);
	assert_non_null(strstr(msg, "--format folded and --json cannot"));
	free(msg);
	assert_int_equal(
	    PARSE_ERR(&o, &msg, "--format", "json", "--folded-value", "count"),
	    EINVAL);
	assert_non_null(strstr(msg, "--folded-value needs --folded"));
	free(msg);
	view_opts__free(&o);
}

static error_t pid_wrapper_opt(int key, char *arg, struct argp_state *state)
{
	(void)arg;
	if (key != ARGP_KEY_INIT)
		return ARGP_ERR_UNKNOWN;
	state->child_inputs[0] = state->input;
	state->child_inputs[1] = state->input;
	return 0;
}

/* --pid, shared by show and diff, fills the filter's pid list. */
static void test_viewopts_pid(void **state)
{
	static const struct argp_child children[] = {
	    {&as_view_argp, 0, NULL, 0},
	    {&as_view_pid_argp, 0, NULL, 0},
	    {0},
	};
	static const struct argp wrapper = {.parser = pid_wrapper_opt,
					    .children = children};
	static const char *const bad[] = {"0", "-5", "x1", "2147483648"};
	char **argv = ARGV("--pid", "4242", "-p", "77", "-T", "3", "-p4242");
	char *one[] = {"allocsnoop", "--pid", NULL, NULL};
	struct as_view_opts o;
	struct as_filter f;
	size_t i;

	(void)state;
	view_opts__init(&o);
	assert_int_equal(argp_parse(&wrapper, 8, argv,
				    ARGP_NO_EXIT | ARGP_NO_HELP | ARGP_SILENT,
				    NULL, &o),
			 0);
	assert_int_equal(o.npids, 3);
	assert_int_equal(o.pids[0], 4242);
	assert_int_equal(o.pids[1], 77);
	assert_int_equal(o.pids[2], 4242);
	assert_int_equal(o.top, 3);
	assert_int_equal(view_opts__filter(&o, &f), 0);
	assert_ptr_equal(f.pids, o.pids);
	assert_int_equal(f.npids, 3);
	view_opts__free(&o);

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		one[2] = (char *)bad[i];
		view_opts__init(&o);
		assert_int_equal(
		    argp_parse(&wrapper, 3, one,
			       ARGP_NO_EXIT | ARGP_NO_HELP | ARGP_SILENT, NULL,
			       &o),
		    EINVAL);
		assert_int_equal(o.npids, 0);
		view_opts__free(&o);
	}
}

/* Messages name every format of the table, in its order. */
static void test_format_names(void **state)
{
	char buf[64], small[8];

	(void)state;
	assert_string_equal(format__names(buf, sizeof(buf)),
			    "text, json or folded");
	assert_string_equal(format__names(small, sizeof(small)), "text, j");
}

/* Footer processes: the pid filter applies; a limit keeps the biggest. */
static void test_report_processes(void **state)
{
	struct as_snapshot *s = snapshot__new();
	const struct as_process **procs = NULL;
	const uint32_t want[] = {30};
	struct as_filter f = {.pids = want, .npids = 1};
	struct as_report r = {.snap = s};
	size_t n, total;
	uint32_t pid;
	int idx;

	(void)state;
	for (pid = 10; pid <= 40; pid += 10) {
		idx = snapshot__add_process(s, pid, "p");
		assert_true(idx >= 0);
		/* pid 20 holds the most, then 40 */
		s->processes[idx].current_bytes = pid == 20   ? 900
						  : pid == 40 ? 500
							      : (int64_t)pid;
	}
	assert_int_equal(report__processes(&r, 2, &procs, &n, &total), 0);
	assert_int_equal(total, 4);
	assert_int_equal(n, 2);
	assert_int_equal(procs[0]->pid, 20); /* sorted by pid again */
	assert_int_equal(procs[1]->pid, 40);
	free(procs);
	r.filter = &f;
	assert_int_equal(report__processes(&r, 0, &procs, &n, &total), 0);
	assert_int_equal(n, 1);
	assert_int_equal(total, 1);
	assert_int_equal(procs[0]->pid, 30);
	free(procs);
	snapshot__free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_format_size),
	    cmocka_unit_test(test_escape),
	    cmocka_unit_test(test_utf8_len),
	    cmocka_unit_test(test_format_table),
	    cmocka_unit_test(test_text_lineno),
	    cmocka_unit_test(test_text_traceback),
	    cmocka_unit_test(test_json),
	    cmocka_unit_test(test_json_traceback),
	    cmocka_unit_test(test_folded),
	    cmocka_unit_test(test_viewopts),
	    cmocka_unit_test(test_viewopts_format),
	    cmocka_unit_test(test_viewopts_pid),
	    cmocka_unit_test(test_format_names),
	    cmocka_unit_test(test_report_processes),
	};

	setenv("TZ", "UTC", 1);
	tzset();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
