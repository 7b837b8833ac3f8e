// SPDX-License-Identifier: MIT
/*
 * test_html.c - the HTML report's data (flat profile, script-safe JSON,
 * the page around it) and speedscope's JSON.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "profile/model.h"
#include "util/buf.h"
#include "view/flat.h"
#include "view/html.h"
#include "view/jsonout.h"
#include "view/speedscope.h"

#define EVIL_FN	  "parse</script><script>alert(1)</script>"
#define EVIL_FILE "/src/<!--x\xe2\x80\xa8y\xe2\x80\xa9.c"

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

/*
 * Two snapshots of process 7: main -> load (evil names, inlined into
 * main's location) -> malloc site; "old" also has a stack gone since,
 * "now" a new one and a stack in a library without debug info.
 */
static struct as_snapshot *snap(bool old)
{
	struct as_snapshot *s = snapshot__new();
	int exe, lib, lmain, lsite, lgone, lnew, llib;
	uint32_t st[3];

	assert_non_null(s);
	s->time = (struct timespec){1714564805, 0};
	s->start = (struct timespec){1714564800, 0};
	assert_int_equal(snapshot__set_meta(s, "0.1.0", "host\xff", EVIL_FN),
			 0);
	exe = snapshot__add_module(s, "/bin/app", "ab", 0x1000, 0x9000, 0);
	lib = snapshot__add_module(s, "/lib/libx.so", NULL, 0x7000000,
				   0x7009000, 0);
	lmain = snapshot__add_location(s, 0x1100, exe, 0x100);
	/* innermost first: load inlined into main */
	assert_int_equal(snapshot__add_line(s, lmain, EVIL_FN, EVIL_FILE, 42),
			 0);
	assert_int_equal(snapshot__add_line(s, lmain, "main", "/src/app.c", 9),
			 0);
	lsite = snapshot__add_location(s, 0x1200, exe, 0x200);
	assert_int_equal(
	    snapshot__add_line(s, lsite, "alloc_rows", "/src/app.c", 20), 0);
	lgone = snapshot__add_location(s, 0x1300, exe, 0x300);
	assert_int_equal(snapshot__add_line(s, lgone, "gone", "/src/app.c", 30),
			 0);
	lnew = snapshot__add_location(s, 0x1400, exe, 0x400);
	assert_int_equal(snapshot__add_line(s, lnew, "fresh", "/src/app.c", 40),
			 0);
	llib = snapshot__add_location(s, 0x7000123, lib, 0x123);
	st[0] = (uint32_t)lsite;
	st[1] = (uint32_t)lmain;
	assert_true(snapshot__add_sample(s, 7, st, 2, old ? 100 : 300, 1,
					 old ? 100 : 300, old ? 1 : 3) >= 0);
	st[0] = (uint32_t)(old ? lgone : lnew);
	assert_true(snapshot__add_sample(s, 7, st, 2, 50, 5, 50, 5) >= 0);
	if (!old) {
		st[0] = (uint32_t)llib;
		st[1] = (uint32_t)lsite;
		st[2] = (uint32_t)lmain;
		assert_true(snapshot__add_sample(s, 7, st, 3, 0, 0, 64, 2) >=
			    0);
		/* nothing at all: left out */
		assert_true(snapshot__add_sample(s, 7, st, 1, 0, 0, 0, 0) >= 0);
	}
	assert_int_equal(snapshot__add_process(s, 7, "app</script>"), 0);
	s->processes[0].current_bytes = old ? 150 : 350;
	return s;
}

static const struct as_flat_stack *find_stack(const struct as_flat *f,
					      const char *leaf_fn)
{
	const struct as_flat_stack *st;
	const struct as_flat_frame *fr;
	size_t i;

	for (i = 0; i < f->nstacks; i++) {
		st = &f->stacks[i];
		fr = &f->frames[f->refs[st->first + st->nframes - 1]];
		if (fr->function && strcmp(fr->function, leaf_fn) == 0)
			return st;
	}
	return NULL;
}

static void test_flat(void **state)
{
	struct as_snapshot *now = snap(false), *old = snap(true);
	const struct as_flat_stack *st;
	const struct as_flat_frame *fr;
	struct as_flat f;

	(void)state;
	assert_int_equal(flat__build(&f, now, old, NULL), 0);
	/* shared + gone + new + library: the empty sample is left out */
	assert_int_equal(f.nstacks, 4);
	/* main, load (inlined), alloc_rows, gone, fresh, libx+0x123 */
	assert_int_equal(f.nframes, 6);
	st = find_stack(&f, "alloc_rows");
	assert_non_null(st);
	assert_true(st->in_now && st->in_old);
	assert_int_equal(st->now.size, 300);
	assert_int_equal(st->old.size, 100);
	/* root first: the location's outermost line, then the inlined one */
	assert_int_equal(st->nframes, 3);
	assert_string_equal(f.frames[f.refs[st->first]].function, "main");
	assert_string_equal(f.frames[f.refs[st->first + 1]].function, EVIL_FN);
	st = find_stack(&f, "gone");
	assert_true(st && !st->in_now && st->in_old && st->old.count == 5);
	st = find_stack(&f, "fresh");
	assert_true(st && st->in_now && !st->in_old);
	assert_int_equal(f.total_now.size, 350);
	assert_int_equal(f.total_now.alloc_size, 414);
	assert_int_equal(f.total_old.size, 150);
	/* now's frames first: the library's is the last before "gone" */
	fr = &f.frames[f.nframes - 2];
	assert_true(fr->has_offset && !fr->function && fr->offset == 0x123);
	assert_string_equal(fr->module, "/lib/libx.so");
	flat__free(&f);
	snapshot__free(now);
	snapshot__free(old);
}

static void test_labels(void **state)
{
	static const struct {
		struct as_flat_frame fr;
		const char *label;
	} cases[] = {
	    {{"f", "/a/b.c", 3, "/bin/x", false, 0}, "f (b.c:3)"},
	    {{"f+0x1c", NULL, 0, "/lib/libc.so.6", false, 0},
	     "f+0x1c (libc.so.6)"},
	    {{NULL, "/a/b.py", 7, NULL, false, 0}, "b.py:7"},
	    {{NULL, NULL, 0, "/lib/libz.so", true, 0x1c40}, "libz.so+0x1c40"},
	    {{NULL, NULL, 0, NULL, true, 0xdead}, "0xdead"},
	};
	struct as_strbuf sb = {0};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(strbuf__reset(&sb), 0);
		assert_int_equal(flat__label(&cases[i].fr, &sb), 0);
		assert_string_equal(sb.s, cases[i].label);
	}
	strbuf__free(&sb);
}

static void test_jsonout_script(void **state)
{
	struct capture c;
	struct as_jsonout j;
	json_object *o;
	char *text;

	(void)state;
	cap_open(&c);
	j = (struct as_jsonout){.out = c.f, .script = true};
	jsonout__raw(&j, "[");
	jsonout__str(&j, EVIL_FN);
	jsonout__raw(&j, ",");
	jsonout__str(&j, EVIL_FILE);
	jsonout__raw(&j, ",");
	jsonout__str(&j, "a&b>c\xff\"q\"");
	jsonout__raw(&j, ",");
	jsonout__str(&j, NULL);
	jsonout__raw(&j, "]");
	assert_int_equal(j.err, 0);
	text = cap_close(&c);
	/* nothing that could end the element, open a comment or a line */
	assert_null(strchr(text, '<'));
	assert_null(strchr(text, '>'));
	assert_null(strchr(text, '&'));
	assert_null(strstr(text, "\xe2\x80\xa8"));
	assert_null(strstr(text, "\xe2\x80\xa9"));
	assert_non_null(strstr(text, "\\u003c/script\\u003e"));
	assert_non_null(strstr(text, "\\u2028"));
	/* and it still means the same strings */
	o = json_tokener_parse(text);
	assert_non_null(o);
	assert_string_equal(
	    json_object_get_string(json_object_array_get_idx(o, 0)), EVIL_FN);
	assert_string_equal(
	    json_object_get_string(json_object_array_get_idx(o, 1)), EVIL_FILE);
	assert_string_equal(
	    json_object_get_string(json_object_array_get_idx(o, 2)),
	    "a&b>c\xef\xbf\xbd\"q\"");
	assert_null(json_object_array_get_idx(o, 3));
	json_object_put(o);
	free(text);
}

/* The JSON between the data element's tags. */
static json_object *page_data(const char *page)
{
	static const char open[] = "id=\"allocsnoop-data\">";
	const char *p = strstr(page, open), *end;
	json_object *o;
	char *text;

	assert_non_null(p);
	p += strlen(open);
	end = strstr(p, "</script>");
	assert_non_null(end);
	/* the data's only '<' is the one closing its element */
	assert_null(memchr(p, '<', (size_t)(end - p)));
	text = strndup(p, (size_t)(end - p));
	o = json_tokener_parse(text);
	free(text);
	assert_non_null(o);
	return o;
}

static json_object *get(json_object *o, const char *path)
{
	char *copy = strdup(path), *tok, *save = NULL;
	json_object *cur = o;

	for (tok = strtok_r(copy, ".", &save); tok && cur;
	     tok = strtok_r(NULL, ".", &save)) {
		if (*tok >= '0' && *tok <= '9')
			cur = json_object_array_get_idx(cur, atoi(tok));
		else if (!json_object_object_get_ex(cur, tok, &cur))
			cur = NULL;
	}
	free(copy);
	assert_non_null(cur);
	return cur;
}

static void test_html_page(void **state)
{
	struct as_snapshot *now = snap(false), *old = snap(true);
	struct as_html_opts o = {.now_name = "new.pb.gz",
				 .old_name = "old.pb.gz"};
	json_object *d, *fields, *stacks, *st;
	const char *p;
	struct capture c;
	char *page;
	size_t i, n = 0;
	int64_t sum = 0, old_sum = 0;

	(void)state;
	cap_open(&c);
	assert_int_equal(html__write(c.f, now, old, &o), 0);
	page = cap_close(&c);
	assert_true(strncmp(page, "<!DOCTYPE html>", 15) == 0);
	/* the data element's and the script's, nothing else */
	for (p = page; (p = strstr(p, "</script>")); p++)
		n++;
	assert_int_equal(n, 2);
	assert_non_null(strstr(page, "Content-Security-Policy"));
	assert_non_null(strstr(page, "default-src 'none'"));
	d = page_data(page);
	assert_string_equal(json_object_get_string(get(d, "format")),
			    "allocsnoop-report");
	assert_int_equal(json_object_get_int(get(d, "version")), 1);
	assert_string_equal(json_object_get_string(get(d, "now.command")),
			    EVIL_FN);
	assert_string_equal(json_object_get_string(get(d, "now.name")),
			    "new.pb.gz");
	assert_string_equal(json_object_get_string(get(d, "old.name")),
			    "old.pb.gz");
	assert_string_equal(
	    json_object_get_string(get(d, "now.processes.0.comm")),
	    "app</script>");
	assert_int_equal(json_object_get_int64(get(d, "now.totals.size")), 350);
	fields = get(d, "stack_fields");
	assert_int_equal(json_object_array_length(fields), 11);
	assert_string_equal(
	    json_object_get_string(json_object_array_get_idx(fields, 7)),
	    "old_size");
	stacks = get(d, "stacks");
	assert_int_equal(json_object_array_length(stacks), 4);
	for (i = 0; i < json_object_array_length(stacks); i++) {
		st = json_object_array_get_idx(stacks, i);
		sum += json_object_get_int64(json_object_array_get_idx(st, 3));
		old_sum +=
		    json_object_get_int64(json_object_array_get_idx(st, 7));
	}
	/* sorted: the library's stack follows the one of alloc_rows, whose
	 * three frames it shares */
	st = json_object_array_get_idx(stacks, 1);
	assert_int_equal(json_object_get_int(json_object_array_get_idx(st, 1)),
			 3);
	assert_int_equal(
	    json_object_array_length(json_object_array_get_idx(st, 2)), 1);
	assert_int_equal(sum, 350);
	assert_int_equal(old_sum, 150);
	/* rows as `allocsnoop diff` has them: the biggest change first */
	assert_string_equal(json_object_get_string(get(d, "rows.0.function")),
			    "alloc_rows");
	assert_int_equal(json_object_get_int64(get(d, "rows.0.size_diff")),
			 200);
	json_object_put(d);
	free(page);
	snapshot__free(now);
	snapshot__free(old);
}

static int64_t weight_sum(json_object *profile)
{
	json_object *w = get(profile, "weights");
	int64_t sum = 0;
	size_t i;

	assert_int_equal(json_object_array_length(w),
			 json_object_array_length(get(profile, "samples")));
	for (i = 0; i < json_object_array_length(w); i++)
		sum += json_object_get_int64(json_object_array_get_idx(w, i));
	assert_int_equal(sum, json_object_get_int64(get(profile, "endValue")));
	return sum;
}

static void test_speedscope(void **state)
{
	struct as_snapshot *now = snap(false), *old = snap(true);
	json_object *d, *frames;
	struct capture c;
	char *text;

	(void)state;
	cap_open(&c);
	assert_int_equal(speedscope__write(c.f, now, NULL, NULL, NULL), 0);
	text = cap_close(&c);
	d = json_tokener_parse(text);
	assert_non_null(d);
	assert_string_equal(
	    json_object_get_string(get(d, "$schema")),
	    "https://www.speedscope.app/file-format-schema.json");
	assert_int_equal(json_object_array_length(get(d, "profiles")), 4);
	assert_string_equal(json_object_get_string(get(d, "profiles.0.type")),
			    "sampled");
	assert_string_equal(json_object_get_string(get(d, "profiles.0.unit")),
			    "bytes");
	assert_int_equal(weight_sum(get(d, "profiles.0")), 350);
	assert_int_equal(weight_sum(get(d, "profiles.1")), 6);
	assert_int_equal(weight_sum(get(d, "profiles.2")), 414);
	assert_int_equal(weight_sum(get(d, "profiles.3")), 10);
	/* the library stack has no live bytes: not a live-bytes sample */
	assert_int_equal(json_object_array_length(get(d, "profiles.0.samples")),
			 2);
	frames = get(d, "shared.frames");
	assert_string_equal(json_object_get_string(get(frames, "0.name")),
			    "main (app.c:9)");
	assert_string_equal(json_object_get_string(get(frames, "0.file")),
			    "/src/app.c");
	json_object_put(d);
	free(text);

	cap_open(&c);
	assert_int_equal(speedscope__write(c.f, now, old, NULL, "x"), 0);
	text = cap_close(&c);
	d = json_tokener_parse(text);
	assert_non_null(d);
	assert_int_equal(json_object_array_length(get(d, "profiles")), 8);
	assert_string_equal(json_object_get_string(get(d, "profiles.4.name")),
			    "OLD live bytes");
	assert_int_equal(weight_sum(get(d, "profiles.4")), 150);
	json_object_put(d);
	free(text);
	snapshot__free(now);
	snapshot__free(old);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_flat),
	    cmocka_unit_test(test_labels),
	    cmocka_unit_test(test_jsonout_script),
	    cmocka_unit_test(test_html_page),
	    cmocka_unit_test(test_speedscope),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
