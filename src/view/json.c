// SPDX-License-Identifier: MIT
/*
 * json.c - one report as one JSON object on one line (JSON Lines),
 * built with json-c. Strings from traced programs are made valid UTF-8
 * first (json-c escapes control characters, not invalid bytes).
 */
#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "view/duration.h"
#include "view/escape.h"
#include "view/format.h"
#include "view/report.h"

/* Builders: NULL input is JSON null; a failed allocation sets *err. */
static json_object *j_str(int *err, const char *s)
{
	json_object *o;
	char *clean;

	if (!s)
		return NULL;
	clean = utf8__clean(s);
	if (!clean) {
		*err = -ENOMEM;
		return NULL;
	}
	o = json_object_new_string(clean);
	free(clean);
	if (!o)
		*err = -ENOMEM;
	return o;
}

static json_object *check(int *err, json_object *o)
{
	if (!o)
		*err = -ENOMEM;
	return o;
}

static void j_put(int *err, json_object *obj, const char *key, json_object *val)
{
	if (json_object_object_add(obj, key, val)) {
		json_object_put(val);
		*err = -ENOMEM;
	}
}

static void j_append(int *err, json_object *arr, json_object *val)
{
	if (!val || json_object_array_add(arr, val)) {
		json_object_put(val);
		*err = -ENOMEM;
	}
}

/* ISO 8601 local time with milliseconds and offset:
 * 2024-05-01T12:00:05.123+02:00 */
static json_object *j_time(int *err, const struct timespec *ts)
{
	char date[32], buf[64];
	time_t t = ts->tv_sec;
	struct tm tm;
	long off;

	if (!localtime_r(&t, &tm) ||
	    !strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm))
		return j_str(err, "1970-01-01T00:00:00.000+00:00");
	off = tm.tm_gmtoff / 60;
	snprintf(buf, sizeof(buf), "%s.%03ld%c%02ld:%02ld", date,
		 ts->tv_nsec / 1000000, off < 0 ? '-' : '+', labs(off) / 60,
		 labs(off) % 60);
	return j_str(err, buf);
}

static json_object *j_process(int *err, const struct as_process *p)
{
	json_object *o = check(err, json_object_new_object());

	if (!o)
		return NULL;
	j_put(err, o, "pid", check(err, json_object_new_int64(p->pid)));
	j_put(err, o, "comm", j_str(err, p->comm));
	j_put(err, o, "current_bytes",
	      check(err, json_object_new_int64(p->current_bytes)));
	j_put(err, o, "peak_bytes",
	      check(err, json_object_new_int64(p->peak_bytes)));
	j_put(err, o, "alloc_count",
	      check(err, json_object_new_uint64(p->alloc_count)));
	j_put(err, o, "free_count",
	      check(err, json_object_new_uint64(p->free_count)));
	j_put(err, o, "failed_count",
	      check(err, json_object_new_uint64(p->failed_count)));
	j_put(err, o, "unmatched_free_count",
	      check(err, json_object_new_uint64(p->unmatched_free_count)));
	j_put(err, o, "mmap_bytes",
	      check(err, json_object_new_int64(p->mmap_bytes)));
	j_put(err, o, "mmap_peak_bytes",
	      check(err, json_object_new_int64(p->mmap_peak)));
	j_put(err, o, "pymalloc_arena_bytes",
	      check(err, json_object_new_int64(p->pymalloc_bytes)));
	j_put(err, o, "pymalloc_block_bytes",
	      check(err, json_object_new_int64(p->pymalloc_blocks)));
	j_put(err, o, "exited", check(err, json_object_new_boolean(p->exited)));
	j_put(err, o, "inexact",
	      check(err, json_object_new_boolean(p->inexact)));
	return o;
}

static json_object *j_processes(int *err, const struct as_report *r)
{
	const struct as_process **procs = NULL;
	json_object *arr = check(err, json_object_new_array());
	size_t i, n, total;

	if (!arr)
		return NULL;
	*err = report__processes(r, 0, &procs, &n, &total);
	for (i = 0; i < n && !*err; i++)
		j_append(err, arr, j_process(err, procs[i]));
	free(procs);
	return arr;
}

static json_object *j_lost(int *err, const struct as_snapshot *s)
{
	json_object *o = check(err, json_object_new_object());
	size_t i;
	char *name;

	for (i = 0; o && i < s->ncounters && !*err; i++) {
		name = utf8__clean(s->counters[i].name);
		if (!name) {
			*err = -ENOMEM;
			break;
		}
		j_put(err, o, name,
		      check(err, json_object_new_uint64(s->counters[i].value)));
		free(name);
	}
	return o;
}

static json_object *j_frame(int *err, const struct as_snapshot *s,
			    const struct as_location *l,
			    const struct as_line *ln)
{
	json_object *o = check(err, json_object_new_object());
	const char *mod = NULL;
	char addr[24];

	if (!o)
		return NULL;
	if (l->module >= 0 && (size_t)l->module < s->nmodules)
		mod = s->modules[l->module].path;
	snprintf(addr, sizeof(addr), "0x%" PRIx64, l->address);
	j_put(err, o, "function", j_str(err, ln ? ln->function : NULL));
	j_put(err, o, "file", j_str(err, ln ? ln->file : NULL));
	j_put(err, o, "line",
	      ln && ln->line ? check(err, json_object_new_int64(ln->line))
			     : NULL);
	j_put(err, o, "module", j_str(err, mod));
	j_put(err, o, "address", j_str(err, addr));
	return o;
}

/* Every line of every location, inlined lines first, innermost first. */
static json_object *j_stack(int *err, const struct as_stat *st)
{
	json_object *arr = check(err, json_object_new_array());
	const struct as_location *l;
	uint32_t i, li;

	for (i = 0; arr && i < st->sample->nlocs && !*err; i++) {
		l = &st->snap->locations[st->sample->locs[i]];
		if (!l->nlines)
			j_append(err, arr, j_frame(err, st->snap, l, NULL));
		for (li = 0; li < l->nlines && !*err; li++)
			j_append(err, arr,
				 j_frame(err, st->snap, l, &l->lines[li]));
	}
	return arr;
}

/* [[from_ns, to_ns | null, count], ...] over the non-empty buckets */
static json_object *j_hist(int *err, const struct as_hist *h)
{
	json_object *arr = check(err, json_object_new_array()), *bin;
	uint64_t end;
	unsigned b;
	uint32_t i;

	for (i = 0; arr && i < h->n && !*err; i++) {
		b = hist__bin_bucket(h, i);
		end = duration__bucket_end(b);
		bin = check(err, json_object_new_array());
		if (!bin)
			break;
		j_append(
		    err, bin,
		    check(err, json_object_new_uint64(hist__bucket_start(b))));
		if (!end && json_object_array_add(bin, NULL))
			*err = -ENOMEM; /* the last bucket has no end */
		else if (end)
			j_append(err, bin,
				 check(err, json_object_new_uint64(end)));
		j_append(
		    err, bin,
		    check(err, json_object_new_uint64(hist__bin_count(h, i))));
		j_append(err, arr, bin);
	}
	return arr;
}

/* --lifetimes and --older-than's fields */
static void j_row_time(int *err, json_object *o, const struct as_report *r,
		       const struct as_stat *st)
{
	if (r->lifetimes) {
		j_put(err, o, "temporary",
		      check(err, json_object_new_int64(st->temporary)));
		j_put(
		    err, o, "freed",
		    check(err, json_object_new_uint64(hist__total(&st->life))));
		j_put(err, o, "lifetimes", j_hist(err, &st->life));
	}
	if (r->ages) {
		j_put(err, o, "oldest_age_ns",
		      st->count > 0
			  ? check(err, json_object_new_uint64(st->oldest_ns))
			  : NULL);
		j_put(err, o, "ages", j_hist(err, &st->age));
	}
}

static json_object *j_row(int *err, const struct as_report *r,
			  const struct as_stat *st)
{
	json_object *o = check(err, json_object_new_object());

	if (!o)
		return NULL;
	j_put(err, o, "pid",
	      st->pid ? check(err, json_object_new_int64(st->pid)) : NULL);
	j_put(err, o, "comm", j_str(err, st->pid ? st->comm : NULL));
	/* A function row is named without the "+0x1c" of each call site. */
	j_put(err, o, "function",
	      j_str(err, r->group_by == AS_GROUP_FUNCTION && st->function
			     ? st->name
			     : st->function));
	j_put(err, o, "file", j_str(err, st->file));
	j_put(err, o, "line",
	      st->line ? check(err, json_object_new_int64(st->line)) : NULL);
	j_put(err, o, "module", j_str(err, st->module));
	j_put(err, o, "kind", j_str(err, sample_kind__name(st->kind)));
	j_put(err, o, "size", check(err, json_object_new_int64(st->size)));
	j_put(err, o, "size_diff",
	      check(err, json_object_new_int64(st->size_diff)));
	j_put(err, o, "count", check(err, json_object_new_int64(st->count)));
	j_put(err, o, "count_diff",
	      check(err, json_object_new_int64(st->count_diff)));
	j_put(err, o, "average",
	      check(err, json_object_new_double(
			     st->count ? (double)st->size / (double)st->count
				       : 0.0)));
	j_put(err, o, "alloc_size",
	      check(err, json_object_new_int64(st->alloc_size)));
	j_put(err, o, "alloc_count",
	      check(err, json_object_new_int64(st->alloc_count)));
	j_row_time(err, o, r, st);
	if (r->group_by == AS_GROUP_TRACEBACK && st->sample)
		j_put(err, o, "stack", j_stack(err, st));
	return o;
}

int report__json(FILE *out, const struct as_report *r)
{
	const struct as_snapshot *s = r->snap;
	size_t n = r->stats ? r->stats->n : 0, nshow, i;
	json_object *root, *top = NULL;
	const char *text;
	int err = 0;

	root = check(&err, json_object_new_object());
	if (!root)
		return err;
	nshow = r->top > 0 && (size_t)r->top < n ? (size_t)r->top : n;
	j_put(&err, root, "type", j_str(&err, "report"));
	j_put(&err, root, "seq", check(&err, json_object_new_uint64(r->seq)));
	j_put(&err, root, "time", j_time(&err, &s->time));
	j_put(&err, root, "since",
	      j_time(&err, r->prev ? &r->prev->time : &s->start));
	j_put(&err, root, "final",
	      check(&err, json_object_new_boolean(r->final)));
	j_put(&err, root, "group_by", j_str(&err, group_by__name(r->group_by)));
	j_put(&err, root, "processes", j_processes(&err, r));
	j_put(&err, root, "lost", j_lost(&err, s));
	j_put(&err, root, "top_total", check(&err, json_object_new_uint64(n)));
	top = check(&err, json_object_new_array());
	for (i = 0; top && i < nshow && !err; i++)
		j_append(&err, top, j_row(&err, r, &r->stats->rows[i]));
	j_put(&err, root, "top", top);
	if (err)
		goto cleanup;
	text = json_object_to_json_string_ext(
	    root, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	if (!text) {
		err = -ENOMEM;
		goto cleanup;
	}
	if (fputs(text, out) == EOF || putc('\n', out) == EOF || fflush(out))
		err = -EIO;
cleanup:
	json_object_put(root);
	return err;
}
