// SPDX-License-Identifier: MIT
/*
 * cmd_trace.c - `allocsnoop [-p PID | -c CMD] [interval [count]]`: attach,
 * report every interval, write snapshots, end cleanly.
 */
#include <argp.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "cli/cmd.h"
#include "cli/snapout.h"
#include "cli/trace_opts.h"
#include "cli/view_opts.h"
#include "collect/collector.h"
#include "profile/pprof.h"
#include "serve/server.h"
#include "symbolize/procmaps.h"
#include "symbolize/symbolizer.h"
#include "trace/child.h"
#include "trace/privs.h"
#include "trace/targets.h"
#include "trace/tracer.h"
#include "unwind/python.h"
#include "view/pipeline.h"

struct trace_ctx {
	struct as_trace_opts *o;
	struct as_tracer *tracer;
	struct as_procmaps *pm;
	struct as_symbolizer *sym;
	struct as_collector *col;
	struct as_python *py; /* NULL with --native */
	struct as_child *child;
	struct as_targets *targets;
	struct as_tracer_maps maps;
	struct as_snapshot *prev;
	struct as_stats *prev_stats;
	struct timespec start;
	struct as_snapout *out;	    /* snapshot files */
	struct as_snapout *oom_out; /* --on-oom's, NULL without */
	struct as_server *srv;	    /* --listen, else NULL */
	/* OOM victims told by events, snapshotted once the ring buffer is
	 * drained (a snapshot drains it: not from inside its callback) */
	uint32_t oom_pids[16];
	unsigned noom;
	uint64_t seq;
	char target[64]; /* for the snapshot's metadata */
};

/* Looks at @pid as a CPython process. */
static void python_scan(struct trace_ctx *c, pid_t pid)
{
	if (c->py)
		python__scan(c->py, pid);
}

/*
 * Sets up what the CPython processes need now: their thread-state keys,
 * then their interpreters' own frames stepped through with CFI, like the
 * C runtime's, up to the eval loop (Debian's keeps no frame pointers).
 */
static void python_poll(struct trace_ctx *c)
{
	const char *interp;
	pid_t pid;

	python__poll(c->py);
	while ((interp = python__take_interpreter(c->py, &pid)))
		tracer__add_runtime_file_of(c->tracer, interp, pid);
}

static void on_event(const struct as_event *ev, size_t size, void *arg)
{
	struct trace_ctx *c = arg;
	char comm[AS_TASK_COMM_LEN + 1];

	memcpy(comm, ev->comm, AS_TASK_COMM_LEN);
	comm[AS_TASK_COMM_LEN] = 0;
	switch (ev->type) {
	case AS_EV_NEW_PROCESS:
		collector__set_comm(c->col, ev->tgid, comm);
		/* Read the maps now: the process may be short-lived. */
		procmaps__refresh(c->pm, ev->tgid);
		targets__scan_process(c->targets, ev->tgid, true);
		if (c->srv) /* its labels too, while /proc has them */
			server__process_event(c->srv, ev->tgid, false);
		if (c->py)
			python_scan(c, ev->tgid);
		break;
	case AS_EV_EXEC:
		collector__set_comm(c->col, ev->tgid, comm);
		if (c->srv)
			server__process_event(c->srv, ev->tgid, true);
		collector__exec(c->col, &c->maps, ev->tgid);
		targets__scan_process(c->targets, ev->tgid, true);
		if (c->py) {
			python__forget(c->py, ev->tgid);
			python_scan(c, ev->tgid);
		}
		break;
	case AS_EV_MAPS:
		/* a library loaded: maybe an allocator not probed yet, or
		 * libpython */
		targets__scan_process(c->targets, ev->tgid, true);
		if (c->py)
			python_scan(c, ev->tgid);
		break;
	case AS_EV_PY_STACK:
		if (size >= sizeof(struct as_py_stack_event))
			collector__warm_stack(
			    c->col, &c->maps, ev->tgid,
			    ((const struct as_py_stack_event *)ev)->stack);
		break;
	case AS_EV_OOM:
		fprintf(stderr,
			"allocsnoop: the kernel chose pid %u (%s) as the OOM "
			"killer's victim\n",
			ev->tgid, comm);
		/* its maps now, while they exist */
		procmaps__refresh(c->pm, ev->tgid);
		if (c->oom_out &&
		    c->noom < sizeof(c->oom_pids) / sizeof(c->oom_pids[0]))
			c->oom_pids[c->noom++] = ev->tgid;
		break;
	case AS_EV_MMAP:
	case AS_EV_MUNMAP:
	case AS_EV_MREMAP:
		if (size >= sizeof(struct as_mmap_event))
			collector__on_mmap(c->col, &c->maps,
					   (const struct as_mmap_event *)ev);
		break;
	default:
		break;
	}
}

/* @to_file: the snapshot is written, so it carries the blocks' ages. */
static struct as_snapshot *take_snapshot(struct trace_ctx *c, bool to_file)
{
	struct as_snapshot *s = snapshot__new();
	char host[256] = "";
	int err;

	if (!s)
		return NULL;
	tracer__drain(c->tracer);
	clock_gettime(CLOCK_REALTIME, &s->time);
	s->start = c->start;
	s->sample_bytes = (int64_t)c->o->tracer.sample_bytes;
	gethostname(host, sizeof(host) - 1);
	err = snapshot__set_meta(s, ALLOCSNOOP_VERSION, host,
				 c->o->command ? c->o->command : c->target);
	collector__want_ages(c->col, to_file || c->o->view.ages);
	err = err ?: collector__collect(c->col, &c->maps, s);
	if (err) {
		fprintf(stderr, "allocsnoop: cannot read the maps: %s\n",
			strerror(-err));
		snapshot__free(s);
		return NULL;
	}
	return s;
}

/*
 * The exited processes were shown once, marked: now drop them, with the
 * records of images replaced by exec since the last report.
 */
static void purge(struct trace_ctx *c, const struct as_snapshot *s)
{
	uint32_t *pids;
	size_t i, n = 0;
	int err;

	pids = calloc(s->nprocesses ?: 1, sizeof(*pids));
	if (!pids) {
		err = -ENOMEM;
		goto cleanup;
	}
	for (i = 0; i < s->nprocesses; i++)
		if (s->processes[i].exited)
			pids[n++] = s->processes[i].pid;
	for (i = 0; c->py && i < n; i++)
		python__forget(c->py, (pid_t)pids[i]);
	err = collector__purge(c->col, &c->maps, pids, n);
cleanup:
	if (err)
		fprintf(stderr,
			"allocsnoop: cannot drop the records of exited "
			"processes and replaced images: %s; they stay in the "
			"maps, which may fill sooner\n",
			strerror(-err));
	free(pids);
}

/* A snapshot of the maps now; with -v, how long reading it took. */
static struct as_snapshot *timed_snapshot(struct trace_ctx *c)
{
	struct timespec t0, t1;
	struct as_snapshot *s;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	s = take_snapshot(c, c->o->output || c->srv);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (s && c->o->verbose)
		fprintf(stderr,
			"allocsnoop: report %llu: %zu stacks, %zu locations "
			"read and symbolized in %.0f ms\n",
			(unsigned long long)c->seq + 1, s->nsamples,
			s->nlocations,
			(t1.tv_sec - t0.tv_sec) * 1e3 +
			    (t1.tv_nsec - t0.tv_nsec) / 1e6);
	return s;
}

static double now_s(void);

/* --listen without printing: each interval's snapshot is published
 * (then the exited processes dropped, as after a printed report). */
static int serve_report(struct trace_ctx *c, bool final)
{
	double t0 = now_s();
	struct as_snapshot *s = timed_snapshot(c);

	if (!s)
		return -ENOMEM;
	c->seq++;
	if (c->o->output)
		snapout__write(c->out, s);
	if (final) {
		snapshot__free(s);
		return 0;
	}
	purge(c, s);
	return server__publish(c->srv, s, t0);
}

/* Collects for the requests that wait when it is time (the server keeps
 * it to once a second); returns @left, or less when they wait longer. */
static double serve_wait(struct trace_ctx *c, double left)
{
	double due = server__due(c->srv), t0 = now_s();
	struct as_snapshot *s;

	if (due >= 0 && due <= t0) {
		s = take_snapshot(c, true); /* served as a snapshot file is */
		if (!s || server__publish(c->srv, s, t0))
			server__fail(c->srv, t0);
		due = server__due(c->srv);
	}
	if (due >= 0 && due - now_s() < left)
		left = due - now_s();
	return left;
}

/* --listen: a bad address or file is said before probes are attached;
 * requests wait for the loop's first collection. */
static int serve_start(struct trace_ctx *c)
{
	return c->o->serve.listen ? server__new(&c->o->serve, &c->srv) : 0;
}

static int report(struct trace_ctx *c, bool final)
{
	struct as_stats *stats = NULL;
	struct as_filter filter;
	struct as_view_run run;
	struct as_view view;
	struct as_snapshot *s;
	int err;

	if (!c->o->print)
		return serve_report(c, final);
	s = timed_snapshot(c);
	if (!s)
		return -ENOMEM;
	view_opts__view(&c->o->view, &filter, &view);
	run = (struct as_view_run){
	    .now = s,
	    .prev = c->prev,
	    .prev_stats = c->prev_stats,
	    .seq = c->seq + 1,
	    .final = final,
	    /* rows name their process when there can be several */
	    .per_process =
		(!c->o->pid && !c->o->command) || c->o->tracer.follow_forks,
	    .pid = c->o->pid  ? (uint32_t)c->o->pid
		   : c->child ? (uint32_t)child__pid(c->child)
			      : 0,
	    .source = "the traced processes",
	};
	err = pipeline__run(stdout, &view, &run, &stats);
	if (!stats) {
		/* nothing was grouped: this moment is not a report */
		snapshot__free(s);
		return err;
	}
	c->seq = run.seq;
	if (c->o->output)
		snapout__write(c->out, s);
	if (!final)
		purge(c, s);
	/* this report's grouping is what the next one compares with */
	stats__free(c->prev_stats);
	snapshot__free(c->prev);
	c->prev = s;
	c->prev_stats = stats;
	return err;
}

/* --on-oom: a snapshot of each victim told since the last drain. */
static void write_oom_snapshots(struct trace_ctx *c)
{
	char path[PATH_MAX];
	struct as_snapshot *s;
	unsigned i, n;

	while (c->noom) {
		n = c->noom;
		c->noom = 0;
		for (i = 0; i < n; i++) {
			s = take_snapshot(c, true);
			if (!s)
				continue;
			snapshot__keep_pid(s, c->oom_pids[i]);
			if (!snapout__write_pid(c->oom_out, s, c->oom_pids[i],
						path, sizeof(path)))
				fprintf(stderr,
					"allocsnoop: wrote the OOM victim's "
					"snapshot %s\n",
					path);
			snapshot__free(s);
		}
	}
}

static void child_at_exit(pid_t pid, void *arg)
{
	struct trace_ctx *c = arg;

	/* Its memory map still exists: read it for symbolization, and the
	 * name it ended with. */
	tracer__drain(c->tracer);
	procmaps__refresh(c->pm, pid);
	collector__read_comm(c->col, pid);
	collector__warm_python(c->col, &c->maps, (uint32_t)pid);
}

/* -p: the process's own files, after the system's. */
static int attach_pid(struct trace_ctx *c)
{
	int n;

	n = targets__scan_process(c->targets, c->o->pid, false);
	if (n == -ESRCH || kill(c->o->pid, 0)) {
		fprintf(stderr,
			"allocsnoop: process %d exited while attaching\n",
			c->o->pid);
		return -ESRCH;
	}
	if (n == 0) {
		fprintf(stderr,
			"allocsnoop: no allocator found in process %d: it maps "
			"no libc, jemalloc, tcmalloc or mimalloc and no file "
			"of it exports malloc\n",
			c->o->pid);
		return -ENOENT;
	}
	if (n < 0)
		return n;
	procmaps__refresh(c->pm, c->o->pid);
	if (c->py)
		python_scan(c, c->o->pid);
	return 0;
}

/*
 * Probes every file the traced processes may allocate through. Links
 * are for the one traced process, or for every process when following
 * forks (the BPF side then keeps the set of followed processes) and
 * system-wide.
 */
static int attach(struct trace_ctx *c)
{
	bool follow = c->o->tracer.follow_forks;
	pid_t pid = c->o->pid  ? c->o->pid
		    : c->child ? child__pid(c->child)
			       : -1;
	int err;

	err = tracer__attach_lifecycle(c->tracer);
	err = err
		  ?: targets__new(c->tracer, follow ? -1 : pid, c->o->verbose,
				  &c->targets);
	if (!err && follow)
		err = tracer__follow(c->tracer, pid);
	err =
	    err
		?: targets__attach_system(
		       c->targets, c->child ? child__program(c->child) : NULL);
	if (err)
		return err;
	if (c->o->pid)
		return attach_pid(c);
	if (c->child)
		return 0;
	err = targets__scan_all(c->targets);
	/* the interpreters running now: their next allocation may come
	 * before the event that would have us look */
	if (!err && c->py)
		python__scan_all(c->py);
	return err;
}

static int handle_signal(struct trace_ctx *c, int sfd, bool *done)
{
	struct signalfd_siginfo si;

	while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGINT:
		case SIGTERM:
		case SIGHUP:
			*done = true;
			break;
		case SIGCHLD:
			if (c->child &&
			    child__reap(c->child, child_at_exit, c) == 1)
				*done = true;
			break;
		case SIGUSR1: {
			struct as_snapshot *s = take_snapshot(c, true);

			if (s)
				snapout__write(c->out, s);
			snapshot__free(s);
			break;
		}
		default:
			break;
		}
	}
	return 0;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The descriptors the loop waits on: signals, events and, with -p, the
 * process's pidfd (readable when it exits). Returns the epoll fd. */
static int loop_fds(struct trace_ctx *c, int sfd, int *pfd)
{
	struct epoll_event ev = {.events = EPOLLIN};
	int efd;

	efd = epoll_create1(EPOLL_CLOEXEC);
	if (efd < 0)
		return -errno;
	ev.data.fd = sfd;
	epoll_ctl(efd, EPOLL_CTL_ADD, sfd, &ev);
	ev.data.fd = tracer__event_fd(c->tracer);
	epoll_ctl(efd, EPOLL_CTL_ADD, ev.data.fd, &ev);
	*pfd = c->o->pid ? (int)syscall(SYS_pidfd_open, c->o->pid, 0) : -1;
	if (*pfd >= 0) {
		ev.data.fd = *pfd;
		epoll_ctl(efd, EPOLL_CTL_ADD, *pfd, &ev);
	}
	if (c->srv) { /* readable when a request waits */
		ev.data.fd = server__wake_fd(c->srv);
		epoll_ctl(efd, EPOLL_CTL_ADD, ev.data.fd, &ev);
	}
	return efd;
}

/* The memory timeline's sampling period. */
#define TICK_S 0.1

static int run_loop(struct trace_ctx *c, int sfd)
{
	double next = now_s() + c->o->interval, tick = now_s(), left;
	double next_warm = 0;
	struct epoll_event evs[4];
	bool done = false;
	int efd, pfd, err = 0, n, i;

	efd = loop_fds(c, sfd, &pfd);
	if (efd < 0)
		return efd;
	/* A child that ended before we listened for SIGCHLD. */
	if (c->child && child__reap(c->child, child_at_exit, c) == 1)
		done = true;
	while (!done) {
		left = (next < tick ? next : tick) - now_s();
		if (c->srv)
			left = serve_wait(c, left);
		/* an interpreter about to make its thread-state key is
		 * looked at every 10 ms until it has */
		if (c->py && python__pending(c->py) && left > 0.01)
			left = 0.01;
		if (c->py && python__any(c->py) && left > 1)
			left = 1;
		n = epoll_wait(efd, evs, 4,
			       left > 0 ? (int)(left * 1000) + 1 : 0);
		if (n < 0 && errno != EINTR) {
			err = -errno;
			break;
		}
		tracer__drain(c->tracer);
		write_oom_snapshots(c);
		if (c->py)
			python_poll(c);
		if (c->py && python__any(c->py) && now_s() >= next_warm) {
			/* code objects read while their process lives */
			collector__warm_python(c->col, &c->maps, 0);
			next_warm = now_s() + 1;
		}
		for (i = 0; i < n; i++) {
			if (evs[i].data.fd == sfd)
				handle_signal(c, sfd, &done);
			else if (evs[i].data.fd == pfd && pfd >= 0)
				done = true; /* the traced process exited */
		}
		if (now_s() >= tick) {
			collector__tick(c->col, &c->maps);
			tick += TICK_S;
			if (tick < now_s()) /* a slow report: skip, not burst */
				tick = now_s() + TICK_S;
		}
		if (done || now_s() < next)
			continue;
		next += c->o->interval;
		if (c->o->count && c->seq + 1 >= (uint64_t)c->o->count) {
			done = true;
			break; /* the final report below is the count-th */
		}
		err = report(c, false);
		if (err)
			break;
	}
	close(efd);
	if (pfd >= 0)
		close(pfd);
	if (!err)
		err = report(c, true);
	return err;
}

static void ctx_free(struct trace_ctx *c)
{
	server__free(c->srv);
	stats__free(c->prev_stats);
	snapshot__free(c->prev);
	targets__free(c->targets);
	snapout__free(c->out);
	snapout__free(c->oom_out);
	tracer__free(c->tracer);
	collector__free(c->col);
	python__free(c->py);
	symbolizer__free(c->sym);
	procmaps__free(c->pm);
	child__free(c->child);
}

static void raise_fd_limit(void)
{
	struct rlimit rl;

	/* One open descriptor per distinct object file traced. */
	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/*
 * What can be refused before anything runs: capabilities, the pid, and
 * the snapshot paths (a snapshot that could not be written would be lost
 * with the run). Returns 0 or 1, said on stderr.
 */
static int check_start(struct trace_ctx *c)
{
	const struct as_trace_opts *o = c->o;
	char missing[128];

	if (privs__check(missing, sizeof(missing))) {
		fprintf(stderr,
			"allocsnoop: missing capabilities %s: run as root "
			"(sudo allocsnoop ...)\n",
			missing);
		return 1;
	}
	if (o->pid && kill(o->pid, 0) && errno == ESRCH) {
		fprintf(stderr,
			"allocsnoop: no process with pid %d: check it with "
			"ps or pgrep\n",
			o->pid);
		return 1;
	}
	snprintf(c->target, sizeof(c->target), "%d", o->pid);
	if (snapout__new(o->output, o->pid ? c->target : "all", o->verbose,
			 &c->out) ||
	    (o->output && snapout__check(c->out)))
		return 1;
	if (o->on_oom &&
	    (snapout__new(o->on_oom, c->target, false, &c->oom_out) ||
	     snapout__check(c->oom_out)))
		return 1;
	return 0;
}

/* The kernel side's options that depend on what runs. */
static void tracer_opts(struct trace_ctx *c)
{
	struct as_trace_opts *o = c->o;

	o->tracer.self_tgid = getpid();
	o->tracer.verbose = o->verbose;
	o->tracer.mmap = !o->view.no_mmap;
	o->tracer.only_tgid = o->pid	 ? o->pid
			      : c->child ? child__pid(c->child)
					 : 0;
}

static void say_tracing(const struct trace_ctx *c)
{
	if (c->o->command)
		fprintf(stderr, "Tracing '%s' (pid %d)... Hit Ctrl-C to end.\n",
			c->o->command, child__pid(c->child));
	else if (c->o->pid)
		fprintf(stderr, "Tracing pid %d... Hit Ctrl-C to end.\n",
			c->o->pid);
	else
		fprintf(stderr,
			"Tracing all processes... Hit Ctrl-C to end.\n");
}

/* The modules, the probes, then the command set free. */
static int start(struct trace_ctx *c)
{
	int err;

	tracer_opts(c);
	err = procmaps__new(&c->pm);
	err = err ?: symbolizer__new(&c->sym);
	err = err ?: collector__new(c->pm, c->sym, &c->col);
	err = err ?: tracer__new(&c->o->tracer, on_event, c, &c->tracer);
	if (err)
		return err;
	collector__set_time(c->col, c->o->older_than_ns,
			    c->o->tracer.temporary_ns ?: AS_TEMPORARY_NS);
	tracer__maps(c->tracer, &c->maps);
	if (!c->o->native) {
		err = python__new(c->maps.py_procs, c->o->verbose, &c->py);
		if (err)
			return err;
		collector__set_python(c->col, c->py);
	}
	err = serve_start(c) ?: attach(c);
	if (!err && c->child)
		err = child__release(c->child);
	if (!err)
		say_tracing(c);
	return err;
}

static int trace(struct as_trace_opts *o)
{
	struct trace_ctx c = {.o = o};
	sigset_t mask, old;
	int sfd = -1, err;

	if (check_start(&c)) {
		ctx_free(&c);
		return 1;
	}
	raise_fd_limit();
	clock_gettime(CLOCK_REALTIME, &c.start);
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGCHLD);
	sigaddset(&mask, SIGUSR1);
	sigprocmask(SIG_BLOCK, &mask, &old);
	sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (sfd < 0) {
		err = -errno;
		goto cleanup;
	}
	if (o->command) {
		err = child__spawn(o->command, &old, o->verbose, &c.child);
		if (err)
			goto cleanup;
		snprintf(c.target, sizeof(c.target), "%d", child__pid(c.child));
	}
	err = start(&c) ?: run_loop(&c, sfd);
cleanup:
	if (!err && c.child)
		err = child__status(c.child);
	else if (err)
		err = 1;
	if (snapout__lost(c.out) + snapout__lost(c.oom_out)) {
		fprintf(stderr,
			"allocsnoop: %u snapshot(s) could not be written (said "
			"above): exit status 1\n",
			snapout__lost(c.out) + snapout__lost(c.oom_out));
		err = 1;
	}
	ctx_free(&c);
	if (sfd >= 0)
		close(sfd);
	sigprocmask(SIG_SETMASK, &old, NULL);
	return err;
}

int cmd__trace(int argc, char **argv)
{
	struct as_trace_opts o;
	int rc;

	rc = trace_opts__parse(argc, argv, &o);
	if (!rc)
		rc = trace(&o);
	trace_opts__free(&o);
	return rc;
}
