/* SPDX-License-Identifier: MIT */
/*
 * trace_opts.h - the tracing command line: `allocsnoop [-p PID | -c CMD]
 * [OPTIONS] [interval [count]]`.
 *
 * Owned by the trace_opts module: the options, their parsing and the
 * checks between them, with the view options (view_opts.h) as children.
 * Strings point into argv.
 */
#ifndef ALLOCSNOOP_TRACE_OPTS_H
#define ALLOCSNOOP_TRACE_OPTS_H

#include <stdbool.h>
#include <sys/types.h>

#include "cli/view_opts.h"
#include "serve/server.h"
#include "trace/tracer.h"

struct as_trace_opts {
	pid_t pid;		/* -p, 0 = none */
	const char *command;	/* -c */
	const char *output;	/* -o pattern */
	const char *on_oom;	/* --on-oom pattern */
	uint64_t older_than_ns; /* --older-than, 0 = every live block */
	double interval;	/* seconds */
	long count;		/* reports, 0 = until stopped */
	bool verbose;
	bool native; /* --native: no Python frames */
	struct as_tracer_opts tracer;
	struct as_view_opts view;
	struct as_serve_opts serve; /* --listen and its options */
	/* Reports are printed: not serving, or -v, -T or an interval
	 * given too (set when parsing ends). */
	bool print;
	int npositional;
};

/* Fills @o from the command line; returns 0, or the exit status of a
 * usage error (2, said on stderr) or --help (0 after argp exits). */
int trace_opts__parse(int argc, char **argv, struct as_trace_opts *o);
void trace_opts__free(struct as_trace_opts *o);

#endif
