// SPDX-License-Identifier: MIT
/*
 * text.c - the human report, shaped like tracemalloc's
 * compare_to() output plus a footer of per-process totals.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "view/duration.h"
#include "view/escape.h"
#include "view/format.h"
#include "view/report.h"
#include "view/size.h"

static const char *unit_name(enum as_group_by by)
{
	switch (by) {
	case AS_GROUP_LINENO:
		return "lines";
	case AS_GROUP_FILENAME:
		return "files";
	case AS_GROUP_FUNCTION:
		return "functions";
	case AS_GROUP_TRACEBACK:
		return "tracebacks";
	case AS_GROUP_MODULE:
		return "modules";
	case AS_GROUP_PROCESS:
		return "processes";
	}
	return "rows";
}

static void put_hms(FILE *out, const struct timespec *ts)
{
	char buf[16];
	struct tm tm;
	time_t t = ts->tv_sec;

	if (!localtime_r(&t, &tm) ||
	    !strftime(buf, sizeof(buf), "%H:%M:%S", &tm))
		snprintf(buf, sizeof(buf), "??:??:??");
	fputs(buf, out);
}

static double ts_diff(const struct timespec *a, const struct timespec *b)
{
	return (double)(a->tv_sec - b->tv_sec) +
	       (double)(a->tv_nsec - b->tv_nsec) / 1e9;
}

/*
 * File paths print as their basename unless two different paths of the
 * report share it: the set of paths shown, sorted by basename.
 */
struct paths {
	const char **v;
	bool *ambiguous;
	size_t n, cap;
};

static int paths_add(struct paths *p, const char *path)
{
	if (!path)
		return 0;
	if (BUF_RESERVE(p->v, p->cap, p->n + 1))
		return -ENOMEM;
	p->v[p->n++] = path;
	return 0;
}

static int cmp_path(const void *a, const void *b)
{
	const char *x = *(const char *const *)a, *y = *(const char *const *)b;

	return strcmp(basename(x), basename(y)) ?: strcmp(x, y);
}

static int paths_index(struct paths *p)
{
	size_t i, j;

	if (!p->n)
		return 0;
	qsort(p->v, p->n, sizeof(*p->v), cmp_path);
	for (i = j = 0; i < p->n; i++)
		if (!j || strcmp(p->v[i], p->v[j - 1]) != 0)
			p->v[j++] = p->v[i];
	p->n = j;
	p->ambiguous = calloc(p->n, sizeof(*p->ambiguous));
	if (!p->ambiguous)
		return -ENOMEM;
	for (i = 1; i < p->n; i++) {
		if (strcmp(basename(p->v[i]), basename(p->v[i - 1])) == 0)
			p->ambiguous[i] = p->ambiguous[i - 1] = true;
	}
	return 0;
}

static void put_path(FILE *out, const struct paths *p, const char *path)
{
	const char **hit = NULL;

	if (p->n)
		hit = bsearch(&path, p->v, p->n, sizeof(*p->v), cmp_path);
	if (hit && !p->ambiguous[hit - p->v])
		escape__fputs(out, basename(path));
	else
		escape__fputs(out, path);
}

static const char *module_of(const struct as_snapshot *s,
			     const struct as_location *l)
{
	if (l->module >= 0 && (size_t)l->module < s->nmodules)
		return s->modules[l->module].path;
	return NULL;
}

static bool shows_site(enum as_group_by by)
{
	return by == AS_GROUP_LINENO || by == AS_GROUP_TRACEBACK ||
	       by == AS_GROUP_FILENAME;
}

static int collect_paths(struct paths *p, const struct as_report *r,
			 size_t nshow)
{
	const struct as_stat *st;
	const struct as_location *l;
	size_t i;
	uint32_t j, li;
	int err = 0;

	for (i = 0; i < nshow && !err; i++) {
		st = &r->stats->rows[i];
		if (shows_site(r->group_by))
			err = paths_add(p, st->file);
		if (r->group_by != AS_GROUP_TRACEBACK || !st->sample)
			continue;
		for (j = 0; j < st->sample->nlocs && !err; j++) {
			l = &st->snap->locations[st->sample->locs[j]];
			for (li = 0; li < l->nlines && !err; li++)
				err = paths_add(p, l->lines[li].file);
		}
	}
	return err ?: paths_index(p);
}

static void put_name(FILE *out, const struct as_report *r,
		     const struct as_stat *st, const struct paths *p);

/* A row's label; an mmap'd region's row says so. */
static void put_label(FILE *out, const struct as_report *r,
		      const struct as_stat *st, const struct paths *p)
{
	put_name(out, r, st, p);
	if (st->kind != AS_KIND_MALLOC)
		fprintf(out, " [%s]", sample_kind__name(st->kind));
}

static void put_name(FILE *out, const struct as_report *r,
		     const struct as_stat *st, const struct paths *p)
{
	if (r->system_wide && st->pid && r->group_by != AS_GROUP_PROCESS) {
		fprintf(out, "[%" PRIu32 " ", st->pid);
		escape__fputs(out, st->comm ? st->comm : "?");
		fputs("] ", out);
	}
	switch (r->group_by) {
	case AS_GROUP_LINENO:
	case AS_GROUP_TRACEBACK:
		if (!st->file)
			break;
		put_path(out, p, st->file);
		fprintf(out, ":%" PRId64, st->line);
		if (st->function) {
			fputs(" (", out);
			escape__fputs(out, st->function);
			putc(')', out);
		}
		return;
	case AS_GROUP_FILENAME:
		if (!st->file)
			break;
		put_path(out, p, st->file);
		return;
	case AS_GROUP_PROCESS:
		if (!st->pid)
			break;
		fprintf(out, "pid %" PRIu32 " (", st->pid);
		escape__fputs(out, st->comm ? st->comm : "?");
		putc(')', out);
		return;
	default:
		break;
	}
	escape__fputs(out, st->name);
}

static void put_numbers(FILE *out, int64_t size, int64_t size_diff,
			int64_t count, int64_t count_diff, bool average)
{
	char a[32], b[32];

	fprintf(out, "size=%s (%s), count=%" PRId64 " (%+" PRId64 ")",
		size__format(a, sizeof(a), (double)size, false),
		size__format(b, sizeof(b), (double)size_diff, true), count,
		count_diff);
	if (average && count)
		fprintf(out, ", average=%s",
			size__format(a, sizeof(a), (double)size / (double)count,
				     false));
}

static void put_hist(FILE *out, const char *what, const struct as_hist *h)
{
	char range[40];
	uint32_t i;

	fprintf(out, "    %s:", what);
	for (i = 0; i < h->n; i++)
		fprintf(out, " %s=%llu",
			duration__bucket(range, sizeof(range),
					 hist__bin_bucket(h, i)),
			(unsigned long long)hist__bin_count(h, i));
	putc('\n', out);
}

/* --lifetimes, --older-than: the row's time, then its histograms on
 * lines of their own. */
static void put_time(FILE *out, const struct as_report *r,
		     const struct as_stat *st)
{
	char a[16];

	if (r->lifetimes)
		fprintf(out, ", temporary=%" PRId64 ", freed=%llu",
			st->temporary,
			(unsigned long long)hist__total(&st->life));
	if (r->ages && st->count > 0)
		fprintf(out, ", oldest=%s",
			duration__format(a, sizeof(a), st->oldest_ns));
	putc('\n', out);
	if (r->lifetimes && st->life.n)
		put_hist(out, "lifetimes", &st->life);
	if (r->ages && st->age.n)
		put_hist(out, "ages", &st->age);
}

/* One line per frame, inlined lines first, innermost first. */
static void put_stack(FILE *out, const struct as_stat *st,
		      const struct paths *p)
{
	const struct as_snapshot *s = st->snap;
	const struct as_location *l;
	const struct as_line *ln;
	const char *mod;
	uint32_t j, li;

	for (j = 0; j < st->sample->nlocs; j++) {
		l = &s->locations[st->sample->locs[j]];
		mod = module_of(s, l);
		li = 0;
		do {
			ln = li < l->nlines ? &l->lines[li] : NULL;
			fputs("    ", out);
			if (ln && ln->file) {
				put_path(out, p, ln->file);
				fprintf(out, ":%" PRId64, ln->line);
				if (ln->function) {
					fputs(" (", out);
					escape__fputs(out, ln->function);
					putc(')', out);
				}
			} else if (ln && ln->function) {
				escape__fputs(out, ln->function);
			} else if (mod) {
				/* As in the row names: module+file offset. */
				escape__fputs(out, basename(mod));
				fprintf(out, "+0x%" PRIx64, l->rel_offset);
			} else {
				fprintf(out, "0x%" PRIx64, l->address);
			}
			if (mod && ln && (ln->file || ln->function)) {
				fputs("  ", out);
				escape__fputs(out, basename(mod));
			}
			if (li + 1 < l->nlines)
				fputs(" [inlined]", out);
			putc('\n', out);
		} while (++li < l->nlines);
	}
}

static void put_header(FILE *out, const struct as_report *r, size_t nrows)
{
	const struct as_process *p;

	fputs("[ ", out);
	put_hms(out, &r->snap->time);
	if (r->pid) {
		fprintf(out, " pid %" PRIu32, r->pid);
		p = snapshot__find_process(r->snap, r->pid);
		if (p) {
			fputs(" (", out);
			escape__fputs(out, p->comm);
			putc(')', out);
		}
	} else {
		fputs(" all processes", out);
	}
	if (r->top)
		fprintf(out, " top %d %s", r->top, unit_name(r->group_by));
	else
		fprintf(out, " all %zu %s", nrows, unit_name(r->group_by));
	if (r->prev) {
		fputs(", change since ", out);
		put_hms(out, &r->prev->time);
	} else {
		fputs(", since ", out);
		put_hms(out, &r->snap->start);
	}
	fputs(r->final ? " (final) ]\n" : " ]\n", out);
}

static long long rate(uint64_t now, uint64_t before, double dt)
{
	if (dt <= 0 || now < before)
		return 0;
	return llround((double)(now - before) / dt);
}

static void put_lost(FILE *out, const struct as_snapshot *s)
{
	bool any = false;
	size_t i;

	for (i = 0; i < s->ncounters; i++) {
		if (!s->counters[i].value)
			continue;
		fputs(any ? " " : "lost: ", out);
		escape__fputs(out, s->counters[i].name);
		fprintf(out, "=%" PRIu64, s->counters[i].value);
		any = true;
	}
	if (!any)
		fputs("lost=0", out);
}

static int put_footer(FILE *out, const struct as_report *r)
{
	const struct as_snapshot *s = r->snap;
	const struct as_process **procs = NULL, *p, *old;
	size_t i, n, total;
	double dt;
	char a[32], b[32];
	int err;

	/* System-wide, list the processes holding the most, not hundreds. */
	err = report__processes(r, r->system_wide ? (size_t)r->top : 0, &procs,
				&n, &total);
	if (err)
		return err;
	dt = ts_diff(&s->time, r->prev ? &r->prev->time : &s->start);
	for (i = 0; i < n; i++) {
		p = procs[i];
		old = r->prev ? snapshot__find_process(r->prev, p->pid) : NULL;
		fprintf(out, "pid %" PRIu32 " (", p->pid);
		escape__fputs(out, p->comm);
		fprintf(
		    out,
		    "): current=%s peak=%s  allocs=%lld/s frees=%lld/s  "
		    "failed=%" PRIu64 " unmatched_frees=%" PRIu64,
		    size__format(a, sizeof(a), (double)p->current_bytes, false),
		    size__format(b, sizeof(b), (double)p->peak_bytes, false),
		    rate(p->alloc_count, old ? old->alloc_count : 0, dt),
		    rate(p->free_count, old ? old->free_count : 0, dt),
		    p->failed_count, p->unmatched_free_count);
		if (p->mmap_peak)
			fprintf(out, "  mmap=%s (peak %s)",
				size__format(a, sizeof(a),
					     (double)p->mmap_bytes, false),
				size__format(b, sizeof(b), (double)p->mmap_peak,
					     false));
		if (p->pymalloc_bytes)
			fprintf(out, "  pymalloc arenas=%s",
				size__format(a, sizeof(a),
					     (double)p->pymalloc_bytes, false));
		/* inside the arenas: not in current or peak */
		if (p->pymalloc_blocks)
			fprintf(out, "  pymalloc blocks=%s",
				size__format(a, sizeof(a),
					     (double)p->pymalloc_blocks,
					     false));
		if (p->exited)
			fputs("  exited", out);
		if (p->inexact)
			fputs("  inexact", out);
		/* One process: its line also carries the lost counters, as
		 * in the single-process report users know. */
		if (total == 1) {
			fputs("  ", out);
			put_lost(out, s);
		}
		putc('\n', out);
	}
	if (total > n)
		fprintf(out, "%zu other processes\n", total - n);
	if (total != 1) {
		put_lost(out, s);
		putc('\n', out);
	}
	free(procs);
	return 0;
}

int report__text(FILE *out, const struct as_report *r)
{
	struct paths paths = {0};
	const struct as_stats *st = r->stats;
	size_t n = st ? st->n : 0, nshow, i;
	int64_t size = 0, size_diff = 0, count = 0, count_diff = 0;
	int err;

	nshow = r->top > 0 && (size_t)r->top < n ? (size_t)r->top : n;
	err = collect_paths(&paths, r, nshow);
	if (err)
		goto cleanup;
	put_header(out, r, n);
	for (i = 0; i < nshow; i++) {
		put_label(out, r, &st->rows[i], &paths);
		fputs(": ", out);
		put_numbers(out, st->rows[i].size, st->rows[i].size_diff,
			    st->rows[i].count, st->rows[i].count_diff, true);
		put_time(out, r, &st->rows[i]);
		if (r->group_by == AS_GROUP_TRACEBACK && st->rows[i].sample)
			put_stack(out, &st->rows[i], &paths);
	}
	if (nshow < n) {
		for (i = nshow; i < n; i++) {
			size += st->rows[i].size;
			size_diff += st->rows[i].size_diff;
			count += st->rows[i].count;
			count_diff += st->rows[i].count_diff;
		}
		fprintf(out, "%zu other: ", n - nshow);
		put_numbers(out, size, size_diff, count, count_diff, false);
		putc('\n', out);
	}
	err = put_footer(out, r);
	if (!err && (fflush(out) || ferror(out)))
		err = -EIO;
cleanup:
	free(paths.v);
	free(paths.ambiguous);
	return err;
}
