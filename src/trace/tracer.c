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
#include "trace/attach.h"
#include "trace/sampling.h"
#include "trace/tracer.h"
#include "unwind/runtime_libs.h"

struct as_tracer {
	struct allocsnoop_bpf *skel;
	struct as_attacher *att;
	struct ring_buffer *rb;
	as_tracer_event_fn on_event;
	void *ctx;
	bool verbose;
	bool mmap; /* attach mmap's tracepoint */
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
		t->on_event(data, size, t->ctx);
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

/* Opens the skeleton into t->skel and sets what the options say. */
static int skel_open(struct as_tracer *t, const struct as_tracer_opts *o)
{
	struct allocsnoop_bpf *sk;
	int err;

	sk = t->skel = allocsnoop_bpf__open();
	if (!sk) {
		err = -errno;
		fprintf(stderr,
			"allocsnoop: cannot open the BPF object: %s; "
			"is this kernel built with BPF and BTF?\n",
			strerror(-err));
		return err;
	}
	sk->rodata->self_tgid = o->self_tgid;
	sk->rodata->stack_depth = o->stack_depth;
	sk->rodata->sample_bytes = o->sample_bytes;
	sk->rodata->follow_forks = o->follow_forks;
	sk->rodata->only_tgid = o->follow_forks ? 0 : (__u32)o->only_tgid;
	sk->rodata->mmap_files = o->mmap_files;
	sk->rodata->floor_only = o->floor_only;
	if (o->temporary_ns)
		sk->rodata->temporary_ns = o->temporary_ns;
	t->table_buckets = table_buckets(
	    o->max_allocs ?: bpf_map__max_entries(sk->maps.allocs));
	sk->rodata->table_mask = t->table_buckets - 1;
	err = set_size(sk->maps.allocs, o->max_allocs, "--max-allocs");
	err = err ?: set_size(sk->maps.table, t->table_buckets, "--max-allocs");
	err = err ?: set_size(sk->maps.stacks, o->max_stacks, "--max-stacks");
	err = err ?: set_size(sk->maps.stats, o->max_stats, "--max-stacks");
	err = err ?: set_size(sk->maps.procs, o->max_procs, "--max-procs");
	return err
		   ?: set_size(sk->maps.threads, o->max_threads,
			       "--max-threads");
}

/*
 * Opens, configures and loads the programs, in the strongest attach mode
 * the kernel loads them in.
 */
static int skel_load(struct as_tracer *t, const struct as_tracer_opts *o)
{
	int err;

	for (;;) {
		err = skel_open(t, o);
		err = err ?: attacher__prepare(t->att, t->skel);
		if (err)
			return err;
		err = allocsnoop_bpf__load(t->skel);
		if (!err)
			return 0;
		allocsnoop_bpf__destroy(t->skel);
		t->skel = NULL;
		if (!attacher__fall_back(t->att))
			break;
	}
	fprintf(stderr,
		"allocsnoop: cannot load the BPF programs: %s; run with -v to "
		"see the verifier log%s\n",
		strerror(-err),
		err == -EPERM
		    ? " (are CAP_BPF and CAP_PERFMON granted? run as root)"
		    : "");
	return err;
}

int tracer__new(const struct as_tracer_opts *o, as_tracer_event_fn on_event,
		void *ctx, struct as_tracer **out)
{
	struct as_tracer *t;
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
	t->mmap = o->mmap;
	err = attacher__new(
	    &(struct as_attach_opts){.sampling = o->sample_bytes != 0,
				     .verbose = o->verbose},
	    &t->att);
	err = err ?: skel_load(t, o);
	if (err)
		goto cleanup;
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

	if (!t)
		return;
	/* links first: they hold the programs */
	attacher__free(t->att);
	ring_buffer__free(t->rb);
	runtime_libs__free(t->rt);
	allocsnoop_bpf__destroy(t->skel);
	free(t);
}

int tracer__attach_lib(struct as_tracer *t, const struct as_alloc_family *fam,
		       const char *path, pid_t pid)
{
	return attacher__attach_file(t->att, fam, path, pid);
}

int tracer__attach_rendezvous(struct as_tracer *t, const char *path,
			      uint64_t offset, pid_t pid)
{
	return attacher__attach_rendezvous(t->att, path, offset, pid);
}

void tracer__count_lost(struct as_tracer *t, enum as_lost what)
{
	/* the counters are the programs' own, in their mapped .bss */
	if (what < AS_LOST_MAX)
		__atomic_fetch_add(&t->skel->bss->lost[what], 1,
				   __ATOMIC_RELAXED);
}

int tracer__attach_lifecycle(struct as_tracer *t)
{
	return attacher__attach_lifecycle(t->att, t->mmap);
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

void tracer__add_runtime_file(struct as_tracer *t, const char *path)
{
	runtime_libs__add(t->rt, path);
}

void tracer__add_runtime_file_of(struct as_tracer *t, const char *path,
				 pid_t pid)
{
	__u32 key = (__u32)pid;

	if (runtime_libs__add(t->rt, path))
		return;
	/* its mappings were cached as not the runtime's */
	bpf_map_delete_elem(bpf_map__fd(t->skel->maps.vmas), &key);
	if (t->verbose)
		fprintf(stderr,
			"allocsnoop: pid %d: %s's frames are stepped through "
			"with its CFI\n",
			(int)pid, path);
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
	out->py_procs = bpf_map__fd(t->skel->maps.py_procs);
	out->lost = t->skel->bss->lost;
}
