// SPDX-License-Identifier: MIT
/* view_opts.c - argp child parser for the report options. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "cli/parse.h"
#include "cli/view_opts.h"
#include "util/buf.h"

enum {
	OPT_FORMAT = 0x1000,
	OPT_FOLDED,
	OPT_FOLDED_VALUE,
	OPT_CUMULATIVE,
	OPT_INCLUDE,
	OPT_EXCLUDE,
	OPT_MIN_SIZE,
	OPT_NO_MMAP,
	OPT_SORT,
	OPT_LIFETIMES,
	OPT_AGES,
};

static const struct argp_option options[] = {
    {"group-by", 'g', "KEY", 0,
     "Group rows by KEY: lineno (default), filename, function, "
     "traceback, module or process"},
    {"top", 'T', "N", 0, "Show the N biggest rows (default 10, 0 = all)"},
    /* help_filter() appends the names of the formats */
    {"format", OPT_FORMAT, "NAME", 0, "Print reports in the format NAME:"},
    {"json", 'j', NULL, 0,
     "Print each report as one JSON object per line (--format json)"},
    {"folded", OPT_FOLDED, NULL, 0,
     "Print folded stacks for flamegraph.pl, inferno or speedscope "
     "(--format folded)"},
    {"folded-value", OPT_FOLDED_VALUE, "KIND", 0,
     "Width of a folded stack: size (live bytes, default), alloc_size, "
     "count or alloc_count"},
    {"cumulative", OPT_CUMULATIVE, NULL, 0,
     "With -g lineno or filename, charge an allocation to every frame "
     "of its stack, not only to its allocation site"},
    {"sort", OPT_SORT, "KEY", 0,
     "Order rows by KEY first: size (tracemalloc's order, default), "
     "temporary, age (oldest live block) or allocated (bytes since "
     "attach)"},
    {"lifetimes", OPT_LIFETIMES, NULL, 0,
     "Show per row its temporary allocations, frees and a histogram of "
     "how long freed blocks lived"},
    {"ages", OPT_AGES, NULL, 0,
     "Show per row its oldest live block's age and a histogram of live "
     "blocks' ages"},
    {0},
};

static const struct argp_option filter_options[] = {
    {"include", OPT_INCLUDE, "GLOB", 0,
     "Only count allocations with a frame whose source file or module "
     "path matches GLOB (repeatable)"},
    {"exclude", OPT_EXCLUDE, "GLOB", 0,
     "Do not count allocations whose allocation site's source file or "
     "module path matches GLOB; <unknown> matches a site without a "
     "source file (repeatable)"},
    {"min-size", OPT_MIN_SIZE, "BYTES", 0,
     "Hide rows smaller than BYTES in both snapshots (suffixes K, M, G "
     "for KiB, MiB, GiB)"},
    {"no-mmap", OPT_NO_MMAP, NULL, 0,
     "Leave out the regions mapped with mmap directly (rows marked "
     "[mmap]); when tracing, do not trace mmap at all"},
    {0},
};

void view_opts__init(struct as_view_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->group_by = AS_GROUP_LINENO;
	o->top = 10;
}

void view_opts__free(struct as_view_opts *o)
{
	free(o->include);
	free(o->exclude);
	free(o->pids);
	o->include = o->exclude = NULL;
	o->pids = NULL;
	o->ninclude = o->nexclude = o->npids = 0;
	o->include_cap = o->exclude_cap = o->pids_cap = 0;
}

int view_opts__filter(const struct as_view_opts *o, struct as_filter *out)
{
	memset(out, 0, sizeof(*out));
	out->include = o->include;
	out->ninclude = o->ninclude;
	out->exclude = o->exclude;
	out->nexclude = o->nexclude;
	out->pids = o->pids;
	out->npids = o->npids;
	out->min_size = o->min_size;
	out->no_mmap = o->no_mmap;
	return 0;
}

void view_opts__view(const struct as_view_opts *o, struct as_filter *filter,
		     struct as_view *view)
{
	view_opts__filter(o, filter);
	*view = (struct as_view){
	    .group_by = o->group_by,
	    .top = o->top,
	    .cumulative = o->cumulative,
	    .filter = filter,
	    .format = o->format,
	    .folded_value = o->folded_value,
	    .sort = o->sort,
	    .lifetimes = o->lifetimes || o->sort == AS_SORT_TEMPORARY,
	    .ages = o->ages || o->sort == AS_SORT_AGE,
	};
}

/* Appends @arg to --include's or --exclude's list. */
static int push_glob(struct as_view_opts *o, int key, const char *arg)
{
	if (key == OPT_INCLUDE) {
		if (BUF_RESERVE(o->include, o->include_cap, o->ninclude + 1))
			return -ENOMEM;
		o->include[o->ninclude++] = arg;
	} else {
		if (BUF_RESERVE(o->exclude, o->exclude_cap, o->nexclude + 1))
			return -ENOMEM;
		o->exclude[o->nexclude++] = arg;
	}
	return 0;
}

static bool folded_value_ok(const char *s)
{
	return strcmp(s, "size") == 0 || strcmp(s, "alloc_size") == 0 ||
	       strcmp(s, "count") == 0 || strcmp(s, "alloc_count") == 0;
}

static int set_format(struct argp_state *state, struct as_view_opts *o,
		      const char *name)
{
	char names[128];

	o->format = format__find(name);
	if (!o->format) {
		argp_error(state, "invalid --format '%s': expected %s", name,
			   format__names(names, sizeof(names)));
		return EINVAL;
	}
	o->format_given = true;
	return 0;
}

/*
 * --json and --folded are --format json and --format folded: any two
 * that name different formats are an error, the same one twice is not.
 */
static int resolve_format(struct argp_state *state, struct as_view_opts *o)
{
	const struct as_format *json = format__find("json");
	const struct as_format *folded = format__find("folded");

	if (o->json && o->folded) {
		argp_error(state, "--json and --folded cannot be used "
				  "together: pick one output format");
		return EINVAL;
	}
	if (o->format_given && ((o->json && o->format != json) ||
				(o->folded && o->format != folded))) {
		argp_error(state,
			   "--format %s and --%s cannot be used together: "
			   "pick one output format",
			   o->format->name, o->json ? "json" : "folded");
		return EINVAL;
	}
	if (!o->format_given)
		o->format = o->json	? json
			    : o->folded ? folded
					: format__find("text");
	return 0;
}

/* What can only be checked once every option is known. */
static int check_opts(struct argp_state *state, struct as_view_opts *o)
{
	if (resolve_format(state, o))
		return EINVAL;
	if (o->folded_value && strcmp(o->format->name, "folded") != 0) {
		argp_error(state, "--folded-value needs --folded (or "
				  "--format folded)");
		return EINVAL;
	}
	if (o->cumulative && o->group_by != AS_GROUP_LINENO &&
	    o->group_by != AS_GROUP_FILENAME) {
		argp_error(state,
			   "--cumulative works with --group-by lineno or "
			   "filename, not %s",
			   group_by__name(o->group_by));
		return EINVAL;
	}
	return 0;
}

/* The options that take a value to check. */
static int parse_value(int key, char *arg, struct argp_state *state,
		       struct as_view_opts *o)
{
	uint64_t v;

	switch (key) {
	case 'g':
		if (!group_by__parse(arg, &o->group_by))
			return 0;
		argp_error(state,
			   "invalid --group-by '%s': expected lineno, "
			   "filename, function, traceback, module or process",
			   arg);
		return EINVAL;
	case 'T':
		if (!parse__uint(arg, INT_MAX, &v)) {
			o->top = (int)v;
			o->top_given = true;
			return 0;
		}
		argp_error(state, "invalid --top '%s': expected a number >= 0",
			   arg);
		return EINVAL;
	case OPT_FOLDED_VALUE:
		if (folded_value_ok(arg)) {
			o->folded_value = arg;
			return 0;
		}
		argp_error(state,
			   "invalid --folded-value '%s': expected size, "
			   "alloc_size, count or alloc_count",
			   arg);
		return EINVAL;
	case OPT_SORT:
		if (!sort__parse(arg, &o->sort))
			return 0;
		argp_error(state,
			   "invalid --sort '%s': expected size, temporary, "
			   "age or allocated",
			   arg);
		return EINVAL;
	}
	return ARGP_ERR_UNKNOWN;
}

static error_t parse_filter_opt(int key, char *arg, struct argp_state *state)
{
	struct as_view_opts *o = state->input;
	uint64_t v;

	if (!o)
		return ARGP_ERR_UNKNOWN;
	switch (key) {
	case OPT_INCLUDE:
	case OPT_EXCLUDE:
		if (!push_glob(o, key, arg))
			return 0;
		argp_failure(state, EXIT_FAILURE, ENOMEM,
			     "cannot store --%s '%s'",
			     key == OPT_INCLUDE ? "include" : "exclude", arg);
		return ENOMEM;
	case OPT_NO_MMAP:
		o->no_mmap = true;
		return 0;
	case OPT_MIN_SIZE:
		if (!parse__bytes(arg, INT64_MAX, &v)) {
			o->min_size = (int64_t)v;
			return 0;
		}
		argp_error(state,
			   "invalid --min-size '%s': expected bytes such as "
			   "4096, 64K, 1M or 2G",
			   arg);
		return EINVAL;
	}
	return ARGP_ERR_UNKNOWN;
}

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	struct as_view_opts *o = state->input;

	if (!o)
		return ARGP_ERR_UNKNOWN;
	switch (key) {
	case OPT_FORMAT:
		return set_format(state, o, arg);
	case 'j':
		o->json = true;
		return 0;
	case OPT_FOLDED:
		o->folded = true;
		return 0;
	case OPT_CUMULATIVE:
		o->cumulative = true;
		return 0;
	case OPT_LIFETIMES:
		o->lifetimes = true;
		return 0;
	case OPT_AGES:
		o->ages = true;
		return 0;
	case ARGP_KEY_END:
		return check_opts(state, o);
	default:
		return parse_value(key, arg, state, o);
	}
}

/* --format's help names the formats of the table, so it cannot go stale. */
static char *help_filter(int key, const char *text, void *input)
{
	char names[128], *s;

	(void)input;
	if (key != OPT_FORMAT || !text)
		return (char *)text;
	if (asprintf(&s, "%s %s (default text)", text,
		     format__names(names, sizeof(names))) < 0)
		return (char *)text;
	return s;
}

static const struct argp_option pid_options[] = {
    {"pid", 'p', "PID", 0,
     "Only allocations of process PID, in every snapshot read (repeatable)"},
    {0},
};

static int push_pid(struct argp_state *state, struct as_view_opts *o,
		    const char *arg)
{
	uint64_t v;
	int err;

	if (parse__uint(arg, INT_MAX, &v) || v == 0) {
		argp_error(state,
			   "invalid pid '%s': expected a positive process id",
			   arg);
		return EINVAL;
	}
	err = BUF_RESERVE(o->pids, o->pids_cap, o->npids + 1);
	if (err) {
		argp_failure(state, EXIT_FAILURE, ENOMEM,
			     "cannot store --pid %s", arg);
		return ENOMEM;
	}
	o->pids[o->npids++] = (uint32_t)v;
	return 0;
}

static error_t parse_pid_opt(int key, char *arg, struct argp_state *state)
{
	struct as_view_opts *o = state->input;

	if (!o || key != 'p')
		return ARGP_ERR_UNKNOWN;
	return push_pid(state, o, arg);
}

const struct argp as_view_pid_argp = {
    .options = pid_options,
    .parser = parse_pid_opt,
};

const struct argp as_view_argp = {
    .options = options,
    .parser = parse_opt,
    .help_filter = help_filter,
};

const struct argp as_view_filter_argp = {
    .options = filter_options,
    .parser = parse_filter_opt,
};

void view_opts__give(struct argp_state *state, struct as_view_opts *view,
		     size_t nchildren)
{
	size_t i;

	for (i = 0; i < nchildren; i++)
		state->child_inputs[i] = view;
}

int view_opts__run_cmd(const struct as_view_cmd *cmd, int argc, char **argv,
		       void *opts, struct as_view_opts *view)
{
	static const struct argp_child children[] = {
	    {&as_view_argp, 0, "Report options:", 2},
	    {&as_view_filter_argp, 0, NULL, 2},
	    {&as_view_pid_argp, 0, NULL, 0},
	    {0},
	};
	struct argp argp = cmd->argp;
	char *argv0 = argv[0];
	error_t err;
	int rc;

	argp.children = children;
	view_opts__init(view);
	/* argp names the program after argv[0] in usage and errors */
	argv[0] = (char *)cmd->name;
	err = argp_parse(&argp, argc, argv, 0, NULL, opts);
	argv[0] = argv0;
	rc = err ? 2 : cmd->run(opts);
	view_opts__free(view);
	return rc;
}
