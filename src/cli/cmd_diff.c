// SPDX-License-Identifier: MIT
/*
 * cmd_diff.c - `allocsnoop diff OLD NEW`: what changed between two
 * snapshot files, like tracemalloc's new.compare_to(old, key).
 */
#include <argp.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cmd.h"
#include "cli/view_opts.h"
#include "profile/pprof.h"
#include "view/format.h"
#include "view/group.h"
#include "view/report.h"

struct diff_opts {
	const char *old, *new;
	struct as_view_opts view;
};

static const char doc[] =
    "Compare two snapshot files: what each line holds in NEW and how that "
    "changed since OLD.\n"
    "\n"
    "USAGE: allocsnoop diff OLD NEW [--pid PID]... [OPTIONS]\n"
    "\n"
    "Rows match by source line (or the --group-by key), not by process, "
    "so snapshots of two runs of a program compare too.\n"
    "\n"
    "EXAMPLES:\n"
    "    allocsnoop diff before.pb.gz after.pb.gz       # top 10 changed "
    "lines\n"
    "    allocsnoop diff before.pb.gz after.pb.gz -g function\n"
    "    allocsnoop diff before.pb.gz after.pb.gz -g traceback -T 3\n"
    "    allocsnoop diff a.pb.gz b.pb.gz -p 4242 -p 4300  # these pids only\n"
    "    allocsnoop diff a.pb.gz b.pb.gz --min-size 1M --json\n"
    "\v"
    "Exit status: 0 on success, 1 when a file cannot be read or the "
    "report cannot be written, 2 on a usage error.";

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	struct diff_opts *o = state->input;

	switch (key) {
	case ARGP_KEY_INIT:
		state->child_inputs[0] = &o->view;
		state->child_inputs[1] = &o->view;
		break;
	case ARGP_KEY_ARG:
		if (!o->old)
			o->old = arg;
		else if (!o->new)
			o->new = arg;
		else
			argp_error(state,
				   "unexpected argument '%s': diff takes OLD "
				   "and NEW",
				   arg);
		break;
	case ARGP_KEY_END:
		if (!o->new)
			argp_error(state, "diff needs two snapshot files, OLD "
					  "and NEW");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static int read_snap(const char *path, struct as_snapshot **out)
{
	char err[512];

	if (snapshot__read(path, out, err, sizeof(err))) {
		fprintf(stderr, "allocsnoop: %s\n", err);
		return -1;
	}
	return 0;
}

/* The one process of @s in view, for the header; 0 when several. */
static uint32_t single_pid(const struct as_snapshot *s,
			   const struct diff_opts *o)
{
	uint32_t pid = 0;
	size_t i, j, n = 0;

	for (i = 0; i < s->nprocesses; i++) {
		bool in = !o->view.npids;

		for (j = 0; j < o->view.npids; j++)
			in |= o->view.pids[j] == s->processes[i].pid;
		if (in) {
			pid = s->processes[i].pid;
			n++;
		}
	}
	return n == 1 ? pid : 0;
}

static int diff(const struct diff_opts *o)
{
	struct as_stats *st_old = NULL, *st_new = NULL, *cmp = NULL;
	struct as_snapshot *old = NULL, *new = NULL;
	struct as_group_opts go;
	struct as_filter filter;
	struct as_report r;
	int ret = 1;

	if (read_snap(o->old, &old) || read_snap(o->new, &new))
		goto cleanup;
	view_opts__filter(&o->view, &filter);
	/* keys without the pid: rows of two runs (two pids) match */
	go = (struct as_group_opts){
	    .by = o->view.group_by,
	    .per_process = false,
	    .cumulative = o->view.cumulative,
	    .filter = &filter,
	};
	ret = stats__group(old, &go, &st_old);
	ret = ret ?: stats__group(new, &go, &st_new);
	ret = ret ?: stats__compare(st_new, st_old, &cmp);
	if (ret) {
		fprintf(stderr, "allocsnoop: cannot compare %s and %s: %s\n",
			o->old, o->new, strerror(-ret));
		ret = 1;
		goto cleanup;
	}
	r = (struct as_report){
	    .seq = 1,
	    .final = true,
	    .group_by = o->view.group_by,
	    .top = o->view.top,
	    .system_wide = false,
	    .pid = single_pid(new, o),
	    .snap = new,
	    .prev = old,
	    .stats = cmp,
	    .folded_value = o->view.folded_value,
	};
	ret = format__emit(o->view.format, stdout, &r) ? 1 : 0;
cleanup:
	stats__free(cmp);
	stats__free(st_new);
	stats__free(st_old);
	snapshot__free(new);
	snapshot__free(old);
	return ret;
}

int cmd__diff(int argc, char **argv)
{
	static const struct argp_child children[] = {
	    {&as_view_argp, 0, "Report options:", 2},
	    {&as_view_pid_argp, 0, NULL, 0},
	    {0},
	};
	static const struct argp argp = {
	    .parser = parse_opt,
	    .args_doc = "OLD NEW",
	    .doc = doc,
	    .children = children,
	};
	struct diff_opts o = {0};
	char *name = argv[0];
	int rc;

	view_opts__init(&o.view);
	/* argp names the program after argv[0] in usage and errors */
	argv[0] = "allocsnoop diff";
	rc = argp_parse(&argp, argc, argv, 0, NULL, &o) ? 2 : diff(&o);
	argv[0] = name;
	view_opts__free(&o.view);
	return rc;
}
