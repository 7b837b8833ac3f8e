// SPDX-License-Identifier: MIT
/*
 * ep_metrics.c - /metrics in Prometheus' text exposition format (0.0.4):
 * per process, bounded to the top N by live bytes, with pid="all" the
 * total over every traced process; the loss counters by reason.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serve/endpoint.h"
#include "util/buf.h"

/* One per-process family: its help, type and value of a process. */
struct family {
	const char *name, *type, *help;
	bool total; /* has a pid="all" series */
	int64_t (*value)(const struct as_process *p);
};

static int64_t live(const struct as_process *p)
{
	return p->current_bytes;
}

static int64_t peak(const struct as_process *p)
{
	return p->peak_bytes;
}

static int64_t allocs(const struct as_process *p)
{
	return (int64_t)p->alloc_count;
}

static int64_t frees(const struct as_process *p)
{
	return (int64_t)p->free_count;
}

static const struct family families[] = {
    {"allocsnoop_live_bytes", "gauge",
     "Bytes allocated and not yet freed (requested sizes) since tracing "
     "began; pid=\"all\" is every traced process",
     true, live},
    {"allocsnoop_peak_bytes", "gauge",
     "The most live bytes a process held at once", false, peak},
    {"allocsnoop_allocations_total", "counter",
     "Allocations since tracing began; pid=\"all\" is every traced "
     "process",
     true, allocs},
    {"allocsnoop_frees_total", "counter",
     "Frees of traced allocations since tracing began; pid=\"all\" is "
     "every traced process",
     true, frees},
};

/* A label value: \, " and newline escaped, other control and non-ASCII
 * bytes as '?' (label values must be UTF-8; comm need not be). */
static int add_label_value(struct as_strbuf *sb, const char *v)
{
	int err = 0;

	for (; v && *v && !err; v++) {
		unsigned char c = (unsigned char)*v;

		if (c == '\\' || c == '"')
			err = strbuf__addc(sb, '\\') ?: strbuf__addc(sb, *v);
		else if (c == '\n')
			err = strbuf__add(sb, "\\n");
		else
			err =
			    strbuf__addc(sb, c < 0x20 || c >= 0x7f ? '?' : *v);
	}
	return err;
}

static int add_series(struct as_strbuf *sb, const struct family *f,
		      const struct as_process *p, int64_t v)
{
	char pid[16];
	int err;

	snprintf(pid, sizeof(pid), "%u", p ? p->pid : 0);
	err = strbuf__add(sb, f->name);
	err = err ?: strbuf__add(sb, "{pid=\"");
	err = err ?: strbuf__add(sb, p ? pid : "all");
	if (p) {
		err = err ?: strbuf__add(sb, "\",comm=\"");
		err = err ?: add_label_value(sb, p->comm);
	}
	err = err ?: strbuf__add(sb, "\"} ");
	err = err ?: strbuf__add_i64(sb, v);
	return err ?: strbuf__addc(sb, '\n');
}

static int cmp_live(const void *a, const void *b)
{
	const struct as_process *x = *(const struct as_process *const *)a;
	const struct as_process *y = *(const struct as_process *const *)b;

	if (x->current_bytes != y->current_bytes)
		return x->current_bytes > y->current_bytes ? -1 : 1;
	return (x->pid > y->pid) - (x->pid < y->pid);
}

static int add_family(struct as_strbuf *sb, const struct family *f,
		      const struct as_snapshot *s,
		      const struct as_process **top, size_t ntop)
{
	int64_t total = 0;
	size_t i;
	int err;

	err = strbuf__add(sb, "# HELP ");
	err = err ?: strbuf__add(sb, f->name);
	err = err ?: strbuf__addc(sb, ' ');
	err = err ?: strbuf__add(sb, f->help);
	err = err ?: strbuf__add(sb, "\n# TYPE ");
	err = err ?: strbuf__add(sb, f->name);
	err = err ?: strbuf__addc(sb, ' ');
	err = err ?: strbuf__add(sb, f->type);
	err = err ?: strbuf__addc(sb, '\n');
	for (i = 0; !err && i < ntop; i++)
		err = add_series(sb, f, top[i], f->value(top[i]));
	for (i = 0; i < s->nprocesses; i++)
		total += f->value(&s->processes[i]);
	if (!err && f->total)
		err = add_series(sb, f, NULL, total);
	return err;
}

static int add_lost(struct as_strbuf *sb, const struct as_snapshot *s)
{
	size_t i;
	int err;

	err = strbuf__add(sb, "# HELP allocsnoop_lost_total What the tracer "
			      "could not keep exactly, by reason (see "
			      "allocsnoop(8))\n"
			      "# TYPE allocsnoop_lost_total counter\n");
	for (i = 0; !err && i < s->ncounters; i++) {
		err = strbuf__add(sb, "allocsnoop_lost_total{reason=\"");
		err = err ?: add_label_value(sb, s->counters[i].name);
		err = err ?: strbuf__add(sb, "\"} ");
		err = err
			  ?: strbuf__add_u64(sb, s->counters[i].value, false,
					     false);
		err = err ?: strbuf__addc(sb, '\n');
	}
	err = err
		  ?: strbuf__add(sb, "# HELP allocsnoop_processes Processes "
				     "traced now\n"
				     "# TYPE allocsnoop_processes gauge\n"
				     "allocsnoop_processes ");
	err = err ?: strbuf__add_u64(sb, s->nprocesses, false, false);
	return err ?: strbuf__addc(sb, '\n');
}

int ep_metrics__reply(const struct as_served *st, unsigned top,
		      struct as_reply *r)
{
	const struct as_snapshot *s = st->snap;
	const struct as_process **procs;
	struct as_strbuf sb = {0};
	size_t i, n = s->nprocesses;
	int err = 0;

	procs = calloc(n ?: 1, sizeof(*procs));
	if (!procs)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		procs[i] = &s->processes[i];
	qsort(procs, n, sizeof(*procs), cmp_live);
	if (n > top)
		n = top;
	for (i = 0; !err && i < sizeof(families) / sizeof(families[0]); i++)
		err = add_family(&sb, &families[i], s, procs, n);
	err = err ?: add_lost(&sb, s);
	free(procs);
	if (err) {
		strbuf__free(&sb);
		return err;
	}
	reply__ok(r, "text/plain; version=0.0.4; charset=utf-8", NULL, sb.s,
		  sb.len);
	return 0;
}
