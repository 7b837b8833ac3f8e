// SPDX-License-Identifier: MIT
/*
 * cmd_show.c - `allocsnoop show FILE`: print a snapshot file as the live
 * tracer printed its report at that moment.
 */
#include <argp.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/cmd.h"
#include "cli/view_opts.h"
#include "profile/pprof.h"
#include "view/pipeline.h"

struct show_opts {
	const char *file;
	struct as_view_opts view;
};

static const char doc[] =
    "Print a snapshot file as the live report showed it at that moment.\n"
    "\n"
    "USAGE: allocsnoop show FILE [--pid PID]... [OPTIONS]\n"
    "\n"
    "FILE is a snapshot written with -o (a gzipped pprof heap profile); "
    "other pprof heap profiles, such as Go's, are read too.\n"
    "\n"
    "EXAMPLES:\n"
    "    allocsnoop show snap.pb.gz             # top 10 lines holding memory\n"
    "    allocsnoop show snap.pb.gz -T 0        # every line\n"
    "    allocsnoop show snap.pb.gz -g traceback -T 3   # the 3 biggest "
    "stacks\n"
    "    allocsnoop show snap.pb.gz --pid 4242  # only process 4242\n"
    "    allocsnoop show snap.pb.gz --json      # one JSON object\n"
    "    allocsnoop show snap.pb.gz --folded > snap.folded  # flamegraph.pl\n"
    "\v"
    "Exit status: 0 on success, 1 when the file cannot be read or the "
    "report cannot be written, 2 on a usage error.";

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	struct show_opts *o = state->input;

	switch (key) {
	case ARGP_KEY_INIT:
		view_opts__give(state, &o->view, 3);
		break;
	case ARGP_KEY_ARG:
		if (o->file)
			argp_error(state,
				   "unexpected argument '%s': show takes one "
				   "FILE (use diff to compare two)",
				   arg);
		o->file = arg;
		break;
	case ARGP_KEY_END:
		if (!o->file)
			argp_error(state, "missing the snapshot FILE to show");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static int show(void *opts)
{
	const struct show_opts *o = opts;
	struct as_snapshot *s = NULL;
	struct as_filter filter;
	struct as_view_run run;
	struct as_view view;
	uint32_t missing, pid;
	char err[512];
	size_t n;
	int ret = 1;

	if (snapshot__read(o->file, &s, err, sizeof(err))) {
		fprintf(stderr, "allocsnoop: %s\n", err);
		return 1;
	}
	view_opts__view(&o->view, &filter, &view);
	missing = pipeline__missing_pid(s, &filter);
	if (missing) {
		fprintf(stderr,
			"allocsnoop: %s has no process %u; run 'allocsnoop "
			"show %s -g process -T 0' to list its processes\n",
			o->file, missing, o->file);
		goto cleanup;
	}
	/* The processes in view decide the header, as in the live report:
	 * one names its pid, several make rows per process. */
	n = pipeline__count_pids(s, &filter, &pid);
	run = (struct as_view_run){
	    .now = s,
	    .seq = 1,
	    .final = true,
	    .per_process = n > 1,
	    .pid = pid,
	    .source = o->file,
	};
	ret = pipeline__run(stdout, &view, &run, NULL) ? 1 : 0;
cleanup:
	snapshot__free(s);
	return ret;
}

int cmd__show(int argc, char **argv)
{
	static const struct as_view_cmd cmd = {
	    .name = "allocsnoop show",
	    .argp = {.parser = parse_opt, .args_doc = "FILE", .doc = doc},
	    .run = show,
	};
	struct show_opts o = {0};

	return view_opts__run_cmd(&cmd, argc, argv, &o, &o.view);
}
