// SPDX-License-Identifier: MIT
/*
 * speedscope.c - speedscope's JSON file format, "sampled" profiles with
 * shared frames (see speedscope.h), streamed like the HTML report's data.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "profile/pprof.h"
#include "util/buf.h"
#include "view/flat.h"
#include "view/jsonout.h"
#include "view/speedscope.h"

#define SCHEMA "https://www.speedscope.app/file-format-schema.json"

/* The values a profile can weigh stacks by, in the order written. */
static const struct {
	const char *name, *unit;
} kinds[] = {
    {"live bytes", "bytes"},
    {"live allocations", "none"},
    {"allocated bytes", "bytes"},
    {"allocations", "none"},
};

#define NKINDS (sizeof(kinds) / sizeof(kinds[0]))

static int64_t value_of(const struct as_flat_values *v, size_t kind)
{
	switch (kind) {
	case 0:
		return v->size;
	case 1:
		return v->count;
	case 2:
		return v->alloc_size;
	default:
		return v->alloc_count;
	}
}

/* Frames beyond the flat profile's: one per process when there are
 * several (sorted pids), then "[no stack]" for empty stacks. */
struct ss {
	const struct as_flat *f;
	uint32_t *pids;
	size_t npids;
	bool multi;
};

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static int collect_pids(struct ss *c)
{
	size_t i, n = 0;

	c->pids = malloc((c->f->nstacks + 1) * sizeof(*c->pids));
	if (!c->pids)
		return -ENOMEM;
	for (i = 0; i < c->f->nstacks; i++)
		c->pids[i] = c->f->stacks[i].pid;
	qsort(c->pids, c->f->nstacks, sizeof(*c->pids), cmp_u32);
	for (i = 0; i < c->f->nstacks; i++)
		if (!n || c->pids[n - 1] != c->pids[i])
			c->pids[n++] = c->pids[i];
	c->npids = n;
	c->multi = n > 1;
	return 0;
}

static size_t pid_frame(const struct ss *c, uint32_t pid)
{
	const uint32_t *p =
	    bsearch(&pid, c->pids, c->npids, sizeof(*c->pids), cmp_u32);

	return c->f->nframes + (size_t)(p - c->pids);
}

static const char *comm_of(const struct as_snapshot *now,
			   const struct as_snapshot *old, uint32_t pid)
{
	const struct as_process *p = snapshot__find_process(now, pid);

	if (!p && old)
		p = snapshot__find_process(old, pid);
	return p ? p->comm : "?";
}

static int put_frames(struct as_jsonout *j, const struct ss *c,
		      const struct as_snapshot *now,
		      const struct as_snapshot *old)
{
	const struct as_flat_frame *fr;
	struct as_strbuf sb = {0};
	size_t i;
	int err = 0;

	jsonout__raw(j, "[");
	for (i = 0; i < c->f->nframes && !err && !j->err; i++) {
		fr = &c->f->frames[i];
		err = strbuf__reset(&sb) ?: flat__label(fr, &sb);
		jsonout__raw(j, i ? ",{" : "{");
		jsonout__key(j, "name", true);
		jsonout__str(j, sb.s);
		if (fr->file) {
			jsonout__key(j, "file", false);
			jsonout__str(j, fr->file);
			jsonout__key(j, "line", false);
			jsonout__i64(j, fr->line);
		}
		jsonout__raw(j, "}");
	}
	for (i = 0; c->multi && i < c->npids && !err; i++) {
		err = strbuf__reset(&sb);
		err = err ?: strbuf__add(&sb, comm_of(now, old, c->pids[i]));
		err = err ?: strbuf__add(&sb, " (");
		err = err ?: strbuf__add_u64(&sb, c->pids[i], false, false);
		err = err ?: strbuf__addc(&sb, ')');
		jsonout__raw(j,
			     c->f->nframes + i ? ",{\"name\":" : "{\"name\":");
		jsonout__str(j, sb.s);
		jsonout__raw(j, "}");
	}
	jsonout__raw(j,
		     c->f->nframes || c->multi ? ",{\"name\":" : "{\"name\":");
	jsonout__str(j, AS_SNAPSHOT_NO_STACK);
	jsonout__raw(j, "}]");
	strbuf__free(&sb);
	return err;
}

static void put_sample(struct as_jsonout *j, const struct ss *c,
		       const struct as_flat_stack *st, bool first)
{
	uint32_t k;

	jsonout__raw(j, first ? "[" : ",[");
	if (c->multi) {
		jsonout__u64(j, pid_frame(c, st->pid));
		if (st->nframes)
			jsonout__raw(j, ",");
	}
	for (k = 0; k < st->nframes; k++) {
		if (k)
			jsonout__raw(j, ",");
		jsonout__u64(j, c->f->refs[st->first + k]);
	}
	if (!st->nframes) {
		if (c->multi)
			jsonout__raw(j, ",");
		jsonout__u64(j, c->f->nframes + (c->multi ? c->npids : 0));
	}
	jsonout__raw(j, "]");
}

/* One profile: the stacks of one snapshot weighed by one value. */
static void put_profile(struct as_jsonout *j, const struct ss *c, bool is_old,
			size_t kind, const char *prefix)
{
	const struct as_flat_values *v, *total;
	const struct as_flat_stack *st;
	char name[64];
	bool first = true;
	size_t i;

	total = is_old ? &c->f->total_old : &c->f->total_now;
	snprintf(name, sizeof(name), "%s%s", prefix, kinds[kind].name);
	jsonout__raw(j, "{\"type\":\"sampled\"");
	jsonout__key(j, "name", false);
	jsonout__str(j, name);
	jsonout__key(j, "unit", false);
	jsonout__str(j, kinds[kind].unit);
	jsonout__raw(j, ",\"startValue\":0,\"endValue\":");
	jsonout__i64(j, value_of(total, kind));
	jsonout__raw(j, ",\"samples\":[");
	for (i = 0; i < c->f->nstacks && !j->err; i++) {
		st = &c->f->stacks[i];
		v = is_old ? &st->old : &st->now;
		if (value_of(v, kind) > 0) {
			put_sample(j, c, st, first);
			first = false;
		}
	}
	jsonout__raw(j, "],\"weights\":[");
	first = true;
	for (i = 0; i < c->f->nstacks && !j->err; i++) {
		st = &c->f->stacks[i];
		v = is_old ? &st->old : &st->now;
		if (value_of(v, kind) > 0) {
			if (!first)
				jsonout__raw(j, ",");
			jsonout__i64(j, value_of(v, kind));
			first = false;
		}
	}
	jsonout__raw(j, "]}");
}

static void put_profiles(struct as_jsonout *j, const struct ss *c, bool diff)
{
	size_t k;

	jsonout__raw(j, "[");
	for (k = 0; k < NKINDS; k++) {
		if (k)
			jsonout__raw(j, ",");
		put_profile(j, c, false, k, diff ? "NEW " : "");
	}
	for (k = 0; diff && k < NKINDS; k++) {
		jsonout__raw(j, ",");
		put_profile(j, c, true, k, "OLD ");
	}
	jsonout__raw(j, "]");
}

int speedscope__write(FILE *out, const struct as_snapshot *now,
		      const struct as_snapshot *old,
		      const struct as_filter *filter, const char *name)
{
	struct as_jsonout j = {.out = out};
	struct as_flat flat;
	struct ss c = {.f = &flat};
	int err;

	err = flat__build(&flat, now, old, filter);
	err = err ?: collect_pids(&c);
	if (err)
		goto cleanup;
	jsonout__raw(&j, "{\"$schema\":\"" SCHEMA "\"");
	jsonout__raw(&j, ",\"exporter\":\"allocsnoop " ALLOCSNOOP_VERSION "\"");
	jsonout__key(&j, "name", false);
	jsonout__str(&j, name ? name
			      : (now->command ? now->command : "allocsnoop"));
	jsonout__raw(&j, ",\"activeProfileIndex\":0,\"shared\":{\"frames\":");
	err = put_frames(&j, &c, now, old);
	jsonout__raw(&j, "},\"profiles\":");
	put_profiles(&j, &c, old != NULL);
	jsonout__raw(&j, "}\n");
	err = err ?: j.err;
cleanup:
	free(c.pids);
	flat__free(&flat);
	return err;
}
