// SPDX-License-Identifier: MIT
/*
 * attach.c - allocator files -> probe sites -> links, in the mode the
 * kernel allows.
 *
 * For each file, the functions of its family are looked up, aliases
 * dropped (glibc's memalign is aligned_alloc: probing an address twice
 * would count every call twice), and each gets its entry site
 * (probesite.h). Then the plan is linked: per function (perf events), per
 * program (uprobe_multi: enter, exit, free), and the hot functions as one
 * session link when sampling.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "allocsnoop.skel.h"
#include "symbolize/elfsym.h"
#include "trace/attach.h"
#include "trace/links.h"
#include "trace/probesite.h"
#include "util/buf.h"

/* The programs of a plan, and the uprobe_multi link of each. */
enum { PROG_ENTER, PROG_EXIT, PROG_FREE, PROG_SESSION, PROG_MAX };

struct as_attacher {
	enum as_attach_mode mode;
	bool verbose;
	struct allocsnoop_bpf *skel;
	struct bpf_link **links; /* libbpf's: perf events, tracepoints */
	size_t nlinks, cap_links;
	int *fds; /* raw uprobe_multi and session links */
	size_t nfds, cap_fds;
};

/* One function to probe in one file. */
struct probe {
	const struct as_alloc_fn *fn;
	char sym[128];		   /* its symbol, with the family's prefix */
	struct as_elfsym elf;	   /* where it is */
	uint64_t func_offset;	   /* its first byte */
	struct as_probe_site site; /* where its entry probe goes */
};

struct plan {
	struct probe p[AS_MAX_FNS];
	size_t n;
};

/* One uprobe_multi or session link being gathered. */
struct multi_list {
	uint64_t offsets[AS_MAX_FNS];
	uint64_t cookies[AS_MAX_FNS];
	size_t n;
};

static const char *const mode_names[] = {
    [AS_ATTACH_SESSION] = "uprobe session",
    [AS_ATTACH_MULTI] = "uprobe_multi",
    [AS_ATTACH_PERF] = "perf-event uprobe",
};

const char *attacher__mode_name(enum as_attach_mode mode)
{
	return mode <= AS_ATTACH_PERF ? mode_names[mode] : "?";
}

int attacher__new(const struct as_attach_opts *o, struct as_attacher **out)
{
	struct as_attacher *a = calloc(1, sizeof(*a));

	if (!a)
		return -ENOMEM;
	a->verbose = o->verbose;
	/* Sessions are tried when sampling (they need 6.13, a failed load
	 * says so); uprobe_multi from 6.6. */
	if (!links__multi_supported())
		a->mode = AS_ATTACH_PERF;
	else
		a->mode = o->sampling ? AS_ATTACH_SESSION : AS_ATTACH_MULTI;
	*out = a;
	return 0;
}

/* Detaching a link waits for a grace period of the kernel's: links are
 * let go from several threads at once, so that their waits overlap. */
#define DETACH_THREADS 16

struct detach_slice {
	struct as_attacher *a;
	size_t first, step;
};

static void *detach_slice(void *arg)
{
	const struct detach_slice *ds = arg;
	struct as_attacher *a = ds->a;
	size_t i;

	for (i = ds->first; i < a->nlinks + a->nfds; i += ds->step) {
		if (i < a->nlinks)
			bpf_link__destroy(a->links[i]);
		else
			close(a->fds[i - a->nlinks]);
	}
	return NULL;
}

static void detach_all(struct as_attacher *a)
{
	struct detach_slice ds[DETACH_THREADS];
	pthread_t th[DETACH_THREADS];
	bool started[DETACH_THREADS] = {false};
	size_t n = a->nlinks + a->nfds, k, i;

	k = n < DETACH_THREADS ? n : DETACH_THREADS;
	for (i = 0; i < k; i++) {
		ds[i] = (struct detach_slice){a, i, k};
		started[i] =
		    !pthread_create(&th[i], NULL, detach_slice, &ds[i]);
	}
	/* a slice whose thread could not start is detached here */
	for (i = 0; i < k; i++)
		if (started[i])
			pthread_join(th[i], NULL);
		else
			detach_slice(&ds[i]);
}

void attacher__free(struct as_attacher *a)
{
	if (!a)
		return;
	detach_all(a);
	free(a->links);
	free(a->fds);
	free(a);
}

enum as_attach_mode attacher__mode(const struct as_attacher *a)
{
	return a->mode;
}

static void no_session_note(void)
{
	fprintf(stderr,
		"allocsnoop: this kernel has no uprobe sessions (Linux 6.13 "
		"or later): sampled malloc/calloc/realloc calls keep a return "
		"probe, so sampling saves less time\n");
}

int attacher__prepare(struct as_attacher *a, struct allocsnoop_bpf *skel)
{
	struct bpf_program *multi[] = {
	    skel->progs.alloc_enter, skel->progs.alloc_exit,
	    skel->progs.free_enter, skel->progs.maps_changed};
	struct bpf_program *sess = skel->progs.alloc_session;
	size_t i;
	int err;

	a->skel = skel;
	/* libbpf 1.1.2 knows no session or uprobe_multi programs: they are
	 * kprobe-type programs whose expected attach type the kernel checks
	 * at load. */
	err = a->mode == AS_ATTACH_SESSION
		  ? bpf_program__set_expected_attach_type(
			sess, AS_BPF_TRACE_UPROBE_SESSION)
		  : bpf_program__set_autoload(sess, false);
	for (i = 0; !err && a->mode != AS_ATTACH_PERF && i < 4; i++)
		err = bpf_program__set_expected_attach_type(
		    multi[i], AS_BPF_TRACE_UPROBE_MULTI);
	if (err)
		fprintf(stderr,
			"allocsnoop: cannot configure the programs for %s "
			"links: %s\n",
			attacher__mode_name(a->mode), strerror(-err));
	return err;
}

bool attacher__fall_back(struct as_attacher *a)
{
	if (a->mode == AS_ATTACH_PERF)
		return false;
	if (a->mode == AS_ATTACH_SESSION)
		no_session_note();
	a->mode++;
	return true;
}

static int keep_link(struct as_attacher *a, struct bpf_link *link)
{
	if (BUF_RESERVE(a->links, a->cap_links, a->nlinks + 1)) {
		bpf_link__destroy(link);
		return -ENOMEM;
	}
	a->links[a->nlinks++] = link;
	return 0;
}

static int keep_fd(struct as_attacher *a, int fd)
{
	if (BUF_RESERVE(a->fds, a->cap_fds, a->nfds + 1)) {
		close(fd);
		return -ENOMEM;
	}
	a->fds[a->nfds++] = fd;
	return 0;
}

static const char *perm_hint(int err)
{
	return err == -EPERM || err == -EACCES
		   ? "; run as root or grant CAP_PERFMON"
		   : "";
}

/* --- planning --------------------------------------------------------- */

/* @fn of family @fam in @path, under the first of the family's symbol
 * prefixes that has it. */
static int fn_lookup(const char *path, const struct as_alloc_family *fam,
		     const struct as_alloc_fn *fn, struct as_elfsym *out,
		     char *name, size_t len)
{
	const char *const *prefix;
	int err = -ENOENT;

	for (prefix = fam->prefixes; *prefix && err == -ENOENT; prefix++) {
		snprintf(name, len, "%s%s", *prefix, fn->name);
		err = fn->lto_copy ? elfsym__lookup_lto(path, name, out)
				   : elfsym__lookup(path, name, out);
	}
	return err;
}

/* One file's planning: what for_each_fn's callbacks need. */
struct planner {
	struct as_attacher *a;
	struct plan *pl;
	const char *path;
	const struct as_alloc_family *fam;
};

/* 0 when @row is not required or the file has it, else -ENOENT (or why it
 * cannot be read): a file that is not of the family gets no probe. */
static int check_required(const struct as_alloc_fn *row, void *ctx)
{
	const struct planner *pr = ctx;
	struct as_elfsym sym;
	char name[128];
	int err;

	if (!row->required)
		return 0;
	err = fn_lookup(pr->path, pr->fam, row, &sym, name, sizeof(name));
	if (err == -ENOEXEC) /* not ELF: no allocator either */
		return -ENOENT;
	if (err && err != -ENOENT)
		fprintf(stderr, "allocsnoop: cannot read %s: %s\n", pr->path,
			strerror(-err));
	return err;
}

static bool is_alias(const struct plan *pl, uint64_t func_offset)
{
	size_t i;

	for (i = 0; i < pl->n; i++)
		if (pl->p[i].func_offset == func_offset)
			return true;
	return false;
}

/* Adds @fn to the plan with its entry site, unless the file lacks it or it
 * is an alias of a function already planned. */
static int plan_fn(const struct as_alloc_fn *fn, void *ctx)
{
	const struct planner *pr = ctx;
	struct as_attacher *a = pr->a;
	struct plan *pl = pr->pl;
	const char *path = pr->path;
	const struct as_alloc_family *fam = pr->fam;
	struct probe *p = &pl->p[pl->n];
	struct as_elfsym sym;
	int err;

	if (pl->n == AS_MAX_FNS)
		return 0;
	err = fn_lookup(path, fam, fn, &sym, p->sym, sizeof(p->sym));
	if (err)
		return err == -ENOENT ? 0 : err;
	if (is_alias(pl, sym.file_offset)) {
		if (a->verbose)
			fprintf(stderr,
				"allocsnoop: %s: %s is an alias of a function "
				"already probed\n",
				path, fn->name);
		return 0;
	}
	p->fn = fn;
	p->elf = sym;
	p->func_offset = sym.file_offset;
	if (probesite__choose(path, &sym, allocators__regs_read(fn),
			      &p->site)) {
		memset(&p->site, 0, sizeof(p->site));
		p->site.offset = sym.file_offset;
	}
	if (a->verbose)
		fprintf(stderr, "allocsnoop: %s: %s at 0x%llx+%llu (%s): %s\n",
			path, fn->name, (unsigned long long)sym.file_offset,
			(unsigned long long)(p->site.offset - sym.file_offset),
			p->site.insn, p->site.reason);
	pl->n++;
	return 0;
}

/* Is the function named @sym in @path (or an alias of it) planned? */
static bool planned(const struct plan *pl, const char *path, const char *sym)
{
	struct as_elfsym to;
	size_t i;

	if (elfsym__lookup(path, sym, &to))
		return false; /* not this file's */
	for (i = 0; i < pl->n; i++)
		if (pl->p[i].elf.vaddr == to.vaddr)
			return true;
	return false;
}

/*
 * Drops the frees that only jump to another planned free (mimalloc's
 * mi_free_size: jmp mi_free@plt): a free has no return probe to nest by,
 * so the second probe would find the block gone and count an unmatched
 * free. An allocation that forwards nests and counts once anyway.
 */
static void drop_forwarders(struct as_attacher *a, struct plan *pl,
			    const char *path)
{
	bool drop[AS_MAX_FNS] = {false};
	char to[128];
	size_t i, k;

	/* decided on the whole plan first: a chain of forwarders ends in a
	 * planned free, or its first link is kept */
	for (i = 0; i < pl->n; i++) {
		drop[i] = allocators__is_free(pl->p[i].fn) &&
			  !elfsym__forwarded_to(path, &pl->p[i].elf, to,
						sizeof(to)) &&
			  planned(pl, path, to);
		if (drop[i] && a->verbose)
			fprintf(stderr,
				"allocsnoop: %s: %s forwards to %s, probed "
				"there\n",
				path, pl->p[i].sym, to);
	}
	for (i = k = 0; i < pl->n; i++)
		if (!drop[i])
			pl->p[k++] = pl->p[i];
	pl->n = k;
}

/*
 * Where a probe that hijacks the return address at [rsp] (a uretprobe, a
 * session) goes: the entry site while nothing has been pushed yet, so it
 * shares the entry's cheap trap, else the function's first byte.
 */
static uint64_t return_site(const struct probe *p)
{
	return p->site.pushed_words ? p->func_offset : p->site.offset;
}

/* --- linking ---------------------------------------------------------- */

static int attach_perf(struct as_attacher *a, struct bpf_program *prog,
		       const char *path, pid_t pid, uint64_t offset,
		       const struct probe *p, bool retprobe)
{
	LIBBPF_OPTS(bpf_uprobe_opts, opts, .retprobe = retprobe,
		    .bpf_cookie = allocators__cookie(p->fn));
	struct bpf_link *link;
	int err;

	link = bpf_program__attach_uprobe_opts(prog, pid, path, offset, &opts);
	if (!link) {
		err = -errno;
		if (err != -ESRCH) /* the caller says the process is gone */
			fprintf(stderr,
				"allocsnoop: cannot attach %s to %s in %s at "
				"0x%llx: %s%s\n",
				retprobe ? "a uretprobe" : "a uprobe",
				p->fn->name, path, (unsigned long long)offset,
				strerror(-err), perm_hint(err));
		return err;
	}
	return keep_link(a, link);
}

/* A function as a perf-event uprobe, and a uretprobe unless it frees. */
static int link_perf(struct as_attacher *a, const char *path, pid_t pid,
		     const struct probe *p)
{
	bool is_free = allocators__is_free(p->fn);
	int err;

	err = attach_perf(
	    a, is_free ? a->skel->progs.free_enter : a->skel->progs.alloc_enter,
	    path, pid, p->site.offset, p, false);
	if (err || is_free)
		return err;
	return attach_perf(a, a->skel->progs.alloc_exit, path, pid,
			   return_site(p), p, true);
}

static void list_add(struct multi_list *l, uint64_t offset, uint64_t cookie)
{
	l->offsets[l->n] = offset;
	l->cookies[l->n++] = cookie;
}

/* Links one gathered list of program @k; a refused session is told apart
 * (returned as -EOPNOTSUPP, said by no one yet). */
static int link_list(struct as_attacher *a, int k, const char *path, pid_t pid,
		     const struct multi_list *l)
{
	struct bpf_program *progs[PROG_MAX] = {
	    a->skel->progs.alloc_enter, a->skel->progs.alloc_exit,
	    a->skel->progs.free_enter, a->skel->progs.alloc_session};
	/* uprobe_multi's pid is 0 for every process */
	pid_t lpid = pid < 0 ? 0 : pid;
	int fd, prog = bpf_program__fd(progs[k]);

	if (!l->n)
		return 0;
	fd =
	    k == PROG_SESSION
		? links__session(prog, path, l->offsets, l->cookies, l->n, lpid)
		: links__uprobe_multi(prog, k == PROG_EXIT, path, l->offsets,
				      l->cookies, l->n, lpid);
	if (fd < 0 && k == PROG_SESSION && links__session_unsupported(fd))
		return -EOPNOTSUPP;
	if (fd < 0) {
		if (fd != -ESRCH)
			fprintf(stderr,
				"allocsnoop: cannot attach the %s probes to "
				"%s: %s%s\n",
				k == PROG_SESSION ? "uprobe session"
						  : "allocator",
				path, strerror(-fd), perm_hint(fd));
		return fd;
	}
	return keep_fd(a, fd);
}

/* Puts @p in the lists of the programs it runs in multi mode. */
static void gather(struct multi_list *lists, const struct probe *p,
		   bool session)
{
	uint64_t cookie = allocators__cookie(p->fn);

	if (session) {
		list_add(&lists[PROG_SESSION], return_site(p), cookie);
		return;
	}
	if (allocators__is_free(p->fn)) {
		list_add(&lists[PROG_FREE], p->site.offset, cookie);
		return;
	}
	list_add(&lists[PROG_ENTER], p->site.offset, cookie);
	list_add(&lists[PROG_EXIT], return_site(p), cookie);
}

static int link_multi(struct as_attacher *a, const char *path, pid_t pid,
		      const struct plan *pl)
{
	struct multi_list lists[PROG_MAX];
	size_t i;
	int k, err;

	memset(lists, 0, sizeof(lists));
	for (i = 0; i < pl->n; i++)
		gather(lists, &pl->p[i],
		       a->mode == AS_ATTACH_SESSION && pl->p[i].fn->hot);
	err = link_list(a, PROG_SESSION, path, pid, &lists[PROG_SESSION]);
	if (err == -EOPNOTSUPP) {
		/* refused at attach rather than at load: the rest of the
		 * run uses plain uprobe_multi links */
		attacher__fall_back(a);
		return link_multi(a, path, pid, pl);
	}
	for (i = 0; a->verbose && !err && lists[PROG_SESSION].n && i < pl->n;
	     i++)
		if (pl->p[i].fn->hot)
			fprintf(stderr,
				"allocsnoop: %s: %s at 0x%llx+%llu: uprobe "
				"session\n",
				path, pl->p[i].fn->name,
				(unsigned long long)pl->p[i].func_offset,
				(unsigned long long)(return_site(&pl->p[i]) -
						     pl->p[i].func_offset));
	for (k = PROG_ENTER; !err && k < PROG_SESSION; k++)
		err = link_list(a, k, path, pid, &lists[k]);
	return err;
}

int attacher__attach_file(struct as_attacher *a,
			  const struct as_alloc_family *fam, const char *path,
			  pid_t pid)
{
	struct plan pl = {.n = 0};
	struct planner pr = {a, &pl, path, fam};
	size_t i;
	int err;

	err = allocators__for_each_fn(fam, check_required, &pr);
	err = err ?: allocators__for_each_fn(fam, plan_fn, &pr);
	if (err)
		return err;
	drop_forwarders(a, &pl, path);
	if (a->mode != AS_ATTACH_PERF)
		err = link_multi(a, path, pid, &pl);
	for (i = 0; !err && a->mode == AS_ATTACH_PERF && i < pl.n; i++)
		err = link_perf(a, path, pid, &pl.p[i]);
	return err ? err : (int)pl.n;
}

int attacher__attach_rendezvous(struct as_attacher *a, const char *path,
				uint64_t offset, pid_t pid)
{
	LIBBPF_OPTS(bpf_uprobe_opts, opts);
	struct bpf_program *prog = a->skel->progs.maps_changed;
	struct bpf_link *link = NULL;
	uint64_t cookie = 0;
	int fd;

	if (a->mode != AS_ATTACH_PERF) {
		fd =
		    links__uprobe_multi(bpf_program__fd(prog), false, path,
					&offset, &cookie, 1, pid < 0 ? 0 : pid);
	} else {
		link = bpf_program__attach_uprobe_opts(prog, pid, path, offset,
						       &opts);
		fd = link ? 0 : -errno;
	}
	if (fd < 0) {
		if (fd != -ESRCH)
			fprintf(stderr,
				"allocsnoop: cannot probe the loader's "
				"rendezvous in %s: %s%s\n",
				path, strerror(-fd), perm_hint(fd));
		return fd;
	}
	return link ? keep_link(a, link) : keep_fd(a, fd);
}

int attacher__attach_lifecycle(struct as_attacher *a, bool mmap)
{
	struct bpf_program *progs[] = {
	    a->skel->progs.handle_exec, a->skel->progs.handle_exit,
	    a->skel->progs.handle_fork, a->skel->progs.handle_oom,
	    a->skel->progs.mmap_calls};
	size_t n = sizeof(progs) / sizeof(progs[0]) - !mmap, i;
	struct bpf_link *link;
	int err;

	for (i = 0; i < n; i++) {
		link = bpf_program__attach(progs[i]);
		if (!link) {
			err = -errno;
			fprintf(stderr,
				"allocsnoop: cannot attach the raw tracepoint "
				"of %s: %s; run with -v for libbpf's reason\n",
				bpf_program__name(progs[i]), strerror(-err));
			return err;
		}
		err = keep_link(a, link);
		if (err)
			return err;
	}
	return 0;
}
