// SPDX-License-Identifier: MIT
/* profsel.c - a request's profile: selected processes, maybe a delta. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "profile/pprof.h"
#include "serve/profsel.h"
#include "util/buf.h"
#include "util/u64map.h"

bool profsel__selects(const struct as_prof_query *q, const struct as_served *st,
		      uint32_t pid)
{
	const struct as_proc_labels *l;
	const struct as_process *p;
	const char *cg;

	if (q->pid && pid != q->pid)
		return false;
	if (q->comm) {
		p = snapshot__find_process(st->snap, pid);
		if (!p || !p->comm || strcmp(p->comm, q->comm))
			return false;
	}
	if (q->cgroup) {
		l = served__labels(st, pid);
		cg = l && l->cgroup ? l->cgroup : "/";
		if (strncmp(cg, q->cgroup, strlen(q->cgroup)))
			return false;
	}
	return true;
}

/* Copies samples of one source snapshot into the profile being built. */
struct copier {
	struct as_snapshot *dst;
	const struct as_snapshot *src;
	int32_t *locmap; /* src location -> dst location, -1: not yet */
	int32_t *modmap; /* src module -> dst module, -1: not yet */
	uint32_t *locs;	 /* scratch: one sample's dst locations */
	size_t caplocs;
};

static int copier_init(struct copier *cp, struct as_snapshot *dst,
		       const struct as_snapshot *src)
{
	cp->dst = dst;
	cp->src = src;
	cp->locmap = malloc((src->nlocations ?: 1) * sizeof(*cp->locmap));
	cp->modmap = malloc((src->nmodules ?: 1) * sizeof(*cp->modmap));
	if (!cp->locmap || !cp->modmap)
		return -ENOMEM;
	memset(cp->locmap, 0xff, (src->nlocations ?: 1) * sizeof(*cp->locmap));
	memset(cp->modmap, 0xff, (src->nmodules ?: 1) * sizeof(*cp->modmap));
	return 0;
}

static void copier_free(struct copier *cp)
{
	free(cp->locmap);
	free(cp->modmap);
	free(cp->locs);
}

static int copy_location(struct copier *cp, uint32_t i, uint32_t *out)
{
	const struct as_location *l = &cp->src->locations[i];
	const struct as_module *m;
	int32_t mod = -1;
	uint32_t j;
	int r;

	if (cp->locmap[i] >= 0) {
		*out = (uint32_t)cp->locmap[i];
		return 0;
	}
	if (l->module >= 0 && cp->modmap[l->module] < 0) {
		m = &cp->src->modules[l->module];
		r = snapshot__add_module(cp->dst, m->path, m->build_id,
					 m->start, m->limit, m->offset);
		if (r < 0)
			return r;
		cp->modmap[l->module] = r;
	}
	if (l->module >= 0)
		mod = cp->modmap[l->module];
	r = snapshot__new_location(cp->dst, l->address, mod, l->rel_offset);
	for (j = 0; r >= 0 && j < l->nlines; j++) {
		int e = snapshot__add_line(cp->dst, (uint32_t)r,
					   l->lines[j].function,
					   l->lines[j].file, l->lines[j].line);
		if (e)
			return e;
	}
	if (r < 0)
		return r;
	cp->locmap[i] = r;
	*out = (uint32_t)r;
	return 0;
}

/*
 * Adds @sm times @sign minus @minus (NULL: nothing), with its time
 * fields when it is not a delta (@minus and @sign are 1 and NULL).
 */
static int copy_sample(struct copier *cp, const struct as_sample *sm, int sign,
		       const struct as_sample *minus, bool delta)
{
	struct as_sample zero = {0}, *d;
	const struct as_sample *m = minus ?: &zero;
	uint32_t j;
	int r;

	if (delta && sign * sm->size - m->size == 0 &&
	    sign * sm->count - m->count == 0 &&
	    sign * sm->alloc_size - m->alloc_size == 0 &&
	    sign * sm->alloc_count - m->alloc_count == 0)
		return 0;
	if (BUF_RESERVE(cp->locs, cp->caplocs, sm->nlocs ?: 1))
		return -ENOMEM;
	for (j = 0; j < sm->nlocs; j++) {
		r = copy_location(cp, sm->locs[j], &cp->locs[j]);
		if (r)
			return r;
	}
	r = snapshot__add_sample(
	    cp->dst, sm->pid, cp->locs, sm->nlocs, sign * sm->size - m->size,
	    sign * sm->count - m->count, sign * sm->alloc_size - m->alloc_size,
	    sign * sm->alloc_count - m->alloc_count);
	if (r < 0)
		return r;
	d = &cp->dst->samples[r];
	d->kind = sm->kind;
	d->temporary = sign * sm->temporary - m->temporary;
	if (delta)
		return 0;
	d->oldest_ns = sm->oldest_ns;
	return hist__copy(&d->life, &sm->life) ?: hist__copy(&d->age, &sm->age);
}

/* A sample's identity across moments: process, kind and addresses. */
static uint64_t sample_hash(const struct as_snapshot *s,
			    const struct as_sample *sm)
{
	uint64_t h = u64map__hash_u64(U64MAP_HASH_INIT, sm->pid);
	uint32_t j;

	h = u64map__hash_u64(h, sm->kind);
	for (j = 0; j < sm->nlocs; j++)
		h = u64map__hash_u64(h, s->locations[sm->locs[j]].address);
	return h;
}

struct match {
	const struct as_snapshot *a, *b; /* b's sample at value vs a's */
	const struct as_sample *sm;	 /* of a */
};

static bool same_sample(uint64_t value, const void *ctx)
{
	const struct match *mt = ctx;
	const struct as_sample *o = &mt->b->samples[value];
	uint32_t j;

	if (o->pid != mt->sm->pid || o->kind != mt->sm->kind ||
	    o->nlocs != mt->sm->nlocs)
		return false;
	for (j = 0; j < o->nlocs; j++)
		if (mt->b->locations[o->locs[j]].address !=
		    mt->a->locations[mt->sm->locs[j]].address)
			return false;
	return true;
}

static int copy_processes(struct as_snapshot *dst, const struct as_served *st,
			  const struct as_prof_query *q)
{
	const struct as_snapshot *s = st->snap;
	struct as_process *d;
	size_t i, before;
	char *comm;
	int r;

	for (i = 0; i < s->nprocesses; i++) {
		if (!profsel__selects(q, st, s->processes[i].pid))
			continue;
		before = dst->nprocesses;
		r = snapshot__add_process(dst, s->processes[i].pid,
					  s->processes[i].comm);
		if (r < 0)
			return r;
		if (dst->nprocesses == before)
			continue; /* the new moment's facts are kept */
		d = &dst->processes[r];
		comm = d->comm;
		*d = s->processes[i];
		d->comm = comm;
		d->ntimeline = 0;
		d->timeline = NULL;
	}
	return 0;
}

/* Time, metadata and the loss counters (their change for a delta). */
static int copy_header(struct as_snapshot *dst, const struct as_snapshot *now,
		       const struct as_snapshot *base)
{
	uint64_t v, old;
	size_t i;
	int r;

	dst->time = now->time;
	dst->start = base ? base->time : now->start;
	dst->sample_bytes = now->sample_bytes;
	dst->older_than_ns = now->older_than_ns;
	dst->temporary_ns = now->temporary_ns;
	r = snapshot__set_meta(dst, now->tool_version, now->hostname,
			       now->command);
	for (i = 0; !r && i < now->ncounters; i++) {
		v = now->counters[i].value;
		old = base ? snapshot__counter(base, now->counters[i].name) : 0;
		r = snapshot__set_counter(dst, now->counters[i].name,
					  v >= old ? v - old : 0);
	}
	return r;
}

/* The samples of @now selected, minus their match in @base. */
static int copy_samples(struct as_snapshot *dst, const struct as_served *now,
			const struct as_served *base,
			const struct as_prof_query *q)
{
	struct copier cn = {0}, cb = {0};
	struct as_u64map *index = NULL;
	const struct as_snapshot *n = now->snap, *b = base ? base->snap : NULL;
	struct match mt = {.a = n, .b = b};
	bool *matched = NULL;
	uint64_t v;
	size_t i;
	int r;

	r = copier_init(&cn, dst, n);
	if (!r && b) {
		r = copier_init(&cb, dst, b) ?: u64map__new(&index);
		matched = calloc(b->nsamples ?: 1, sizeof(*matched));
		r = r ?: (matched ? 0 : -ENOMEM);
		for (i = 0; !r && i < b->nsamples; i++)
			if (profsel__selects(q, base, b->samples[i].pid))
				r = u64map__add(
				    index, sample_hash(b, &b->samples[i]), i);
	}
	for (i = 0; !r && i < n->nsamples; i++) {
		const struct as_sample *sm = &n->samples[i], *old = NULL;

		if (!profsel__selects(q, now, sm->pid))
			continue;
		mt.sm = sm;
		if (index &&
		    u64map__find(index, sample_hash(n, sm), same_sample, &mt,
				 &v) &&
		    !matched[v]) {
			matched[v] = true;
			old = &b->samples[v];
		}
		r = copy_sample(&cn, sm, 1, old, b != NULL);
	}
	for (i = 0; !r && b && i < b->nsamples; i++)
		if (!matched[i] && profsel__selects(q, base, b->samples[i].pid))
			r = copy_sample(&cb, &b->samples[i], -1, NULL, true);
	free(matched);
	u64map__free(index);
	copier_free(&cn);
	copier_free(&cb);
	return r;
}

struct label_ctx {
	const struct as_served *now, *base;
};

static size_t sample_labels(void *arg, uint32_t pid, struct as_pprof_label *out)
{
	const struct label_ctx *lc = arg;
	const struct as_proc_labels *l = served__labels(lc->now, pid);
	size_t n = 0;

	if (!l && lc->base)
		l = served__labels(lc->base, pid);
	if (!l)
		return 0;
	if (l->exe)
		out[n++] = (struct as_pprof_label){"exe", l->exe};
	if (l->cgroup)
		out[n++] = (struct as_pprof_label){"cgroup", l->cgroup};
	if (l->container)
		out[n++] =
		    (struct as_pprof_label){"container_id", l->container};
	return n;
}

int profsel__encode(const struct as_served *now, const struct as_served *base,
		    const struct as_prof_query *q, const char *default_type,
		    uint8_t **out, size_t *len, char *err, size_t errlen)
{
	struct label_ctx lc = {now, base};
	struct as_pprof_opts o = {
	    .default_type = default_type, .labels = sample_labels, .arg = &lc};
	struct as_snapshot *s;
	int r;

	if (!base && !q->pid && !q->comm && !q->cgroup)
		return snapshot__encode(now->snap, &o, out, len, err, errlen);
	s = snapshot__new();
	if (!s)
		return -ENOMEM;
	r = copy_header(s, now->snap, base ? base->snap : NULL);
	r = r ?: copy_processes(s, now, q);
	r = r ?: (base ? copy_processes(s, base, q) : 0);
	r = r ?: copy_samples(s, now, base, q);
	if (r) {
		snprintf(err, errlen, "cannot select the profile: %s",
			 strerror(-r));
		snapshot__free(s);
		return r;
	}
	r = snapshot__encode(s, &o, out, len, err, errlen);
	snapshot__free(s);
	return r;
}
