// SPDX-License-Identifier: MIT
/* tracer.c - skeleton open -> configure -> load -> attach, links, events. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "allocsnoop.skel.h"
#include "symbolize/elfsym.h"
#include "trace/allocators.h"
#include "trace/links.h"
#include "trace/probesite.h"
#include "trace/sampling.h"
#include "trace/tracer.h"
#include "unwind/runtime_libs.h"

struct as_tracer {
	struct allocsnoop_bpf *skel;
	struct ring_buffer *rb;
	struct bpf_link **links;
	size_t nlinks, cap_links;
	int *link_fds; /* raw uprobe_multi and session links */
	size_t nlink_fds, cap_link_fds;
	as_tracer_event_fn on_event;
	void *ctx;
	bool session; /* sampled malloc/calloc/realloc run as sessions */
	bool multi;   /* entry/return/free probes as uprobe_multi links */
	bool verbose;
	struct as_runtime_libs *rt;
	__u32 table_buckets; /* in the live-block table */
};

static int libbpf_print_quiet(enum libbpf_print_level level, const char *fmt,
			      va_list args)
{
	(void)level;
	(void)fmt;
	(void)args;
	return 0;
}

static int libbpf_print_verbose(enum libbpf_print_level level, const char *fmt,
				va_list args)
{
	if (level == LIBBPF_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, args);
}

static int on_ringbuf(void *ctx, void *data, size_t size)
{
	struct as_tracer *t = ctx;

	if (size >= sizeof(struct as_event) && t->on_event)
		t->on_event(data, t->ctx);
	return 0;
}

static int add_link(struct as_tracer *t, struct bpf_link *link)
{
	struct bpf_link **n;

	if (t->nlinks == t->cap_links) {
		size_t cap = t->cap_links ? t->cap_links * 2 : 32;

		n = realloc(t->links, cap * sizeof(*n));
		if (!n) {
			bpf_link__destroy(link);
			return -ENOMEM;
		}
		t->links = n;
		t->cap_links = cap;
	}
	t->links[t->nlinks++] = link;
	return 0;
}

static int add_link_fd(struct as_tracer *t, int fd)
{
	int *n;

	if (t->nlink_fds == t->cap_link_fds) {
		size_t cap = t->cap_link_fds ? t->cap_link_fds * 2 : 8;

		n = realloc(t->link_fds, cap * sizeof(*n));
		if (!n) {
			close(fd);
			return -ENOMEM;
		}
		t->link_fds = n;
		t->cap_link_fds = cap;
	}
	t->link_fds[t->nlink_fds++] = fd;
	return 0;
}

static int set_size(struct bpf_map *map, uint32_t n, const char *opt)
{
	int err;

	if (!n)
		return 0;
	err = bpf_map__set_max_entries(map, n);
	if (err)
		fprintf(stderr,
			"allocsnoop: cannot size map %s to %u (%s): "
			"choose another %s\n",
			bpf_map__name(map), n, strerror(-err), opt);
	return err;
}

/*
 * Buckets of the live-block table for @max_allocs: slots for a quarter of
 * them (at most AS_TABLE_MAX_BUCKETS buckets), which is memory taken at
 * start. Most programs keep far fewer blocks live; a block whose bucket is
 * full goes to the hash map, which takes memory only as it fills.
 */
static __u32 table_buckets(uint32_t max_allocs)
{
	__u32 b = 1;

	while (b < AS_TABLE_MAX_BUCKETS &&
	       (uint64_t)b * AS_BUCKET_SLOTS * 4 < max_allocs)
		b <<= 1;
	return b;
}

/*
 * Opens and configures the skeleton into t->skel and loads it. *loading
 * tells a failed load (reported by the caller) from a failure before it
 * (reported here).
 */
static int skel_load(struct as_tracer *t, const struct as_tracer_opts *o,
		     bool *loading)
{
	struct bpf_program *sess;
	int err;

	*loading = false;
	t->skel = allocsnoop_bpf__open();
	if (!t->skel) {
		err = -errno;
		fprintf(stderr,
			"allocsnoop: cannot open the BPF object: %s; "
			"is this kernel built with BPF and BTF?\n",
			strerror(-err));
		return err;
	}
	t->skel->rodata->self_tgid = o->self_tgid;
	t->skel->rodata->stack_depth = o->stack_depth;
	t->skel->rodata->sample_bytes = o->sample_bytes;
	t->skel->rodata->follow_forks = o->follow_forks;
	t->table_buckets = table_buckets(
	    o->max_allocs ?: bpf_map__max_entries(t->skel->maps.allocs));
	t->skel->rodata->table_mask = t->table_buckets - 1;
	err = set_size(t->skel->maps.allocs, o->max_allocs, "--max-allocs");
	err = err
		  ?: set_size(t->skel->maps.table, t->table_buckets,
			      "--max-allocs");
	err = err
		  ?: set_size(t->skel->maps.stacks, o->max_stacks,
			      "--max-stacks");
	err =
	    err ?: set_size(t->skel->maps.stats, o->max_stats, "--max-stacks");
	err = err ?: set_size(t->skel->maps.procs, o->max_procs, "--max-procs");
	err = err
		  ?: set_size(t->skel->maps.threads, o->max_threads,
			      "--max-threads");
	if (err)
		return err;
	/* libbpf 1.1.2 knows no session programs: a kprobe-type program
	 * whose expected attach type the kernel checks at load. */
	sess = t->skel->progs.alloc_session;
	err = t->session ? bpf_program__set_expected_attach_type(
			       sess, AS_BPF_TRACE_UPROBE_SESSION)
			 : bpf_program__set_autoload(sess, false);
	if (err) {
		fprintf(stderr,
			"allocsnoop: cannot configure the session program: "
			"%s\n",
			strerror(-err));
		return err;
	}
	if (t->multi) {
		struct bpf_program *progs[] = {t->skel->progs.alloc_enter,
					       t->skel->progs.alloc_exit,
					       t->skel->progs.free_enter};
		size_t i;

		for (i = 0; i < 3 && !err; i++)
			err = bpf_program__set_expected_attach_type(
			    progs[i], AS_BPF_TRACE_UPROBE_MULTI);
		if (err)
			return err;
	}
	*loading = true;
	return allocsnoop_bpf__load(t->skel);
}

static void no_session_note(void)
{
	fprintf(stderr,
		"allocsnoop: this kernel has no uprobe sessions (Linux 6.13 "
		"or later): sampled malloc/calloc/realloc calls keep a return "
		"probe, so sampling saves less time\n");
}

int tracer__new(const struct as_tracer_opts *o, as_tracer_event_fn on_event,
		void *ctx, struct as_tracer **out)
{
	struct as_tracer *t;
	bool loading;
	int err;

	libbpf_set_print(o->verbose ? libbpf_print_verbose
				    : libbpf_print_quiet);
	if (o->sample_bytes > AS_SAMPLE_BYTES_MAX) {
		fprintf(stderr,
			"allocsnoop: --sample-bytes %llu is too large: "
			"choose at most 4G\n",
			(unsigned long long)o->sample_bytes);
		return -EINVAL;
	}
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->on_event = on_event;
	t->ctx = ctx;
	t->verbose = o->verbose;
	t->session = o->sample_bytes != 0;
	t->multi = links__multi_supported();

	err = skel_load(t, o, &loading);
	if (err && loading && t->multi) {
		/* no uprobe_multi after all: one perf event per probe */
		allocsnoop_bpf__destroy(t->skel);
		t->skel = NULL;
		t->multi = false;
		err = skel_load(t, o, &loading);
	}
	if (err && loading && t->session) {
		/* A kernel before 6.13 rejects the session program: the
		 * classic probes still sample. */
		allocsnoop_bpf__destroy(t->skel);
		t->skel = NULL;
		t->session = false;
		err = skel_load(t, o, &loading);
		if (!err)
			no_session_note();
	}
	if (err) {
		if (loading)
			fprintf(stderr,
				"allocsnoop: cannot load the BPF programs: "
				"%s; run with -v to see the verifier log%s\n",
				strerror(-err),
				err == -EPERM ? " (are CAP_BPF and CAP_PERFMON "
						"granted? run as root)"
					      : "");
		goto cleanup;
	}
	if (o->sample_bytes) {
		err = sampling__tables(o->sample_bytes,
				       t->skel->bss->sample_draws,
				       t->skel->bss->sample_gain);
		if (err)
			goto cleanup;
	}
	err = runtime_libs__new(bpf_map__fd(t->skel->maps.rt_files),
				bpf_map__fd(t->skel->maps.unwind), t->verbose,
				&t->rt);
	if (err)
		goto cleanup;
	t->rb = ring_buffer__new(bpf_map__fd(t->skel->maps.events), on_ringbuf,
				 t, NULL);
	if (!t->rb) {
		err = -errno;
		fprintf(stderr,
			"allocsnoop: cannot set up the event ring buffer: "
			"%s\n",
			strerror(-err));
		goto cleanup;
	}
	*out = t;
	return 0;
cleanup:
	tracer__free(t);
	return err;
}

void tracer__free(struct as_tracer *t)
{
	size_t i;

	if (!t)
		return;
	for (i = 0; i < t->nlinks; i++)
		bpf_link__destroy(t->links[i]);
	free(t->links);
	for (i = 0; i < t->nlink_fds; i++)
		close(t->link_fds[i]);
	free(t->link_fds);
	ring_buffer__free(t->rb);
	runtime_libs__free(t->rt);
	allocsnoop_bpf__destroy(t->skel);
	free(t);
}

static int attach_one(struct as_tracer *t, struct bpf_program *prog,
		      const char *path, pid_t pid, uint64_t offset,
		      uint64_t cookie, bool retprobe, const char *fn)
{
	LIBBPF_OPTS(bpf_uprobe_opts, opts, .retprobe = retprobe,
		    .bpf_cookie = cookie);
	struct bpf_link *link;
	int err;

	link = bpf_program__attach_uprobe_opts(prog, pid, path, offset, &opts);
	if (!link) {
		err = -errno;
		if (err == -ESRCH)
			return err; /* the caller says the process is gone */
		fprintf(stderr,
			"allocsnoop: cannot attach %s to %s in %s at 0x%llx: "
			"%s%s\n",
			retprobe ? "a uretprobe" : "a uprobe", fn, path,
			(unsigned long long)offset, strerror(-err),
			err == -EPERM || err == -EACCES
			    ? "; run as root or grant CAP_PERFMON"
			    : "");
		return err;
	}
	return add_link(t, link);
}

/* A function probed with a uprobe and a uretprobe. */
/* Probes gathered for one library's uprobe_multi links. */
enum { PLAN_ENTER, PLAN_EXIT, PLAN_FREE, PLAN_MAX };

struct multi_plan {
	uint64_t offsets[PLAN_MAX][AS_MAX_FNS];
	uint64_t cookies[PLAN_MAX][AS_MAX_FNS];
	size_t n[PLAN_MAX];
};

static void plan_add(struct multi_plan *mp, int kind, uint64_t offset,
		     uint64_t cookie)
{
	if (mp->n[kind] < AS_MAX_FNS) {
		mp->offsets[kind][mp->n[kind]] = offset;
		mp->cookies[kind][mp->n[kind]++] = cookie;
	}
}

/* One link per program for the whole library. */
static int attach_plan(struct as_tracer *t, const char *path, pid_t pid,
		       const struct multi_plan *mp)
{
	struct bpf_program *progs[PLAN_MAX] = {t->skel->progs.alloc_enter,
					       t->skel->progs.alloc_exit,
					       t->skel->progs.free_enter};
	int k, fd, err;

	for (k = 0; k < PLAN_MAX; k++) {
		if (!mp->n[k])
			continue;
		fd = links__uprobe_multi(bpf_program__fd(progs[k]),
					 k == PLAN_EXIT, path, mp->offsets[k],
					 mp->cookies[k], mp->n[k],
					 pid < 0 ? 0 : pid);
		if (fd < 0) {
			if (fd != -ESRCH)
				fprintf(stderr,
					"allocsnoop: cannot attach the "
					"allocator probes to %s: %s%s\n",
					path, strerror(-fd),
					fd == -EPERM || fd == -EACCES
					    ? "; run as root or grant "
					      "CAP_PERFMON"
					    : "");
			return fd;
		}
		err = add_link_fd(t, fd);
		if (err)
			return err;
	}
	return 0;
}

static int attach_classic(struct as_tracer *t, const char *path, pid_t pid,
			  const struct as_alloc_fn *d, uint64_t func_offset,
			  const struct as_probe_site *site,
			  struct multi_plan *mp)
{
	int err;

	if (t->multi) {
		plan_add(mp, allocators__is_free(d) ? PLAN_FREE : PLAN_ENTER,
			 site->offset, allocators__cookie(d));
		if (!allocators__is_free(d))
			plan_add(mp, PLAN_EXIT,
				 site->pushed_words ? func_offset
						    : site->offset,
				 allocators__cookie(d));
		return 0;
	}
	err = attach_one(t,
			 allocators__is_free(d) ? t->skel->progs.free_enter
						: t->skel->progs.alloc_enter,
			 path, pid, site->offset, allocators__cookie(d), false,
			 d->name);
	if (err || !!allocators__is_free(d))
		return err;
	/* The kernel hijacks the return address at [rsp]: the return probe
	 * may share the entry's (cheap) trap only while nothing has been
	 * pushed yet. */
	return attach_one(t, t->skel->progs.alloc_exit, path, pid,
			  site->pushed_words ? func_offset : site->offset,
			  allocators__cookie(d), true, d->name);
}

struct session_plan {
	const struct as_alloc_fn *defs[AS_MAX_FNS];
	uint64_t func_offsets[AS_MAX_FNS];
	struct as_probe_site sites[AS_MAX_FNS];
	uint64_t offsets[AS_MAX_FNS];
	uint64_t cookies[AS_MAX_FNS];
	size_t n;
};

/* Attaches the planned functions as one session link, or classically
 * when the kernel has no sessions. */
static int attach_sessions(struct as_tracer *t, const char *path, pid_t pid,
			   struct session_plan *sp, struct multi_plan *mp)
{
	size_t i;
	int fd, err;

	if (!sp->n)
		return 0;
	if (t->session) {
		/* uprobe_multi's pid is 0 for every process. */
		fd = links__session(
		    bpf_program__fd(t->skel->progs.alloc_session), path,
		    sp->offsets, sp->cookies, sp->n, pid < 0 ? 0 : pid);
		if (fd >= 0) {
			for (i = 0; t->verbose && i < sp->n; i++)
				fprintf(
				    stderr,
				    "allocsnoop: %s: %s at 0x%llx+%llu: "
				    "uprobe session\n",
				    path, sp->defs[i]->name,
				    (unsigned long long)sp->func_offsets[i],
				    (unsigned long long)(sp->offsets[i] -
							 sp->func_offsets[i]));
			return add_link_fd(t, fd);
		}
		if (!links__session_unsupported(fd)) {
			fprintf(stderr,
				"allocsnoop: cannot attach a uprobe session to "
				"malloc/calloc/realloc in %s: %s%s\n",
				path, strerror(-fd),
				fd == -ESRCH ? " (the process is gone)"
				: fd == -EPERM || fd == -EACCES
				    ? "; run as root or grant CAP_PERFMON"
				    : "");
			return fd;
		}
		no_session_note();
		t->session = false;
	}
	for (i = 0; i < sp->n; i++) {
		err = attach_classic(t, path, pid, sp->defs[i],
				     sp->func_offsets[i], &sp->sites[i], mp);
		if (err)
			return err;
	}
	return 0;
}

/* @fn of family @fam in @path, under the first of the family's symbol
 * prefixes that has it. */
static int fn_lookup(const char *path, const struct as_alloc_family *fam,
		     const struct as_alloc_fn *fn, struct as_elfsym *out)
{
	const char *const *prefix;
	char name[128];
	int err = -ENOENT;

	for (prefix = fam->prefixes; *prefix && err == -ENOENT; prefix++) {
		snprintf(name, sizeof(name), "%s%s", *prefix, fn->name);
		err = elfsym__lookup(path, name, out);
	}
	return err;
}

int tracer__attach_lib(struct as_tracer *t, const struct as_alloc_family *fam,
		       const char *path, pid_t pid)
{
	uint64_t done[AS_MAX_FNS];
	const struct as_alloc_fn *defs = fam->fns;
	struct session_plan sp = {.n = 0};
	struct multi_plan mp = {0};
	size_t ndefs = fam->nfns, i, ndone = 0, j;
	int err, attached = 0;

	/* Required functions first: a library without them is skipped
	 * whole, before anything is attached to it. */
	for (i = 0; i < ndefs; i++) {
		struct as_elfsym sym;

		if (!defs[i].required)
			continue;
		err = fn_lookup(path, fam, &defs[i], &sym);
		if (err == -ENOENT)
			return -ENOENT;
		if (err) {
			fprintf(stderr, "allocsnoop: cannot read %s: %s\n",
				path, strerror(-err));
			return err;
		}
	}
	for (i = 0; i < ndefs && ndone < AS_MAX_FNS; i++) {
		const struct as_alloc_fn *d = &defs[i];
		struct as_probe_site site;
		struct as_elfsym sym;
		bool dup = false;

		err = fn_lookup(path, fam, d, &sym);
		if (err == -ENOENT)
			continue;
		if (err)
			return err;
		/* Aliases (glibc's memalign == aligned_alloc) share an
		 * address: probing it twice would count every call twice. */
		for (j = 0; j < ndone; j++)
			dup |= done[j] == sym.file_offset;
		if (dup) {
			if (t->verbose)
				fprintf(stderr,
					"allocsnoop: %s: %s is an alias of a "
					"function already probed\n",
					path, d->name);
			continue;
		}
		done[ndone++] = sym.file_offset;

		err = probesite__choose(path, &sym, allocators__regs_read(d),
					&site);
		if (err) {
			memset(&site, 0, sizeof(site));
			site.offset = sym.file_offset;
		}
		if (t->verbose)
			fprintf(
			    stderr,
			    "allocsnoop: %s: %s at 0x%llx+%llu (%s): %s\n",
			    path, d->name, (unsigned long long)sym.file_offset,
			    (unsigned long long)(site.offset - sym.file_offset),
			    site.insn, site.reason);
		attached++;
		if (t->session && d->hot) {
			/* A session hijacks [rsp] at its probe, like a
			 * uretprobe: only where nothing was pushed. */
			sp.defs[sp.n] = d;
			sp.func_offsets[sp.n] = sym.file_offset;
			sp.sites[sp.n] = site;
			sp.offsets[sp.n] =
			    site.pushed_words ? sym.file_offset : site.offset;
			sp.cookies[sp.n] = allocators__cookie(d);
			sp.n++;
			continue;
		}
		err = attach_classic(t, path, pid, d, sym.file_offset, &site,
				     &mp);
		if (err)
			return err;
	}
	err = attach_sessions(t, path, pid, &sp, &mp);
	err = err ?: attach_plan(t, path, pid, &mp);
	return err ? err : attached;
}

int tracer__attach_lifecycle(struct as_tracer *t)
{
	struct bpf_program *progs[] = {t->skel->progs.handle_exec,
				       t->skel->progs.handle_exit,
				       t->skel->progs.handle_fork};
	struct bpf_link *link;
	size_t i;
	int err;

	for (i = 0; i < sizeof(progs) / sizeof(progs[0]); i++) {
		link = bpf_program__attach(progs[i]);
		if (!link) {
			err = -errno;
			fprintf(stderr,
				"allocsnoop: cannot attach the raw tracepoint "
				"of %s: %s; run with -v for libbpf's reason\n",
				bpf_program__name(progs[i]), strerror(-err));
			return err;
		}
		err = add_link(t, link);
		if (err)
			return err;
	}
	return 0;
}

int tracer__follow(struct as_tracer *t, pid_t pid)
{
	__u32 key = (__u32)pid;
	__u8 one = 1;

	return bpf_map__update_elem(t->skel->maps.follow, &key, sizeof(key),
				    &one, sizeof(one), BPF_ANY);
}

void tracer__add_runtime(struct as_tracer *t, pid_t pid, const char *libc_path)
{
	runtime_libs__add_process(t->rt, pid, libc_path);
}

int tracer__event_fd(const struct as_tracer *t)
{
	return ring_buffer__epoll_fd(t->rb);
}

int tracer__drain(struct as_tracer *t)
{
	int n = ring_buffer__consume(t->rb);

	return n < 0 ? n : 0;
}

void tracer__maps(const struct as_tracer *t, struct as_tracer_maps *out)
{
	out->table = bpf_map__fd(t->skel->maps.table);
	out->table_buckets = t->table_buckets;
	out->allocs = bpf_map__fd(t->skel->maps.allocs);
	out->stacks = bpf_map__fd(t->skel->maps.stacks);
	out->stats = bpf_map__fd(t->skel->maps.stats);
	out->procs = bpf_map__fd(t->skel->maps.procs);
	out->lost = t->skel->bss->lost;
}
