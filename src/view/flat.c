// SPDX-License-Identifier: MIT
/*
 * flat.c - frames interned across one or two snapshots, stacks root first
 * with their values in each (see flat.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/u64map.h"
#include "view/flat.h"

static bool str_eq(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return strcmp(a, b) == 0;
}

static uint64_t frame_hash(const struct as_flat_frame *fr)
{
	uint64_t h = u64map__hash_str(0, fr->function);

	h = u64map__hash_str(h, fr->file);
	h = u64map__hash_str(h, fr->module);
	h = u64map__hash_u64(h, (uint64_t)fr->line);
	h = u64map__hash_u64(h, fr->has_offset);
	return u64map__hash_u64(h, fr->offset);
}

struct frame_probe {
	const struct as_flat *f;
	const struct as_flat_frame *fr;
};

static bool frame_eq(uint64_t idx, const void *ctx)
{
	const struct frame_probe *p = ctx;
	const struct as_flat_frame *a = &p->f->frames[idx], *b = p->fr;

	return a->line == b->line && a->has_offset == b->has_offset &&
	       a->offset == b->offset && str_eq(a->function, b->function) &&
	       str_eq(a->file, b->file) && str_eq(a->module, b->module);
}

/* The index of @fr, added when new; -ENOMEM on failure. */
static int64_t frame_intern(struct as_flat *f, const struct as_flat_frame *fr)
{
	struct frame_probe p = {f, fr};
	uint64_t h = frame_hash(fr), idx;

	if (u64map__find(f->frame_index, h, frame_eq, &p, &idx))
		return (int64_t)idx;
	if (BUF_RESERVE(f->frames, f->cap_frames, f->nframes + 1) ||
	    u64map__add(f->frame_index, h, f->nframes))
		return -ENOMEM;
	f->frames[f->nframes] = *fr;
	return (int64_t)f->nframes++;
}

/* Line @li of @l as a frame (@li past the lines: the bare location). */
static void frame_of(const struct as_snapshot *s, const struct as_location *l,
		     uint32_t li, struct as_flat_frame *fr)
{
	memset(fr, 0, sizeof(*fr));
	if (l->module >= 0 && (size_t)l->module < s->nmodules)
		fr->module = s->modules[l->module].path;
	if (li < l->nlines) {
		fr->function = l->lines[li].function;
		fr->file = l->lines[li].file;
		fr->line = l->lines[li].line;
	}
	if (!fr->function && !fr->file) {
		fr->has_offset = true;
		fr->offset = fr->module ? l->rel_offset : l->address;
		fr->line = 0;
	}
}

/* The frames of @sm into f->tmp, root first; *n receives their count. */
static int stack_frames(struct as_flat *f, const struct as_snapshot *s,
			const struct as_sample *sm, uint32_t *n)
{
	const struct as_location *l;
	struct as_flat_frame fr;
	uint32_t j, li, k = 0;
	int64_t idx;

	for (j = sm->nlocs; j-- > 0;) {
		l = &s->locations[sm->locs[j]];
		li = l->nlines ? l->nlines : 1;
		/* Outermost line first: the inlined ones are called by it. */
		while (li-- > 0) {
			if (BUF_RESERVE(f->tmp, f->cap_tmp, k + 1))
				return -ENOMEM;
			frame_of(s, l, li, &fr);
			idx = frame_intern(f, &fr);
			if (idx < 0)
				return (int)idx;
			f->tmp[k++] = (uint32_t)idx;
		}
	}
	*n = k;
	return 0;
}

static uint64_t stack_hash(uint32_t pid, const uint32_t *fr, uint32_t n)
{
	return u64map__hash_u64(u64map__hash_bytes(fr, n * sizeof(*fr)), pid);
}

struct stack_probe {
	const struct as_flat *f;
	uint32_t pid, n;
};

static bool stack_eq(uint64_t idx, const void *ctx)
{
	const struct stack_probe *p = ctx;
	const struct as_flat_stack *st = &p->f->stacks[idx];

	return st->pid == p->pid && st->nframes == p->n &&
	       memcmp(&p->f->refs[st->first], p->f->tmp,
		      p->n * sizeof(*p->f->tmp)) == 0;
}

/* The stack of f->tmp[0..n) in process @pid, added when new. */
static int64_t stack_intern(struct as_flat *f, uint32_t pid, uint32_t n)
{
	struct stack_probe p = {f, pid, n};
	uint64_t h = stack_hash(pid, f->tmp, n), idx;
	struct as_flat_stack *st;

	if (u64map__find(f->stack_index, h, stack_eq, &p, &idx))
		return (int64_t)idx;
	if (BUF_RESERVE(f->stacks, f->cap_stacks, f->nstacks + 1) ||
	    BUF_RESERVE(f->refs, f->cap_refs, f->nrefs + n + 1) ||
	    u64map__add(f->stack_index, h, f->nstacks))
		return -ENOMEM;
	memcpy(&f->refs[f->nrefs], f->tmp, n * sizeof(*f->tmp));
	st = &f->stacks[f->nstacks];
	memset(st, 0, sizeof(*st));
	st->pid = pid;
	st->nframes = n;
	st->first = f->nrefs;
	f->nrefs += n;
	return (int64_t)f->nstacks++;
}

static void values_add(struct as_flat_values *v, const struct as_sample *sm)
{
	v->size += sm->size;
	v->count += sm->count;
	v->alloc_size += sm->alloc_size;
	v->alloc_count += sm->alloc_count;
	v->temporary += sm->temporary;
}

static int add_snapshot(struct as_flat *f, const struct as_snapshot *s,
			const struct as_filter *filter, bool is_old)
{
	const struct as_sample *sm;
	struct as_flat_stack *st;
	uint32_t n;
	int64_t idx;
	size_t i;
	int err;

	for (i = 0; i < s->nsamples; i++) {
		sm = &s->samples[i];
		if (!sm->size && !sm->count && !sm->alloc_size &&
		    !sm->alloc_count)
			continue;
		if (!filter__keep_sample(s, sm, filter))
			continue;
		err = stack_frames(f, s, sm, &n);
		if (err)
			return err;
		idx = stack_intern(f, sm->pid, n);
		if (idx < 0)
			return (int)idx;
		st = &f->stacks[idx];
		if (is_old) {
			st->in_old = true;
			values_add(&st->old, sm);
			values_add(&f->total_old, sm);
		} else {
			st->in_now = true;
			values_add(&st->now, sm);
			values_add(&f->total_now, sm);
		}
	}
	return 0;
}

int flat__build(struct as_flat *out, const struct as_snapshot *now,
		const struct as_snapshot *old, const struct as_filter *filter)
{
	int err;

	memset(out, 0, sizeof(*out));
	err = u64map__new(&out->frame_index);
	err = err ?: u64map__new(&out->stack_index);
	/* never NULL, even for empty stacks: memcmp and memcpy take it */
	err = err ?: BUF_RESERVE(out->tmp, out->cap_tmp, 1);
	err = err ?: add_snapshot(out, now, filter, false);
	if (!err && old)
		err = add_snapshot(out, old, filter, true);
	if (err) {
		flat__free(out);
		memset(out, 0, sizeof(*out));
	}
	return err;
}

void flat__free(struct as_flat *f)
{
	free(f->frames);
	free(f->refs);
	free(f->stacks);
	free(f->tmp);
	u64map__free(f->frame_index);
	u64map__free(f->stack_index);
	f->frames = NULL;
	f->refs = NULL;
	f->stacks = NULL;
	f->tmp = NULL;
	f->frame_index = f->stack_index = NULL;
}

int flat__label(const struct as_flat_frame *fr, struct as_strbuf *sb)
{
	int err = 0;

	if (fr->function) {
		err = strbuf__add(sb, fr->function);
		if (fr->file) {
			err = err ?: strbuf__add(sb, " (");
			err = err ?: strbuf__add(sb, basename(fr->file));
			err = err ?: strbuf__addc(sb, ':');
			err = err ?: strbuf__add_i64(sb, fr->line);
			err = err ?: strbuf__addc(sb, ')');
		} else if (fr->module) {
			err = err ?: strbuf__add(sb, " (");
			err = err ?: strbuf__add(sb, basename(fr->module));
			err = err ?: strbuf__addc(sb, ')');
		}
		return err;
	}
	if (fr->file) {
		err = strbuf__add(sb, basename(fr->file));
		err = err ?: strbuf__addc(sb, ':');
		return err ?: strbuf__add_i64(sb, fr->line);
	}
	if (fr->module) {
		err = strbuf__add(sb, basename(fr->module));
		err = err ?: strbuf__addc(sb, '+');
	}
	return err ?: strbuf__add_u64(sb, fr->offset, true, false);
}
