/* SPDX-License-Identifier: MIT */
/*
 * view_opts.h - the report options shared by the live tracer and the
 * show/diff subcommands: grouping, number of rows, output format (by
 * name, from the view's format table) and tracemalloc-style filters, as
 * an argp child parser; and what show and diff share to run.
 *
 * Owned by the view_opts module. The parent lists as_view_argp in its
 * argp children and passes a struct as_view_opts * as the child's input
 * (state->child_inputs[i] at ARGP_KEY_INIT), initialised with
 * view_opts__init(). The child uses the short options -g, -T and -j.
 * as_view_pid_argp is a second child, for show and diff only (the
 * tracer's own -p means another thing): --pid/-p, given the same input;
 * view_opts__run_cmd() sets up both for a subcommand. view_opts__view()
 * turns the options into the struct as_view the pipeline takes: the CLI
 * knows the view, never the other way round. String values point into
 * argv; only the lists are allocated.
 */
#ifndef ALLOCSNOOP_VIEWOPTS_H
#define ALLOCSNOOP_VIEWOPTS_H

#include <argp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "view/format.h"
#include "view/group.h"
#include "view/pipeline.h"

struct as_view_opts {
	enum as_group_by group_by; /* default lineno */
	int top;		   /* rows per report, 0 = all; default 10 */
	bool top_given;		   /* -T was given */
	/* The output format: --format NAME, or its aliases --json and
	 * --folded (flags below); text when none was given. Set when parsing
	 * ends; NULL before. */
	const struct as_format *format;
	bool format_given;	  /* --format was given */
	bool json;		  /* --json was given */
	bool folded;		  /* --folded was given */
	const char *folded_value; /* NULL = size */
	bool cumulative;
	enum as_sort sort; /* --sort */
	bool lifetimes;	   /* --lifetimes */
	bool ages;	   /* --ages (--older-than sets it too) */
	const char **include;
	size_t ninclude, include_cap;
	const char **exclude;
	size_t nexclude, exclude_cap;
	int64_t min_size;
	bool no_mmap;	/* --no-mmap */
	uint32_t *pids; /* --pid, in the order given */
	size_t npids, pids_cap;
};

/* The rows and their format (-g, -T, --format, ...); which allocations
 * count (--include, --exclude, --min-size, --no-mmap); --pid, for the
 * subcommands that read snapshots. */
extern const struct argp as_view_argp;
extern const struct argp as_view_filter_argp;
extern const struct argp as_view_pid_argp;

void view_opts__init(struct as_view_opts *o);
void view_opts__free(struct as_view_opts *o);

/* Fills @out with the filter the options describe (--pid included);
 * @out borrows the option lists. Returns 0. */
int view_opts__filter(const struct as_view_opts *o, struct as_filter *out);

/* A subcommand that reads snapshots (show, diff). */
struct as_view_cmd {
	const char *name;	/* "allocsnoop show": usage and errors say it */
	struct argp argp;	/* its own parser, arguments and doc */
	int (*run)(void *opts); /* returns the exit status */
};

/*
 * Runs @cmd: initialises @view (a member of @opts), parses the command
 * line with @cmd's argp and as_view_argp and as_view_pid_argp as its
 * children, runs it and frees @view. @cmd's parser calls
 * view_opts__give() at ARGP_KEY_INIT. Returns the exit status:
 * @cmd->run's, or 2 on a usage error.
 */
int view_opts__run_cmd(const struct as_view_cmd *cmd, int argc, char **argv,
		       void *opts, struct as_view_opts *view);

/* Hands @view to the first @nchildren children of @state's parser, all of
 * them view option parsers. */
void view_opts__give(struct argp_state *state, struct as_view_opts *view,
		     size_t nchildren);

/* Fills @view (and @filter, which it points to) with what the options
 * show; both borrow the option lists. */
void view_opts__view(const struct as_view_opts *o, struct as_filter *filter,
		     struct as_view *view);

#endif
