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
#include "profile/pprof.h"
#include "view/group.h"
#include "view/html.h"
#include "view/speedscope.h"

enum {
	OPT_INCLUDE = 0x1001,
	OPT_EXCLUDE,
};

struct report_opts {
	const char *files[2]; /* FILE, or OLD and NEW */
	size_t nfiles;
	const char *output; /* NULL = standard output */
	bool speedscope;
	enum as_group_by group_by;
	uint32_t *pids;
	size_t npids;
	const char **include, **exclude;
	size_t ninclude, nexclude;
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
    {"pid", 'p', "PID", 0, "Only allocations of process PID (repeatable)", 0},
    {"include", OPT_INCLUDE, "GLOB", 0,
     "Only allocations with a frame whose source file or module path "
     "matches GLOB (repeatable)",
     0},
    {"exclude", OPT_EXCLUDE, "GLOB", 0,
     "Leave out allocations whose allocation site's source file or module "
     "path matches GLOB (repeatable)",
     0},
    {0},
};

static int push(void **list, size_t *n, size_t size, const void *item)
{
	char *p = realloc(*list, (*n + 1) * size);

	if (!p)
		return -ENOMEM;
	memcpy(p + *n * size, item, size);
	(*n)++;
	*list = p;
	return 0;
}

static void parse_pid(struct argp_state *state, struct report_opts *o,
		      const char *arg)
{
	unsigned long v;
	uint32_t pid;
	char *end;

	errno = 0;
	v = strtoul(arg, &end, 10);
	if (errno || end == arg || *end || *arg == '-' || v == 0 || v > INT_MAX)
		argp_error(state,
			   "invalid pid '%s': expected a positive process id",
			   arg);
	pid = (uint32_t)v;
	if (push((void **)&o->pids, &o->npids, sizeof(pid), &pid))
		argp_failure(state, 1, ENOMEM, "cannot store --pid");
}

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	struct report_opts *o = state->input;

	switch (key) {
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
	case 'p':
		parse_pid(state, o, arg);
		break;
	case OPT_INCLUDE:
	case OPT_EXCLUDE:
		if (key == OPT_INCLUDE ? push((void **)&o->include,
					      &o->ninclude, sizeof(arg), &arg)
				       : push((void **)&o->exclude,
					      &o->nexclude, sizeof(arg), &arg))
			argp_failure(state, 1, ENOMEM, "cannot store a glob");
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

/* Where the report goes: standard output, or a temp file renamed over
 * the output when complete, so a failed run leaves no half page. */
struct sink {
	FILE *f;
	char *tmp;
};

static int sink_open(struct sink *k, const char *path)
{
	mode_t mask;
	int fd;

	if (!path) {
		k->f = stdout;
		return 0;
	}
	if (asprintf(&k->tmp, "%s.XXXXXX", path) < 0) {
		k->tmp = NULL;
		return -ENOMEM;
	}
	fd = mkostemp(k->tmp, O_CLOEXEC);
	if (fd < 0 || !(k->f = fdopen(fd, "w"))) {
		fprintf(stderr,
			"allocsnoop: cannot create %s: %s; check that its "
			"directory exists and is writable\n",
			k->tmp, strerror(errno));
		if (fd >= 0) {
			close(fd);
			unlink(k->tmp);
		}
		free(k->tmp);
		k->tmp = NULL;
		return -1;
	}
	/* A page to open in a browser: the usual mode, not mkstemp's 0600 */
	mask = umask(0);
	umask(mask);
	fchmod(fd, 0666 & ~mask);
	return 0;
}

/* Closes @k; renames it to @path when @ok, else removes it. */
static int sink_close(struct sink *k, const char *path, bool ok)
{
	int err = 0;

	if (!k->f)
		goto cleanup;
	if (fflush(k->f) || ferror(k->f))
		err = -errno ?: -EIO;
	if (k->f != stdout && fclose(k->f) && !err)
		err = -errno;
	if (ok && !err && k->tmp && rename(k->tmp, path))
		err = -errno;
	if (ok && err)
		fprintf(stderr, "allocsnoop: cannot write %s: %s\n",
			path ? path : "the report", strerror(-err));
	if (k->tmp && (!ok || err))
		unlink(k->tmp);
cleanup:
	free(k->tmp);
	return err;
}

static int report(const struct report_opts *o)
{
	struct as_snapshot *snap[2] = {NULL, NULL}, *now, *old = NULL;
	struct as_filter filter = {
	    .include = o->include,
	    .ninclude = o->ninclude,
	    .exclude = o->exclude,
	    .nexclude = o->nexclude,
	    .pids = o->pids,
	    .npids = o->npids,
	};
	struct as_html_opts ho = {.group_by = o->group_by, .filter = &filter};
	struct sink k = {0};
	char err[512];
	size_t i;
	int ret = 1, rc;

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
	if (sink_open(&k, o->output))
		goto cleanup;
	rc = o->speedscope ? speedscope__write(k.f, now, old, &filter, NULL)
			   : html__write(k.f, now, old, &ho);
	if (rc)
		fprintf(stderr, "allocsnoop: cannot write the report: %s\n",
			strerror(-rc));
	ret = sink_close(&k, o->output, rc == 0) || rc ? 1 : 0;
cleanup:
	snapshot__free(snap[0]);
	snapshot__free(snap[1]);
	return ret;
}

int cmd__report(int argc, char **argv)
{
	static const struct argp argp = {
	    .options = options,
	    .parser = parse_opt,
	    .args_doc = "FILE\nOLD NEW",
	    .doc = doc,
	};
	struct report_opts o = {.group_by = AS_GROUP_LINENO};
	char *name = argv[0];
	int rc;

	/* argp names the program after argv[0] in usage and errors */
	argv[0] = "allocsnoop report";
	rc = argp_parse(&argp, argc, argv, 0, NULL, &o) ? 2 : report(&o);
	argv[0] = name;
	free(o.pids);
	free(o.include);
	free(o.exclude);
	return rc;
}
