// SPDX-License-Identifier: MIT
/*
 * cmd_report.c - `allocsnoop report FILE [NEW]`: one self-contained HTML
 * page (flame graph, memory over time, top lines) of a snapshot or of the
 * change between two, or speedscope's JSON.
 */
#include <argp.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cmd.h"
#include "cli/view_opts.h"
#include "profile/pprof.h"
#include "util/atomic_file.h"
#include "view/group.h"
#include "view/html.h"
#include "view/speedscope.h"

struct report_opts {
	const char *files[2]; /* FILE, or OLD and NEW */
	size_t nfiles;
	const char *output; /* NULL = standard output */
	bool speedscope;
	enum as_group_by group_by;
	struct as_view_opts view; /* which allocations count, --pid */
};

static const char doc[] =
    "Write a snapshot file as one self-contained HTML page: a flame graph "
    "of live or allocated bytes and counts (zoom, search, tooltips), the "
    "memory over time when the snapshot has it, and the top lines as the "
    "text report shows them. With two files, the page shows the change "
    "from OLD to NEW: a flame graph coloured by growth and shrinkage and "
    "the rows with their differences.\n"
    "\n"
    "USAGE: allocsnoop report FILE [OPTIONS]\n"
    "       allocsnoop report OLD NEW [OPTIONS]\n"
    "\n"
    "The page opens offline in any browser: its script and styles are "
    "inside it and it loads nothing. --format speedscope writes "
    "speedscope's JSON file format instead.\n"
    "\n"
    "EXAMPLES:\n"
    "    allocsnoop report snap.pb.gz -o report.html\n"
    "    allocsnoop report before.pb.gz after.pb.gz -o diff.html\n"
    "    allocsnoop report snap.pb.gz -g function -o report.html\n"
    "    allocsnoop report snap.pb.gz --format speedscope -o snap.json\n"
    "\v"
    "Exit status: 0 on success, 1 when a file cannot be read or the "
    "report cannot be written, 2 on a usage error.";

static const struct argp_option options[] = {
    {"output", 'o', "FILE", 0,
     "Write to FILE (default: standard output); it is replaced whole or "
     "not at all",
     0},
    {"format", 'f', "FORMAT", 0,
     "html (default) or speedscope (speedscope's JSON file format)", 0},
    {"group-by", 'g', "KEY", 0,
     "Rows of the table: lineno (default), filename, function, traceback, "
     "module or process",
     0},
    {0},
};

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	struct report_opts *o = state->input;

	switch (key) {
	case ARGP_KEY_INIT:
		view_opts__give(state, &o->view, 2);
		break;
	case 'o':
		o->output = strcmp(arg, "-") ? arg : NULL;
		break;
	case 'f':
		if (strcmp(arg, "html") && strcmp(arg, "speedscope"))
			argp_error(state,
				   "invalid --format '%s': expected html or "
				   "speedscope",
				   arg);
		o->speedscope = strcmp(arg, "speedscope") == 0;
		break;
	case 'g':
		if (group_by__parse(arg, &o->group_by))
			argp_error(state,
				   "invalid --group-by '%s': expected lineno, "
				   "filename, function, traceback, module or "
				   "process",
				   arg);
		break;
	case ARGP_KEY_ARG:
		if (o->nfiles == 2)
			argp_error(state,
				   "unexpected argument '%s': report takes "
				   "FILE, or OLD and NEW",
				   arg);
		o->files[o->nfiles++] = arg;
		break;
	case ARGP_KEY_END:
		if (!o->nfiles)
			argp_error(state,
				   "missing the snapshot FILE to report");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

/* What the page is made of; the file it goes to is written whole or
 * not at all (atomic_file.h). */
struct page {
	const struct report_opts *o;
	const struct as_snapshot *now, *old;
	const struct as_filter *filter;
	const struct as_html_opts *ho;
};

static int write_page(FILE *f, const struct page *pg)
{
	int rc;

	rc = pg->o->speedscope
		 ? speedscope__write(f, pg->now, pg->old, pg->filter, NULL)
		 : html__write(f, pg->now, pg->old, pg->ho);
	if (!rc && (fflush(f) || ferror(f)))
		rc = -EIO;
	return rc;
}

static int fill_page(int fd, void *arg)
{
	FILE *f;
	int dup_fd = dup(fd), rc;

	/* the stream closes its own copy: the atomic file closes fd */
	f = dup_fd >= 0 ? fdopen(dup_fd, "w") : NULL;
	if (!f) {
		rc = -errno;
		if (dup_fd >= 0)
			close(dup_fd);
		return rc;
	}
	rc = write_page(f, arg);
	if (fclose(f) && !rc)
		rc = -errno;
	return rc;
}

static int put_page(const struct page *pg)
{
	char err[512];
	int rc;

	if (!pg->o->output) {
		rc = write_page(stdout, pg);
		if (rc)
			fprintf(stderr,
				"allocsnoop: cannot write the report: %s\n",
				strerror(-rc));
		return rc;
	}
	rc = atomic_file__write_shared(pg->o->output, "report", fill_page,
				       (void *)pg, err, sizeof(err));
	if (rc)
		fprintf(stderr, "allocsnoop: %s\n", err);
	return rc;
}

static int report(const struct report_opts *o)
{
	struct as_snapshot *snap[2] = {NULL, NULL}, *now, *old = NULL;
	struct as_filter filter;
	struct as_html_opts ho = {.group_by = o->group_by, .filter = &filter};
	char err[512];
	size_t i;
	int ret = 1;

	view_opts__filter(&o->view, &filter);
	for (i = 0; i < o->nfiles; i++) {
		if (snapshot__read(o->files[i], &snap[i], err, sizeof(err))) {
			fprintf(stderr, "allocsnoop: %s\n", err);
			goto cleanup;
		}
	}
	now = snap[o->nfiles - 1];
	if (o->nfiles == 2) {
		old = snap[0];
		ho.old_name = o->files[0];
	}
	ho.now_name = o->files[o->nfiles - 1];
	ret = put_page(&(struct page){o, now, old, &filter, &ho}) ? 1 : 0;
cleanup:
	snapshot__free(snap[0]);
	snapshot__free(snap[1]);
	return ret;
}

int cmd__report(int argc, char **argv)
{
	static const struct argp_child children[] = {
	    {&as_view_filter_argp, 0, "Which allocations count:", 2},
	    {&as_view_pid_argp, 0, NULL, 2},
	    {0},
	};
	static const struct argp argp = {
	    .options = options,
	    .parser = parse_opt,
	    .args_doc = "FILE\nOLD NEW",
	    .doc = doc,
	    .children = children,
	};
	struct report_opts o = {.group_by = AS_GROUP_LINENO};
	char *name = argv[0];
	int rc;

	view_opts__init(&o.view);
	/* argp names the program after argv[0] in usage and errors */
	argv[0] = "allocsnoop report";
	rc = argp_parse(&argp, argc, argv, 0, NULL, &o) ? 2 : report(&o);
	argv[0] = name;
	view_opts__free(&o.view);
	return rc;
}
