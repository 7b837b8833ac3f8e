// SPDX-License-Identifier: MIT
/* tracer.c - skeleton open -> configure -> load -> attach, links, events. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "allocsnoop.skel.h"
#include "elfsym.h"
#include "probes.h"
#include "probesite.h"
#include "tracer.h"

struct tracer {
	struct allocsnoop_bpf *skel;
	struct ring_buffer *rb;
	struct bpf_link **links;
	size_t nlinks, cap_links;
	tracer_event_fn on_event;
	void *ctx;
	bool verbose;
};

static int libbpf_print_quiet(enum libbpf_print_level level, const char *fmt,
			      va_list args)
{
	(void)level;
	(void)fmt;
	(void)args;
	return 0;
}

static int libbpf_print_verbose(enum libbpf_print_level level,
				const char *fmt, va_list args)
{
	if (level == LIBBPF_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, args);
}

static int on_ringbuf(void *ctx, void *data, size_t size)
{
	struct tracer *t = ctx;

	if (size >= sizeof(struct as_event) && t->on_event)
		t->on_event(data, t->ctx);
	return 0;
}

static int add_link(struct tracer *t, struct bpf_link *link)
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

int tracer__new(const struct tracer_opts *o, tracer_event_fn on_event,
		void *ctx, struct tracer **out)
{
	struct tracer *t;
	int err;

	libbpf_set_print(o->verbose ? libbpf_print_verbose
				    : libbpf_print_quiet);
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->on_event = on_event;
	t->ctx = ctx;
	t->verbose = o->verbose;

	t->skel = allocsnoop_bpf__open();
	if (!t->skel) {
		err = -errno;
		fprintf(stderr,
			"allocsnoop: cannot open the BPF object: %s; "
			"is this kernel built with BPF and BTF?\n",
			strerror(-err));
		goto cleanup;
	}
	t->skel->rodata->self_tgid = o->self_tgid;
	t->skel->rodata->stack_depth = o->stack_depth;
	err = set_size(t->skel->maps.allocs, o->max_allocs, "--max-allocs");
	err = err ?: set_size(t->skel->maps.stacks, o->max_stacks,
			      "--max-stacks");
	err = err ?: set_size(t->skel->maps.stats, o->max_stats,
			      "--max-stacks");
	err = err ?: set_size(t->skel->maps.procs, o->max_procs,
			      "--max-procs");
	err = err ?: set_size(t->skel->maps.threads, o->max_threads,
			      "--max-threads");
	if (err)
		goto cleanup;

	err = allocsnoop_bpf__load(t->skel);
	if (err) {
		fprintf(stderr,
			"allocsnoop: cannot load the BPF programs: %s; "
			"run with -v to see the verifier log%s\n",
			strerror(-err),
			err == -EPERM ? " (are CAP_BPF and CAP_PERFMON "
					"granted? run as root)"
				      : "");
		goto cleanup;
	}
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

void tracer__free(struct tracer *t)
{
	size_t i;

	if (!t)
		return;
	for (i = 0; i < t->nlinks; i++)
		bpf_link__destroy(t->links[i]);
	free(t->links);
	ring_buffer__free(t->rb);
	allocsnoop_bpf__destroy(t->skel);
	free(t);
}

static int attach_one(struct tracer *t, struct bpf_program *prog,
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

int tracer__attach_lib(struct tracer *t, const char *path, pid_t pid)
{
	uint64_t done[AS_FN_MAX];
	const struct as_probe_def *defs;
	size_t ndefs, i, ndone = 0, j;
	int err, attached = 0;

	defs = as_probe_defs(&ndefs);
	/* Required functions first: a library without them is skipped
	 * whole, before anything is attached to it. */
	for (i = 0; i < ndefs; i++) {
		struct elfsym sym;

		if (!defs[i].required)
			continue;
		err = elfsym_lookup(path, defs[i].name, &sym);
		if (err == -ENOENT)
			return -ENOENT;
		if (err) {
			fprintf(stderr, "allocsnoop: cannot read %s: %s\n",
				path, strerror(-err));
			return err;
		}
	}
	for (i = 0; i < ndefs; i++) {
		const struct as_probe_def *d = &defs[i];
		struct as_probe_site site;
		struct elfsym sym;
		bool dup = false;

		err = elfsym_lookup(path, d->name, &sym);
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

		err = probesite_choose(path, &sym, d->regs_read, &site);
		if (err) {
			memset(&site, 0, sizeof(site));
			site.offset = sym.file_offset;
		}
		if (t->verbose)
			fprintf(stderr,
				"allocsnoop: %s: %s at 0x%llx+%llu (%s): %s\n",
				path, d->name,
				(unsigned long long)sym.file_offset,
				(unsigned long long)(site.offset -
						     sym.file_offset),
				site.insn, site.reason);
		err = attach_one(t,
				 d->fn == AS_FN_FREE ? t->skel->progs.free_enter
						     : t->skel->progs.alloc_enter,
				 path, pid, site.offset,
				 AS_COOKIE(d->fn, site.pushed_words), false,
				 d->name);
		if (err)
			return err;
		if (d->has_return) {
			/* The kernel hijacks the return address at [rsp]: the
			 * return probe may share the entry's (cheap) trap
			 * only while nothing has been pushed yet. */
			err = attach_one(t, t->skel->progs.alloc_exit, path,
					 pid,
					 site.pushed_words ? sym.file_offset
							   : site.offset,
					 AS_COOKIE(d->fn, 0), true, d->name);
			if (err)
				return err;
		}
		attached++;
	}
	return attached;
}

int tracer__attach_lifecycle(struct tracer *t)
{
	struct bpf_link *link;
	int err;

	link = bpf_program__attach(t->skel->progs.handle_exec);
	if (!link)
		goto fail;
	err = add_link(t, link);
	if (err)
		return err;
	link = bpf_program__attach(t->skel->progs.handle_exit);
	if (!link)
		goto fail;
	return add_link(t, link);
fail:
	err = -errno;
	fprintf(stderr,
		"allocsnoop: cannot attach the sched_process_exec/exit raw "
		"tracepoints: %s; run with -v for libbpf's reason\n",
		strerror(-err));
	return err;
}

int tracer__event_fd(const struct tracer *t)
{
	return ring_buffer__epoll_fd(t->rb);
}

int tracer__drain(struct tracer *t)
{
	int n = ring_buffer__consume(t->rb);

	return n < 0 ? n : 0;
}

void tracer__maps(const struct tracer *t, struct tracer_maps *out)
{
	out->allocs = bpf_map__fd(t->skel->maps.allocs);
	out->stacks = bpf_map__fd(t->skel->maps.stacks);
	out->stats = bpf_map__fd(t->skel->maps.stats);
	out->procs = bpf_map__fd(t->skel->maps.procs);
	out->lost = t->skel->bss->lost;
}
