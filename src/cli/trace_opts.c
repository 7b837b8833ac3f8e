// SPDX-License-Identifier: MIT
/* trace_opts.c - the tracing command line, parsed and checked. */
#include <argp.h>
#include <errno.h>
#include <limits.h>
#include <string.h>

#include "cli/parse.h"
#include "cli/trace_opts.h"

enum {
	OPT_MAX_ALLOCS = 0x100,
	OPT_MAX_STACKS,
	OPT_MAX_PROCS,
	OPT_MAX_THREADS,
	OPT_STACK_DEPTH,
	OPT_SAMPLE_BYTES,
	OPT_FOLLOW_FORKS,
	OPT_MMAP_FILES,
	OPT_OLDER_THAN,
	OPT_TEMPORARY,
	OPT_ON_OOM,
	OPT_FLOOR,
	OPT_LISTEN,
	OPT_TOKEN_FILE,
	OPT_TLS_CERT,
	OPT_TLS_KEY,
	OPT_METRICS_TOP,
	OPT_NATIVE,
};

static const char doc[] =
    "Trace memory allocations and show which source lines hold memory.\n"
    "\n"
    "USAGE: allocsnoop [-p PID | -c CMD] [OPTIONS] [interval [count]]\n"
    "       allocsnoop show FILE [OPTIONS]\n"
    "       allocsnoop diff OLD NEW [OPTIONS]\n"
    "       allocsnoop report FILE [NEW] [-o report.html]\n"
    "\n"
    "Every interval seconds (default 5) print the top lines holding live "
    "memory and how that changed since the previous report, like "
    "Python's tracemalloc compare_to(). Without -p or -c, trace every "
    "process.\n"
    "\n"
    "EXAMPLES:\n"
    "    allocsnoop -p 4242                # trace PID 4242, report every 5 s\n"
    "    allocsnoop -c './orders data.csv' # run a command, traced from its "
    "start\n"
    "    allocsnoop 10 3                   # all processes, 3 reports 10 s "
    "apart\n"
    "    allocsnoop -p 4242 -g traceback   # whole stacks\n"
    "    allocsnoop -p 4242 --json 1 1     # one JSON report after 1 s\n"
    "    allocsnoop -p 4242 -o before.pb.gz 5 1   # a snapshot file\n"
    "    allocsnoop diff before.pb.gz after.pb.gz # compare two snapshots\n"
    "    allocsnoop -p 4242 --older-than 30s 60   # leak candidates: live "
    "> 30 s\n"
    "    allocsnoop -p 4242 --lifetimes --sort temporary  # lines that "
    "churn\n"
    "    allocsnoop -c ./server --on-oom oom.pb.gz # a snapshot at OOM\n"
    "    allocsnoop --listen 6060          # serve /debug/pprof/heap and "
    "/metrics\n"
    "\v"
    "Snapshot file names may contain %n (report number), %p (pid) and %t "
    "(time, YYYYmmdd-HHMMSS). SIGUSR1 writes a snapshot at once. Live "
    "bytes are requested sizes; see allocsnoop(8).";

static const struct argp_option options[] = {
    {"pid", 'p', "PID", 0, "Trace this process only", 0},
    {"command", 'c', "CMD", 0,
     "Run and trace CMD (quoted, with its arguments); exit with its status", 0},
    {"output", 'o', "FILE", 0,
     "Write a snapshot (gzipped pprof) at every report", 0},
    {"on-oom", OPT_ON_OOM, "FILE", 0,
     "Write a snapshot of a traced process to FILE (%p: its pid) when the "
     "kernel picks it as the OOM killer's victim",
     0},
    {"older-than", OPT_OLDER_THAN, "T", 0,
     "Count only live blocks allocated more than T ago (30s, 500ms, 2m): "
     "leak candidates; rows show their oldest block's age",
     0},
    {"temporary", OPT_TEMPORARY, "T", 0,
     "A block freed within T of its allocation is temporary (default "
     "1ms); see --lifetimes",
     0},
    {"verbose", 'v', NULL, 0,
     "Print probe sites, libbpf messages and the verifier log", 0},
    {"max-allocs", OPT_MAX_ALLOCS, "N", 0,
     "Live allocations tracked (default 1048576)", 1},
    {"max-stacks", OPT_MAX_STACKS, "N", 0,
     "Distinct stacks stored (default 65536)", 1},
    {"max-procs", OPT_MAX_PROCS, "N", 0, "Processes tracked (default 4096)", 1},
    {"max-threads", OPT_MAX_THREADS, "N", 0, "Threads tracked (default 16384)",
     1},
    {"stack-depth", OPT_STACK_DEPTH, "N", 0,
     "Frames kept per stack, 1-64 (default 64); as many Python frames again",
     1},
    {"follow-forks", OPT_FOLLOW_FORKS, NULL, 0,
     "With -p or -c, also trace the processes it forks, each with its own "
     "counts",
     0},
    {"native", OPT_NATIVE, NULL, 0,
     "Do not walk Python frames: CPython processes' allocations are "
     "charged to native frames, as for any program",
     0},
    {"no-python", OPT_NATIVE, NULL, OPTION_ALIAS, NULL, 0},
    {"mmap-files", OPT_MMAP_FILES, NULL, 0,
     "Count file mappings made with mmap too, not only anonymous memory", 1},
    {"floor", OPT_FLOOR, NULL, 0,
     "Benchmarking: attach every probe as usual, but let the allocation "
     "probes return at once (what the traps alone cost); reports stay "
     "empty",
     1},
    {"sample-bytes", OPT_SAMPLE_BYTES, "N", 0,
     "Sample one allocation per N bytes on average (Poisson, unbiased "
     "totals; K/M/G suffixes); default 0 = trace every allocation",
     1},
    {0, 0, 0, 0, "Serving options:", 3},
    {"listen", OPT_LISTEN, "[ADDR:]PORT", 0,
     "Serve live profiles (/debug/pprof/heap, /debug/pprof/allocs), "
     "/metrics and / over HTTP instead of printing reports (add -v, -T or "
     "an interval to print too); loopback unless ADDR is given",
     3},
    {"listen-token-file", OPT_TOKEN_FILE, "FILE", 0,
     "Answer only requests with 'Authorization: Bearer TOKEN', TOKEN "
     "read from FILE",
     3},
    {"tls-cert", OPT_TLS_CERT, "FILE", 0,
     "Serve HTTPS with this PEM certificate (with --tls-key)", 3},
    {"tls-key", OPT_TLS_KEY, "FILE", 0, "The PEM private key of --tls-cert", 3},
    {"metrics-top", OPT_METRICS_TOP, "N", 0,
     "Processes in /metrics, the most live bytes first (default 20); the "
     "totals count every process",
     3},
    {0},
};

/* --listen and its options. */
static int parse_serve(int key, char *arg, struct argp_state *state,
		       struct as_trace_opts *o)
{
	uint64_t v;

	switch (key) {
	case OPT_LISTEN:
		o->serve.listen = arg;
		return 0;
	case OPT_TOKEN_FILE:
		o->serve.token_file = arg;
		return 0;
	case OPT_TLS_CERT:
		o->serve.tls_cert = arg;
		return 0;
	case OPT_TLS_KEY:
		o->serve.tls_key = arg;
		return 0;
	case OPT_METRICS_TOP:
		if (parse__uint(arg, 100000, &v) || v == 0)
			argp_error(state,
				   "invalid --metrics-top '%s': expected 1 to "
				   "100000",
				   arg);
		o->serve.metrics_top = (unsigned)v;
		return 0;
	}
	return ARGP_ERR_UNKNOWN;
}

/* -p, -c, -o, -v, --follow-forks: what is traced and where it goes. */
static int parse_target(int key, char *arg, struct argp_state *state,
			struct as_trace_opts *o)
{
	uint64_t v;

	switch (key) {
	case 'p':
		if (parse__uint(arg, INT_MAX, &v) || v == 0)
			argp_error(state,
				   "invalid pid '%s': expected a positive "
				   "process id",
				   arg);
		o->pid = (pid_t)v;
		return 0;
	case 'c':
		o->command = arg;
		return 0;
	case 'o':
		o->output = arg;
		return 0;
	case 'v':
		o->verbose = true;
		return 0;
	case OPT_FOLLOW_FORKS:
		o->tracer.follow_forks = true;
		return 0;
	case OPT_MMAP_FILES:
		o->tracer.mmap_files = true;
		return 0;
	case OPT_ON_OOM:
		o->on_oom = arg;
		return 0;
	case OPT_FLOOR:
		o->tracer.floor_only = true;
		return 0;
	case OPT_NATIVE:
		o->native = true;
		return 0;
	}
	return ARGP_ERR_UNKNOWN;
}

/* --older-than, --temporary: durations down to a microsecond. */
static int parse_time(int key, char *arg, struct argp_state *state,
		      struct as_trace_opts *o)
{
	double s;

	if (key != OPT_OLDER_THAN && key != OPT_TEMPORARY)
		return ARGP_ERR_UNKNOWN;
	if (parse__duration(arg, 86400.0 * 365, &s) || !(s >= 1e-6))
		argp_error(state,
			   "invalid --%s '%s': expected a duration of at "
			   "least 1us (30s, 500ms, 100us, 2m)",
			   key == OPT_OLDER_THAN ? "older-than" : "temporary",
			   arg);
	if (key == OPT_OLDER_THAN)
		o->older_than_ns = (uint64_t)(s * 1e9 + 0.5);
	else
		o->tracer.temporary_ns = (uint64_t)(s * 1e9 + 0.5);
	return 0;
}

/* The kernel side's sizes and sampling. */
static int parse_tracer(int key, char *arg, struct argp_state *state,
			struct as_trace_opts *o)
{
	uint64_t v;

	switch (key) {
	case OPT_MAX_ALLOCS:
	case OPT_MAX_STACKS:
	case OPT_MAX_PROCS:
	case OPT_MAX_THREADS:
		if (parse__uint(arg, 1u << 28, &v) || v == 0)
			argp_error(state,
				   "invalid map size '%s': expected a number "
				   "from 1 to 268435456",
				   arg);
		if (key == OPT_MAX_ALLOCS)
			o->tracer.max_allocs = v;
		else if (key == OPT_MAX_STACKS)
			o->tracer.max_stacks = v, o->tracer.max_stats = 2 * v;
		else if (key == OPT_MAX_PROCS)
			o->tracer.max_procs = v;
		else
			o->tracer.max_threads = v;
		return 0;
	case OPT_STACK_DEPTH:
		if (parse__uint(arg, AS_MAX_STACK_DEPTH, &v) || v == 0)
			argp_error(state,
				   "invalid --stack-depth '%s': expected 1 "
				   "to %d",
				   arg, AS_MAX_STACK_DEPTH);
		o->tracer.stack_depth = v;
		return 0;
	case OPT_SAMPLE_BYTES:
		if (parse__bytes(arg, 1ULL << 40, &v))
			argp_error(state,
				   "invalid --sample-bytes '%s': expected a "
				   "byte count such as 524288 or 512K",
				   arg);
		o->tracer.sample_bytes = v;
		return 0;
	}
	return ARGP_ERR_UNKNOWN;
}

/* [interval [count]] */
static void parse_positional(char *arg, struct argp_state *state,
			     struct as_trace_opts *o)
{
	uint64_t v;

	if (o->npositional == 0) {
		if (parse__duration(arg, 86400.0 * 365, &o->interval) ||
		    !(o->interval > 0))
			argp_error(state,
				   "invalid interval '%s': expected seconds > "
				   "0 (5, 0.5, 500ms, 1m)",
				   arg);
	} else if (o->npositional == 1) {
		if (parse__uint(arg, LONG_MAX, &v) || v == 0)
			argp_error(state,
				   "invalid count '%s': expected a number of "
				   "reports > 0",
				   arg);
		o->count = (long)v;
	} else {
		argp_error(state, "unexpected argument '%s'", arg);
	}
	o->npositional++;
}

/* What can be checked only once every option is known. */
static void check_opts(struct argp_state *state, struct as_trace_opts *o)
{
	if (o->pid && o->command)
		argp_error(state, "-p and -c exclude each other");
	if (o->tracer.follow_forks && !o->pid && !o->command)
		argp_error(state, "--follow-forks needs -p or -c: without "
				  "them every process is traced already");
	if (o->tracer.mmap_files && o->view.no_mmap)
		argp_error(state, "--mmap-files and --no-mmap exclude each "
				  "other");
	if (o->older_than_ns)
		o->view.ages = true; /* what was kept is worth its age */
	if (!o->serve.listen &&
	    (o->serve.token_file || o->serve.tls_cert || o->serve.tls_key))
		argp_error(state, "--listen-token-file, --tls-cert and "
				  "--tls-key need --listen");
}

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	struct as_trace_opts *o = state->input;
	int err;

	switch (key) {
	case ARGP_KEY_INIT:
		view_opts__give(state, &o->view, 2);
		return 0;
	case ARGP_KEY_ARG:
		parse_positional(arg, state, o);
		return 0;
	case ARGP_KEY_END:
		check_opts(state, o);
		o->print = !o->serve.listen || o->verbose || o->npositional ||
			   o->view.top_given;
		o->serve.verbose = o->verbose;
		return 0;
	}
	err = parse_target(key, arg, state, o);
	if (err == ARGP_ERR_UNKNOWN)
		err = parse_time(key, arg, state, o);
	err = err == ARGP_ERR_UNKNOWN ? parse_serve(key, arg, state, o) : err;
	return err == ARGP_ERR_UNKNOWN ? parse_tracer(key, arg, state, o) : err;
}

int trace_opts__parse(int argc, char **argv, struct as_trace_opts *o)
{
	static const struct argp_child children[] = {
	    {&as_view_argp, 0, "Report options:", 2},
	    {&as_view_filter_argp, 0, NULL, 2},
	    {0},
	};
	static const struct argp argp = {
	    .options = options,
	    .parser = parse_opt,
	    .args_doc = "[interval [count]]",
	    .doc = doc,
	    .children = children,
	};

	memset(o, 0, sizeof(*o));
	o->interval = 5;
	o->tracer.stack_depth = AS_MAX_STACK_DEPTH;
	o->serve.metrics_top = AS_SERVE_METRICS_TOP;
	view_opts__init(&o->view);
	return argp_parse(&argp, argc, argv, 0, NULL, o) ? 2 : 0;
}

void trace_opts__free(struct as_trace_opts *o)
{
	view_opts__free(&o->view);
}
