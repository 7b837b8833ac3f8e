// SPDX-License-Identifier: MIT
/* ep_index.c - /: the endpoints and the processes in view (HTML, no
 * script), each process linked to its own profile. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serve/endpoint.h"
#include "util/buf.h"
#include "view/escape.h"

/* @s in HTML text or an attribute: &, <, >, " and ' as references;
 * invalid UTF-8 replaced. */
static int add_html(struct as_strbuf *sb, const char *s)
{
	char *clean = utf8__clean(s ?: "");
	const char *p;
	int err = clean ? 0 : -ENOMEM;

	for (p = clean; p && *p && !err; p++) {
		switch (*p) {
		case '&':
			err = strbuf__add(sb, "&amp;");
			break;
		case '<':
			err = strbuf__add(sb, "&lt;");
			break;
		case '>':
			err = strbuf__add(sb, "&gt;");
			break;
		case '"':
			err = strbuf__add(sb, "&quot;");
			break;
		case '\'':
			err = strbuf__add(sb, "&#39;");
			break;
		default:
			err = strbuf__addc(sb, *p);
		}
	}
	free(clean);
	return err;
}

static const char head[] =
    "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
    "<title>allocsnoop</title></head><body>\n"
    "<h1>allocsnoop</h1>\n<h2>Endpoints</h2>\n<ul>\n"
    "<li><a href=\"debug/pprof/heap\">/debug/pprof/heap</a>: live memory "
    "(inuse_space first), gzipped pprof; ?pid=, ?comm=, ?cgroup= select, "
    "?seconds=N the change over the next N seconds</li>\n"
    "<li><a href=\"debug/pprof/allocs\">/debug/pprof/allocs</a>: the same "
    "profile, alloc_space first</li>\n"
    "<li><a href=\"metrics\">/metrics</a>: Prometheus metrics</li>\n"
    "</ul>\n<h2>Processes</h2>\n<table>\n"
    "<tr><th>pid</th><th>comm</th><th>live bytes</th><th>peak bytes</th>"
    "<th>executable</th><th>cgroup</th><th>profile</th></tr>\n";

static int add_row(struct as_strbuf *sb, const struct as_served *st,
		   const struct as_process *p)
{
	const struct as_proc_labels *l = served__labels(st, p->pid);
	char num[128];
	int err;

	snprintf(num, sizeof(num), "<tr><td>%u</td><td>", p->pid);
	err = strbuf__add(sb, num);
	err = err ?: add_html(sb, p->comm);
	snprintf(num, sizeof(num), "</td><td>%lld</td><td>%lld</td><td>",
		 (long long)p->current_bytes, (long long)p->peak_bytes);
	err = err ?: strbuf__add(sb, num);
	err = err ?: add_html(sb, l ? l->exe : NULL);
	err = err ?: strbuf__add(sb, "</td><td>");
	err = err ?: add_html(sb, l && l->cgroup ? l->cgroup : "/");
	snprintf(num, sizeof(num),
		 "</td><td><a href=\"debug/pprof/heap?pid=%u\">heap</a> "
		 "<a href=\"debug/pprof/allocs?pid=%u\">allocs</a>"
		 "</td></tr>\n",
		 p->pid, p->pid);
	return err ?: strbuf__add(sb, num);
}

int ep_index__reply(const struct as_served *st, struct as_reply *r)
{
	struct as_strbuf sb = {0};
	size_t i;
	int err;

	err = strbuf__add(&sb, head);
	for (i = 0; !err && i < st->snap->nprocesses; i++)
		err = add_row(&sb, st, &st->snap->processes[i]);
	err = err ?: strbuf__add(&sb, "</table>\n</body></html>\n");
	if (err) {
		strbuf__free(&sb);
		return err;
	}
	reply__ok(r, "text/html; charset=utf-8", NULL, sb.s, sb.len);
	return 0;
}
