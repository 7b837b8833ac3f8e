// SPDX-License-Identifier: MIT
/*
 * report_data.c - the HTML report's embedded JSON (schema in
 * report_data.h), streamed: a 100k-stack profile is written without
 * building it as a tree first.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "view/flat.h"
#include "view/report_data.h"

/* ISO 8601 local time with milliseconds and offset, as the JSON report. */
static void put_time(struct as_jsonout *j, const struct timespec *ts)
{
	char date[32], buf[64];
	time_t t = ts->tv_sec;
	struct tm tm;
	long off;

	if (!localtime_r(&t, &tm) ||
	    !strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm)) {
		jsonout__str(j, "1970-01-01T00:00:00.000+00:00");
		return;
	}
	off = tm.tm_gmtoff / 60;
	snprintf(buf, sizeof(buf), "%s.%03ld%c%02ld:%02ld", date,
		 ts->tv_nsec / 1000000, off < 0 ? '-' : '+', labs(off) / 60,
		 labs(off) % 60);
	jsonout__str(j, buf);
}

static double unix_time(const struct timespec *ts)
{
	return (double)ts->tv_sec + (double)ts->tv_nsec / 1e9;
}

static void put_values(struct as_jsonout *j, const struct as_flat_values *v,
		       bool first)
{
	jsonout__key(j, "size", first);
	jsonout__i64(j, v->size);
	jsonout__key(j, "count", false);
	jsonout__i64(j, v->count);
	jsonout__key(j, "alloc_size", false);
	jsonout__i64(j, v->alloc_size);
	jsonout__key(j, "alloc_count", false);
	jsonout__i64(j, v->alloc_count);
}

/* The memory over time, in the page's units: seconds since @s's start
 * and rates per second between points. */
static void put_timeline(struct as_jsonout *j, const struct as_snapshot *s,
			 const struct as_process *p)
{
	const struct as_timeline_point *pt, *prev;
	double dt;
	size_t i;

	jsonout__key(j, "timeline", false);
	jsonout__raw(j, "[");
	for (i = 0; i < p->ntimeline; i++) {
		pt = &p->timeline[i];
		prev = i ? &p->timeline[i - 1] : NULL;
		dt = prev ? (double)(pt->t_ms - prev->t_ms) / 1e3 : 0;
		jsonout__raw(j, i ? ",[" : "[");
		jsonout__f64(j, (double)pt->t_ms / 1e3, 3);
		jsonout__raw(j, ",");
		jsonout__i64(j, pt->current);
		jsonout__raw(j, ",");
		jsonout__f64(
		    j,
		    prev && dt > 0
			? (double)(pt->alloc_count - prev->alloc_count) / dt
			: 0,
		    1);
		jsonout__raw(j, ",");
		jsonout__f64(j,
			     prev && dt > 0
				 ? (double)(pt->free_count - prev->free_count) /
				       dt
				 : 0,
			     1);
		jsonout__raw(j, "]");
	}
	jsonout__raw(j, "]");
	if (p->peak_time.tv_sec) {
		jsonout__key(j, "peak_time", false);
		jsonout__f64(
		    j,
		    (double)(p->peak_time.tv_sec - s->start.tv_sec) +
			(double)(p->peak_time.tv_nsec - s->start.tv_nsec) / 1e9,
		    3);
	}
}

static void put_process(struct as_jsonout *j, const struct as_snapshot *s,
			const struct as_process *p)
{
	jsonout__key(j, "pid", true);
	jsonout__u64(j, p->pid);
	jsonout__key(j, "comm", false);
	jsonout__str(j, p->comm);
	jsonout__key(j, "current_bytes", false);
	jsonout__i64(j, p->current_bytes);
	jsonout__key(j, "peak_bytes", false);
	jsonout__i64(j, p->peak_bytes);
	jsonout__key(j, "alloc_count", false);
	jsonout__u64(j, p->alloc_count);
	jsonout__key(j, "free_count", false);
	jsonout__u64(j, p->free_count);
	jsonout__key(j, "failed_count", false);
	jsonout__u64(j, p->failed_count);
	jsonout__key(j, "unmatched_free_count", false);
	jsonout__u64(j, p->unmatched_free_count);
	jsonout__key(j, "alloc_bytes", false);
	jsonout__u64(j, p->alloc_bytes);
	jsonout__key(j, "free_bytes", false);
	jsonout__u64(j, p->free_bytes);
	jsonout__key(j, "exited", false);
	jsonout__bool(j, p->exited);
	jsonout__key(j, "inexact", false);
	jsonout__bool(j, p->inexact);
	if (p->ntimeline)
		put_timeline(j, s, p);
}

static void put_processes(struct as_jsonout *j, const struct as_snapshot *s,
			  const struct as_filter *f)
{
	bool first = true;
	size_t i;

	jsonout__raw(j, "[");
	for (i = 0; i < s->nprocesses; i++) {
		if (!filter__keep_pid(f, s->processes[i].pid))
			continue;
		jsonout__raw(j, first ? "{" : ",{");
		put_process(j, s, &s->processes[i]);
		jsonout__raw(j, "}");
		first = false;
	}
	jsonout__raw(j, "]");
}

static void put_lost(struct as_jsonout *j, const struct as_snapshot *s)
{
	size_t i;

	jsonout__raw(j, "{");
	for (i = 0; i < s->ncounters; i++) {
		jsonout__key(j, s->counters[i].name, i == 0);
		jsonout__u64(j, s->counters[i].value);
	}
	jsonout__raw(j, "}");
}

static void put_snapshot(struct as_jsonout *j, const struct as_snapshot *s,
			 const char *name, const struct as_flat_values *totals,
			 const struct as_filter *f)
{
	jsonout__key(j, "name", true);
	jsonout__str(j, name);
	jsonout__key(j, "time", false);
	put_time(j, &s->time);
	jsonout__key(j, "start", false);
	put_time(j, &s->start);
	jsonout__key(j, "time_unix", false);
	jsonout__f64(j, unix_time(&s->time), 3);
	jsonout__key(j, "start_unix", false);
	jsonout__f64(j, unix_time(&s->start), 3);
	jsonout__key(j, "tool_version", false);
	jsonout__str(j, s->tool_version);
	jsonout__key(j, "hostname", false);
	jsonout__str(j, s->hostname);
	jsonout__key(j, "command", false);
	jsonout__str(j, s->command);
	jsonout__key(j, "sample_bytes", false);
	jsonout__i64(j, s->sample_bytes);
	jsonout__key(j, "foreign", false);
	jsonout__bool(j, !s->has_meta);
	jsonout__key(j, "totals", false);
	jsonout__raw(j, "{");
	put_values(j, totals, true);
	jsonout__raw(j, "}");
	jsonout__key(j, "processes", false);
	put_processes(j, s, f);
	jsonout__key(j, "lost", false);
	put_lost(j, s);
}

static void put_frames(struct as_jsonout *j, const struct as_flat *f)
{
	const struct as_flat_frame *fr;
	char off[24];
	size_t i;

	jsonout__raw(j, "[");
	for (i = 0; i < f->nframes && !j->err; i++) {
		fr = &f->frames[i];
		jsonout__raw(j, i ? ",{" : "{");
		jsonout__key(j, "function", true);
		jsonout__str(j, fr->function);
		jsonout__key(j, "file", false);
		jsonout__str(j, fr->file);
		jsonout__key(j, "line", false);
		if (fr->line)
			jsonout__i64(j, fr->line);
		else
			jsonout__raw(j, "null");
		jsonout__key(j, "module", false);
		jsonout__str(j, fr->module);
		jsonout__key(j, "offset", false);
		snprintf(off, sizeof(off), "0x%" PRIx64, fr->offset);
		jsonout__str(j, fr->has_offset ? off : NULL);
		jsonout__raw(j, "}");
	}
	jsonout__raw(j, "]");
}

static int cmp_stack(const void *a, const void *b, void *ctx)
{
	const struct as_flat *f = ctx;
	const struct as_flat_stack *x = &f->stacks[*(const size_t *)a];
	const struct as_flat_stack *y = &f->stacks[*(const size_t *)b];
	uint32_t k, n = x->nframes < y->nframes ? x->nframes : y->nframes;
	uint32_t fx, fy;

	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	for (k = 0; k < n; k++) {
		fx = f->refs[x->first + k];
		fy = f->refs[y->first + k];
		if (fx != fy)
			return fx < fy ? -1 : 1;
	}
	return (x->nframes > y->nframes) - (x->nframes < y->nframes);
}

/* How many leading frames @st shares with @prev (NULL: none). */
static uint32_t shared_prefix(const struct as_flat *f,
			      const struct as_flat_stack *st,
			      const struct as_flat_stack *prev)
{
	uint32_t k = 0;

	if (!prev || prev->pid != st->pid)
		return 0;
	while (k < st->nframes && k < prev->nframes &&
	       f->refs[st->first + k] == f->refs[prev->first + k])
		k++;
	return k;
}

static void put_stack(struct as_jsonout *j, const struct as_flat *f,
		      const struct as_flat_stack *st,
		      const struct as_flat_stack *prev, bool diff, bool temp)
{
	const struct as_flat_values *v = &st->now;
	uint32_t k, prefix = shared_prefix(f, st, prev);
	int pass;

	jsonout__raw(j, "[");
	jsonout__u64(j, st->pid);
	jsonout__raw(j, ",");
	jsonout__u64(j, prefix);
	jsonout__raw(j, ",[");
	for (k = prefix; k < st->nframes; k++) {
		if (k > prefix)
			jsonout__raw(j, ",");
		jsonout__u64(j, f->refs[st->first + k]);
	}
	jsonout__raw(j, "]");
	for (pass = 0; pass < (diff ? 2 : 1); pass++, v = &st->old) {
		jsonout__raw(j, ",");
		jsonout__i64(j, v->size);
		jsonout__raw(j, ",");
		jsonout__i64(j, v->count);
		jsonout__raw(j, ",");
		jsonout__i64(j, v->alloc_size);
		jsonout__raw(j, ",");
		jsonout__i64(j, v->alloc_count);
	}
	for (pass = 0, v = &st->now; temp && pass < (diff ? 2 : 1);
	     pass++, v = &st->old) {
		jsonout__raw(j, ",");
		jsonout__i64(j, v->temporary);
	}
	jsonout__raw(j, "]");
}

/* Sorted, so that stacks sharing a prefix are neighbours: each stack is
 * written as the frames it shares with the one before and its own (a
 * third of the size for deep profiles), and the page builds its call tree
 * in one pass, without a lookup per frame. */
static int put_stacks(struct as_jsonout *j, const struct as_flat *f, bool diff,
		      bool temp)
{
	size_t *order, i;

	order = malloc((f->nstacks + 1) * sizeof(*order));
	if (!order)
		return -ENOMEM;
	for (i = 0; i < f->nstacks; i++)
		order[i] = i;
	qsort_r(order, f->nstacks, sizeof(*order), cmp_stack, (void *)f);
	jsonout__key(j, "stack_fields", false);
	jsonout__raw(j, "[\"pid\",\"prefix\",\"suffix\",\"size\","
			"\"count\",\"alloc_size\",\"alloc_count\"");
	if (diff)
		jsonout__raw(j, ",\"old_size\",\"old_count\","
				"\"old_alloc_size\",\"old_alloc_count\"");
	if (temp)
		jsonout__raw(j, diff ? ",\"temporary\",\"old_temporary\""
				     : ",\"temporary\"");
	jsonout__raw(j, "]");
	jsonout__key(j, "stacks", false);
	jsonout__raw(j, "[");
	for (i = 0; i < f->nstacks && !j->err; i++) {
		if (i)
			jsonout__raw(j, ",");
		put_stack(j, f, &f->stacks[order[i]],
			  i ? &f->stacks[order[i - 1]] : NULL, diff, temp);
	}
	jsonout__raw(j, "]");
	free(order);
	return 0;
}

static void put_opt_i64(struct as_jsonout *j, int64_t v, bool present)
{
	if (present)
		jsonout__i64(j, v);
	else
		jsonout__raw(j, "null");
}

static void put_row(struct as_jsonout *j, const struct as_stat *r)
{
	jsonout__key(j, "pid", true);
	put_opt_i64(j, r->pid, r->pid);
	jsonout__key(j, "comm", false);
	jsonout__str(j, r->pid ? r->comm : NULL);
	jsonout__key(j, "name", false);
	jsonout__str(j, r->name);
	jsonout__key(j, "function", false);
	jsonout__str(j, r->function);
	jsonout__key(j, "file", false);
	jsonout__str(j, r->file);
	jsonout__key(j, "line", false);
	put_opt_i64(j, r->line, r->line);
	jsonout__key(j, "module", false);
	jsonout__str(j, r->module);
	jsonout__key(j, "size", false);
	jsonout__i64(j, r->size);
	jsonout__key(j, "size_diff", false);
	jsonout__i64(j, r->size_diff);
	jsonout__key(j, "count", false);
	jsonout__i64(j, r->count);
	jsonout__key(j, "count_diff", false);
	jsonout__i64(j, r->count_diff);
	jsonout__key(j, "alloc_size", false);
	jsonout__i64(j, r->alloc_size);
	jsonout__key(j, "alloc_count", false);
	jsonout__i64(j, r->alloc_count);
}

static void put_rows(struct as_jsonout *j, const struct as_stats *st)
{
	size_t i;

	jsonout__raw(j, "[");
	for (i = 0; i < st->n && !j->err; i++) {
		jsonout__raw(j, i ? ",{" : "{");
		put_row(j, &st->rows[i]);
		jsonout__raw(j, "}");
	}
	jsonout__raw(j, "]");
}

/* The table's rows: as `allocsnoop show` or `diff` prints them. */
static int build_rows(const struct as_snapshot *now,
		      const struct as_snapshot *old,
		      const struct as_html_opts *o, struct as_stats **out)
{
	struct as_stats *st_now = NULL, *st_old = NULL;
	struct as_group_opts go = {
	    .by = o->group_by,
	    /* several processes in one snapshot: rows per process, as show
	     * does; a diff matches rows of two runs, so without pids */
	    .per_process = !old && now->nprocesses > 1,
	    .filter = o->filter,
	};
	int err;

	err = stats__group(now, &go, &st_now);
	if (!err && old)
		err = stats__group(old, &go, &st_old);
	err = err ?: stats__compare(st_now, st_old, out);
	stats__free(st_now);
	stats__free(st_old);
	return err;
}

int report_data__write(struct as_jsonout *j, const struct as_snapshot *now,
		       const struct as_snapshot *old,
		       const struct as_html_opts *o)
{
	struct as_stats *rows = NULL;
	struct as_flat flat;
	int err;

	err = flat__build(&flat, now, old, o->filter);
	err = err ?: build_rows(now, old, o, &rows);
	if (err)
		goto cleanup;
	jsonout__raw(j, "{\"format\":\"allocsnoop-report\",\"version\":");
	jsonout__i64(j, AS_REPORT_DATA_VERSION);
	jsonout__key(j, "tool", false);
	jsonout__str(j, "allocsnoop " ALLOCSNOOP_VERSION);
	jsonout__key(j, "group_by", false);
	jsonout__str(j, group_by__name(o->group_by));
	jsonout__key(j, "now", false);
	jsonout__raw(j, "{");
	put_snapshot(j, now, o->now_name, &flat.total_now, o->filter);
	jsonout__raw(j, "}");
	jsonout__key(j, "old", false);
	if (old) {
		jsonout__raw(j, "{");
		put_snapshot(j, old, o->old_name, &flat.total_old, o->filter);
		jsonout__raw(j, "}");
	} else {
		jsonout__raw(j, "null");
	}
	jsonout__key(j, "frames", false);
	put_frames(j, &flat);
	/* snapshots of a tracer that counted temporary allocations */
	err = put_stacks(j, &flat, old != NULL,
			 now->temporary_ns || (old && old->temporary_ns));
	if (err)
		goto cleanup;
	jsonout__key(j, "rows", false);
	put_rows(j, rows);
	jsonout__raw(j, "}");
	err = j->err;
cleanup:
	stats__free(rows);
	flat__free(&flat);
	if (err && !j->err)
		j->err = err;
	return err;
}
