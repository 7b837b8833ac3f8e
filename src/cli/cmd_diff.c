// SPDX-License-Identifier: MIT
/*
 * cmd_diff.c - `allocsnoop diff OLD NEW`: what changed between two
 * snapshot files, like tracemalloc's new.compare_to(old, key).
 */
#include <argp.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/cmd.h"
#include "cli/view_opts.h"
#include "profile/pprof.h"
#include "view/pipeline.h"

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
		view_opts__give(state, &o->view, 3);
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

static int diff(void *opts)
{
	const struct diff_opts *o = opts;
	struct as_snapshot *old = NULL, *new = NULL;
	struct as_filter filter;
	struct as_view_run run;
	struct as_view view;
	char source[2 * PATH_MAX];
	uint32_t pid;
	int ret = 1;

	if (read_snap(o->old, &old) || read_snap(o->new, &new))
		goto cleanup;
	view_opts__view(&o->view, &filter, &view);
	pipeline__count_pids(new, &filter, &pid);
	snprintf(source, sizeof(source), "%s and %s", o->old, o->new);
	run = (struct as_view_run){
	    .now = new,
	    .prev = old,
	    .seq = 1,
	    .final = true,
	    /* keys without the pid: rows of two runs (two pids) match */
	    .per_process = false,
	    .pid = pid,
	    .source = source,
	};
	ret = pipeline__run(stdout, &view, &run, NULL) ? 1 : 0;
cleanup:
	snapshot__free(new);
	snapshot__free(old);
	return ret;
}

int cmd__diff(int argc, char **argv)
{
	static const struct as_view_cmd cmd = {
	    .name = "allocsnoop diff",
	    .argp = {.parser = parse_opt, .args_doc = "OLD NEW", .doc = doc},
	    .run = diff,
	};
	struct diff_opts o = {0};

	return view_opts__run_cmd(&cmd, argc, argv, &o, &o.view);
}
