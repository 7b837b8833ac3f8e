// SPDX-License-Identifier: MIT
/*
 * group.c - samples -> rows keyed by line, file, function, stack, module or
 * process; rows of two snapshots matched by key; tracemalloc's order.
 *
 * Keys are built from symbols (paths, lines, function names), never from
 * addresses unless nothing symbolic is known (then the module's basename
 * and the file offset, which survive ASLR), so two runs of a program can be
 * compared.
 */
#include <errno.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "view/group.h"

static const char *const group_names[] = {
    [AS_GROUP_LINENO] = "lineno",     [AS_GROUP_FILENAME] = "filename",
    [AS_GROUP_FUNCTION] = "function", [AS_GROUP_TRACEBACK] = "traceback",
    [AS_GROUP_MODULE] = "module",     [AS_GROUP_PROCESS] = "process",
};

#define NGROUPS (sizeof(group_names) / sizeof(group_names[0]))
#define UNKNOWN "<unknown>"

int group_by__parse(const char *name, enum as_group_by *out)
{
	size_t i;

	for (i = 0; i < NGROUPS; i++) {
		if (strcmp(name, group_names[i]) == 0) {
			*out = (enum as_group_by)i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *group_by__name(enum as_group_by by)
{
	if ((size_t)by < NGROUPS)
		return group_names[by];
	return "?";
}

/* A growing string; keys are built here without snprintf (hot path). */
struct strbuf {
	char *s;
	size_t len, cap;
};

static int sb_reserve(struct strbuf *sb, size_t add)
{
	size_t ncap;
	char *p;

	if (sb->len + add + 1 <= sb->cap)
		return 0;
	ncap = sb->cap ? sb->cap : 256;
	while (ncap < sb->len + add + 1)
		ncap *= 2;
	p = realloc(sb->s, ncap);
	if (!p)
		return -ENOMEM;
	sb->s = p;
	sb->cap = ncap;
	return 0;
}

static int sb_addn(struct strbuf *sb, const char *s, size_t n)
{
	if (sb_reserve(sb, n))
		return -ENOMEM;
	memcpy(sb->s + sb->len, s, n);
	sb->len += n;
	sb->s[sb->len] = '\0';
	return 0;
}

static int sb_add(struct strbuf *sb, const char *s)
{
	return sb_addn(sb, s, strlen(s));
}

static int sb_addc(struct strbuf *sb, char c)
{
	return sb_addn(sb, &c, 1);
}

static int sb_add_num(struct strbuf *sb, uint64_t v, bool hex, bool neg)
{
	char tmp[24];
	char *p = tmp + sizeof(tmp);
	unsigned base = hex ? 16 : 10;

	do {
		*--p = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	if (hex) {
		*--p = 'x';
		*--p = '0';
	}
	if (neg)
		*--p = '-';
	return sb_addn(sb, p, (size_t)(tmp + sizeof(tmp) - p));
}

static int sb_add_i64(struct strbuf *sb, int64_t v)
{
	return sb_add_num(sb, v < 0 ? -(uint64_t)v : (uint64_t)v, false, v < 0);
}

static const char *module_path(const struct as_snapshot *s,
			       const struct as_location *l)
{
	if (l->module >= 0 && (size_t)l->module < s->nmodules)
		return s->modules[l->module].path;
	return NULL;
}

static const struct as_line *loc_line(const struct as_location *l, uint32_t li)
{
	return li < l->nlines ? &l->lines[li] : NULL;
}

/*
 * The name of one frame (line @li of @l): "file:line"; without a file
 * "function (module)" as the symbolizer names it; without a symbol
 * "module+0xoff" (file offset), or "0xaddr" without a module.
 */
static int frame_name(struct strbuf *sb, const struct as_snapshot *s,
		      const struct as_location *l, uint32_t li)
{
	const struct as_line *ln = loc_line(l, li);
	const char *mod = module_path(s, l);
	int err = 0;

	if (ln && ln->file) {
		err = sb_add(sb, ln->file);
		err = err ?: sb_addc(sb, ':');
		return err ?: sb_add_i64(sb, ln->line);
	}
	if (ln && ln->function) {
		err = sb_add(sb, ln->function);
		if (mod) {
			err = err ?: sb_add(sb, " (");
			err = err ?: sb_add(sb, basename(mod));
			err = err ?: sb_addc(sb, ')');
		}
		return err;
	}
	if (mod) {
		err = sb_add(sb, basename(mod));
		err = err ?: sb_addc(sb, '+');
		return err ?: sb_add_num(sb, l->rel_offset, true, false);
	}
	return sb_add_num(sb, l->address, true, false);
}

/*
 * Length of @fn without the "+0x1c" that the symbolizer appends to a
 * symbol name when there is no debug info, so that all call sites inside
 * one function share its row.
 */
static size_t function_len(const char *fn)
{
	size_t n = strlen(fn), i = n;

	while (i > 0 && strchr("0123456789abcdef", fn[i - 1]))
		i--;
	if (i < n && i >= 3 && fn[i - 1] == 'x' && fn[i - 2] == '0' &&
	    fn[i - 3] == '+')
		return i - 3;
	return n;
}

/* The key text of one frame for @by (not traceback/process). */
static int frame_key(struct strbuf *sb, const struct as_snapshot *s,
		     const struct as_location *l, uint32_t li,
		     enum as_group_by by)
{
	const struct as_line *ln = loc_line(l, li);
	const char *mod = module_path(s, l);

	switch (by) {
	case AS_GROUP_FILENAME:
		if (ln && ln->file)
			return sb_add(sb, ln->file);
		return sb_add(sb, mod ? mod : UNKNOWN);
	case AS_GROUP_FUNCTION:
		if (ln && ln->function)
			return sb_addn(sb, ln->function,
				       ln->file ? strlen(ln->function)
						: function_len(ln->function));
		return frame_name(sb, s, l, li);
	case AS_GROUP_MODULE:
		return sb_add(sb, mod ? mod : UNKNOWN);
	default:
		return frame_name(sb, s, l, li);
	}
}

static bool glob_match(const char *pat, const struct as_snapshot *s,
		       const struct as_location *l, uint32_t li)
{
	const struct as_line *ln = loc_line(l, li);
	const char *mod = module_path(s, l);
	const char *file = ln && ln->file ? ln->file : UNKNOWN;

	if (fnmatch(pat, file, 0) == 0)
		return true;
	return mod && fnmatch(pat, mod, 0) == 0;
}

static bool any_glob(const char **pats, size_t n, const struct as_snapshot *s,
		     const struct as_location *l, uint32_t li)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (glob_match(pats[i], s, l, li))
			return true;
	return false;
}

bool filter__keep_sample(const struct as_snapshot *s,
			 const struct as_sample *sample,
			 const struct as_filter *f)
{
	const struct as_location *l;
	bool found;
	uint32_t i, li;
	size_t k;
	int site;

	if (!f)
		return true;
	if (f->npids) {
		found = false;
		for (k = 0; k < f->npids && !found; k++)
			found = f->pids[k] == sample->pid;
		if (!found)
			return false;
	}
	if (f->ninclude) {
		found = false;
		for (i = 0; i < sample->nlocs && !found; i++) {
			l = &s->locations[sample->locs[i]];
			li = 0;
			do {
				found =
				    any_glob(f->include, f->ninclude, s, l, li);
			} while (!found && ++li < l->nlines);
		}
		if (!found)
			return false;
	}
	if (f->nexclude) {
		site = sample__site(s, sample);
		if (site >= 0 && any_glob(f->exclude, f->nexclude, s,
					  &s->locations[sample->locs[site]], 0))
			return false;
	}
	return true;
}

/* Open-addressing hash table of row indices, keyed by the rows' keys. */
struct keytab {
	uint32_t *slots; /* row index + 1, 0 = empty */
	size_t cap;	 /* power of two */
	size_t n;
};

/* 8 bytes a step: traceback keys are long, a byte-wise hash dominated. */
static uint64_t hash_key(const char *s, size_t len)
{
	uint64_t h = 0x9e3779b97f4a7c15ULL ^ len, w;

	for (; len >= 8; s += 8, len -= 8) {
		memcpy(&w, s, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdULL;
		h ^= h >> 32;
	}
	w = 0;
	memcpy(&w, s, len);
	h = (h ^ w) * 0xc4ceb9fe1a85ec53ULL;
	return h ^ (h >> 29);
}

/* Returns the slot holding @key, or the empty slot where it belongs. */
static size_t keytab_slot(const struct keytab *t, const struct as_stat *rows,
			  const uint64_t *hashes, const char *key, uint64_t h)
{
	size_t i = h & (t->cap - 1);
	uint32_t r;

	/* Hashes first: long keys often share long prefixes. */
	while ((r = t->slots[i]) &&
	       (hashes[r - 1] != h || strcmp(rows[r - 1].key, key) != 0))
		i = (i + 1) & (t->cap - 1);
	return i;
}

static int keytab_grow(struct keytab *t, const uint64_t *hashes)
{
	size_t ncap = t->cap ? t->cap * 2 : 1024, i, j;
	uint32_t *slots;

	slots = calloc(ncap, sizeof(*slots));
	if (!slots)
		return -ENOMEM;
	for (i = 0; i < t->cap; i++) {
		if (!t->slots[i])
			continue;
		j = hashes[t->slots[i] - 1] & (ncap - 1);
		while (slots[j])
			j = (j + 1) & (ncap - 1);
		slots[j] = t->slots[i];
	}
	free(t->slots);
	t->slots = slots;
	t->cap = ncap;
	return 0;
}

/* State of one stats__group() run. */
struct grouper {
	const struct as_snapshot *s;
	const struct as_group_opts *o;
	struct as_stats *st;
	size_t cap;
	uint64_t *hashes; /* per row */
	size_t *stamps;	  /* per row: last sample index + 1 counted */
	bool *mixed_pid;  /* per row: merges several pids */
	struct keytab tab;
	struct strbuf key, name;
	const struct as_process **procs; /* sorted by pid */
};

static const struct as_process *find_proc(const struct grouper *g, uint32_t pid)
{
	size_t lo = 0, hi = g->s->nprocesses, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (g->procs[mid]->pid == pid)
			return g->procs[mid];
		if (g->procs[mid]->pid < pid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static int grouper_reserve(struct grouper *g)
{
	size_t ncap = g->cap ? g->cap * 2 : 256;
	void *p;

	if (g->st->n < g->cap)
		return 0;
	p = realloc(g->st->rows, ncap * sizeof(*g->st->rows));
	if (!p)
		return -ENOMEM;
	g->st->rows = p;
	p = realloc(g->hashes, ncap * sizeof(*g->hashes));
	if (!p)
		return -ENOMEM;
	g->hashes = p;
	p = realloc(g->stamps, ncap * sizeof(*g->stamps));
	if (!p)
		return -ENOMEM;
	g->stamps = p;
	p = realloc(g->mixed_pid, ncap * sizeof(*g->mixed_pid));
	if (!p)
		return -ENOMEM;
	g->mixed_pid = p;
	g->cap = ncap;
	return 0;
}

/* The frame a row is named after: l == NULL for an empty stack. */
struct frame {
	const struct as_location *l;
	uint32_t li;
};

static void fill_fields(struct grouper *g, struct as_stat *r,
			const struct as_sample *sm, struct frame fr)
{
	const struct as_line *ln = fr.l ? loc_line(fr.l, fr.li) : NULL;
	const char *mod = fr.l ? module_path(g->s, fr.l) : NULL;
	enum as_group_by by = g->o->by;

	switch (by) {
	case AS_GROUP_LINENO:
	case AS_GROUP_TRACEBACK:
		r->function = ln ? ln->function : NULL;
		r->file = ln ? ln->file : NULL;
		r->line = ln ? ln->line : 0;
		r->module = mod;
		r->address = fr.l ? fr.l->address : 0;
		if (by == AS_GROUP_TRACEBACK) {
			r->snap = g->s;
			r->sample = sm;
		}
		break;
	case AS_GROUP_FILENAME:
		r->file = ln ? ln->file : NULL;
		r->module = mod;
		break;
	case AS_GROUP_FUNCTION:
		r->function = ln ? ln->function : NULL;
		r->module = mod;
		break;
	case AS_GROUP_MODULE:
		r->module = mod;
		break;
	case AS_GROUP_PROCESS:
		break;
	}
}

/*
 * Counts @sm in the row whose key is in g->key (the first @plen bytes
 * being the pid prefix), creating it from @fr when new. A sample counts
 * once per row (cumulative mode offers the same key several times).
 */
static int add_to_row(struct grouper *g, size_t sample_idx,
		      const struct as_sample *sm, struct frame fr, size_t plen)
{
	const struct as_process *p = find_proc(g, sm->pid);
	struct as_stat *r;
	uint64_t h = hash_key(g->key.s, g->key.len);
	size_t slot, idx;
	int err;

	if ((g->st->n + 1) * 2 > g->tab.cap) {
		err = keytab_grow(&g->tab, g->hashes);
		if (err)
			return err;
	}
	slot = keytab_slot(&g->tab, g->st->rows, g->hashes, g->key.s, h);
	if (g->tab.slots[slot]) {
		idx = g->tab.slots[slot] - 1;
		r = &g->st->rows[idx];
		if (g->stamps[idx] == sample_idx + 1)
			return 0;
		if (r->pid != sm->pid)
			g->mixed_pid[idx] = true;
	} else {
		err = grouper_reserve(g);
		if (err)
			return err;
		idx = g->st->n;
		r = &g->st->rows[idx];
		memset(r, 0, sizeof(*r));
		r->key = strdup(g->key.s);
		if (g->o->by == AS_GROUP_TRACEBACK)
			r->name = strdup(g->name.s);
		else
			r->name = strdup(g->key.s + plen);
		if (!r->key || !r->name) {
			free(r->key);
			free(r->name);
			return -ENOMEM;
		}
		g->st->n++;
		g->hashes[idx] = h;
		g->mixed_pid[idx] = false;
		g->tab.slots[slot] = (uint32_t)idx + 1;
		r->pid = sm->pid;
		r->comm = p ? p->comm : NULL;
		fill_fields(g, r, sm, fr);
	}
	g->stamps[idx] = sample_idx + 1;
	r->size += sm->size;
	r->count += sm->count;
	r->alloc_size += sm->alloc_size;
	r->alloc_count += sm->alloc_count;
	return 0;
}

static int pid_prefix(struct grouper *g, const struct as_sample *sm)
{
	g->key.len = 0;
	if (sb_reserve(&g->key, 0))
		return -ENOMEM;
	g->key.s[0] = '\0';
	if (!g->o->per_process)
		return 0;
	/* \x1f cannot appear in a decimal pid: the prefix is unambiguous. */
	return sb_add_num(&g->key, sm->pid, false, false)
		   ?: sb_addc(&g->key, '\x1f');
}

/* Appends every frame of @sm (all inlined lines), innermost first. */
static int traceback_key(struct grouper *g, const struct as_sample *sm)
{
	const struct as_location *l;
	uint32_t i, li;
	int err = 0;

	if (!sm->nlocs)
		return sb_add(&g->key, UNKNOWN);
	for (i = 0; i < sm->nlocs && !err; i++) {
		l = &g->s->locations[sm->locs[i]];
		li = 0;
		do {
			if (i || li)
				err = sb_addc(&g->key, '\n');
			err = err ?: frame_name(&g->key, g->s, l, li);
		} while (!err && ++li < l->nlines);
	}
	return err;
}

static int group_sample(struct grouper *g, size_t idx)
{
	const struct as_sample *sm = &g->s->samples[idx];
	const struct as_process *p;
	const struct as_location *l;
	struct frame fr = {NULL, 0};
	enum as_group_by by = g->o->by;
	size_t plen;
	uint32_t i, li;
	int site, err;

	err = pid_prefix(g, sm);
	if (err)
		return err;
	plen = g->key.len;
	site = sample__site(g->s, sm);
	if (site >= 0) {
		fr.l = &g->s->locations[sm->locs[site]];
		fr.li = location__site_line(fr.l);
	}

	if (g->o->cumulative && site >= 0 &&
	    (by == AS_GROUP_LINENO || by == AS_GROUP_FILENAME)) {
		/* Frames from the site outwards: the allocator's own frames
		 * below the site are not the program's. */
		for (i = (uint32_t)site; i < sm->nlocs; i++) {
			l = &g->s->locations[sm->locs[i]];
			li = 0;
			do {
				g->key.len = plen;
				err = frame_key(&g->key, g->s, l, li, by);
				err = err
					  ?: add_to_row(g, idx, sm,
							(struct frame){l, li},
							plen);
				if (err)
					return err;
			} while (++li < l->nlines);
		}
		return 0;
	}

	switch (by) {
	case AS_GROUP_PROCESS:
		p = find_proc(g, sm->pid);
		err = sb_add(&g->key, p ? p->comm : "?");
		break;
	case AS_GROUP_TRACEBACK:
		g->name.len = 0;
		err = fr.l ? frame_name(&g->name, g->s, fr.l, fr.li)
			   : sb_add(&g->name, UNKNOWN);
		err = err ?: traceback_key(g, sm);
		break;
	default:
		err = fr.l ? frame_key(&g->key, g->s, fr.l, fr.li, by)
			   : sb_add(&g->key, UNKNOWN);
		break;
	}
	return err ?: add_to_row(g, idx, sm, fr, plen);
}

int stats__group(const struct as_snapshot *s, const struct as_group_opts *o,
		 struct as_stats **out)
{
	struct grouper g = {.s = s, .o = o};
	size_t i;
	int err = -ENOMEM;

	*out = NULL;
	g.st = calloc(1, sizeof(*g.st));
	if (!g.st)
		goto cleanup;
	g.st->min_size = o->filter ? o->filter->min_size : 0;
	if (s->nprocesses) {
		g.procs = malloc(s->nprocesses * sizeof(*g.procs));
		if (!g.procs)
			goto cleanup;
		for (i = 0; i < s->nprocesses; i++)
			g.procs[i] = &s->processes[i];
		qsort(g.procs, s->nprocesses, sizeof(*g.procs),
		      process__ptr_cmp);
	}
	if (sb_reserve(&g.name, 0))
		goto cleanup;
	for (i = 0; i < s->nsamples; i++) {
		if (!filter__keep_sample(s, &s->samples[i], o->filter))
			continue;
		err = group_sample(&g, i);
		if (err)
			goto cleanup;
	}
	for (i = 0; i < g.st->n; i++) {
		/* pid names the row only when one process owns all of it. */
		if (!o->per_process &&
		    (o->by != AS_GROUP_PROCESS || g.mixed_pid[i]))
			g.st->rows[i].pid = 0;
		if (!o->per_process && o->by != AS_GROUP_PROCESS)
			g.st->rows[i].comm = NULL;
	}
	*out = g.st;
	g.st = NULL;
	err = 0;
cleanup:
	stats__free(g.st);
	free(g.hashes);
	free(g.stamps);
	free(g.mixed_pid);
	free(g.tab.slots);
	free(g.key.s);
	free(g.name.s);
	free(g.procs);
	return err;
}

static int64_t abs64(int64_t v)
{
	return v < 0 ? -v : v;
}

static int cmp_stat(const void *a, const void *b)
{
	const struct as_stat *x = a, *y = b;
	int64_t kx[4] = {abs64(x->size_diff), x->size, abs64(x->count_diff),
			 x->count};
	int64_t ky[4] = {abs64(y->size_diff), y->size, abs64(y->count_diff),
			 y->count};
	int i;

	for (i = 0; i < 4; i++)
		if (kx[i] != ky[i])
			return kx[i] < ky[i] ? 1 : -1;
	return strcmp(x->key, y->key);
}

void stats__sort(struct as_stats *st)
{
	if (st && st->n > 1)
		qsort(st->rows, st->n, sizeof(*st->rows), cmp_stat);
}

void stats__free(struct as_stats *st)
{
	size_t i;

	if (!st)
		return;
	for (i = 0; i < st->n; i++) {
		free(st->rows[i].key);
		free(st->rows[i].name);
	}
	free(st->rows);
	free(st);
}

/* Appends a copy of @src (key and name duplicated) to @st. */
static int push_copy(struct as_stats *st, const struct as_stat *src)
{
	struct as_stat *r = &st->rows[st->n];

	*r = *src;
	r->key = strdup(src->key);
	r->name = strdup(src->name);
	if (!r->key || !r->name) {
		free(r->key);
		free(r->name);
		return -ENOMEM;
	}
	st->n++;
	return 0;
}

static bool keep_row(const struct as_stat *r, int64_t min_size)
{
	int64_t old_size = r->size - r->size_diff;

	/* A line whose blocks were all freed again still shows its totals
	 * (alloc_size/alloc_count): a churn loop is worth seeing. */
	if (!r->size && !r->count && !r->size_diff && !r->count_diff &&
	    !r->alloc_count)
		return false;
	return abs64(r->size) >= min_size || abs64(old_size) >= min_size;
}

int stats__compare(const struct as_stats *now, const struct as_stats *old,
		   struct as_stats **out)
{
	struct keytab tab = {0};
	struct as_stats *st;
	uint64_t *hashes = NULL;
	bool *matched = NULL;
	size_t nold = old ? old->n : 0, i, slot;
	const struct as_stat *o;
	struct as_stat *r;
	int err = -ENOMEM;

	*out = NULL;
	st = calloc(1, sizeof(*st));
	if (!st)
		goto cleanup;
	st->min_size = now->min_size;
	if (now->n + nold) {
		st->rows = calloc(now->n + nold, sizeof(*st->rows));
		if (!st->rows)
			goto cleanup;
	}
	if (nold) {
		hashes = malloc(nold * sizeof(*hashes));
		matched = calloc(nold, sizeof(*matched));
		tab.cap = 1024;
		while (tab.cap < nold * 2)
			tab.cap *= 2;
		tab.slots = calloc(tab.cap, sizeof(*tab.slots));
		if (!hashes || !matched || !tab.slots)
			goto cleanup;
		for (i = 0; i < nold; i++) {
			hashes[i] = hash_key(old->rows[i].key,
					     strlen(old->rows[i].key));
			slot = keytab_slot(&tab, old->rows, hashes,
					   old->rows[i].key, hashes[i]);
			/* Keys are unique within one grouping. */
			tab.slots[slot] = (uint32_t)i + 1;
		}
	}
	for (i = 0; i < now->n; i++) {
		err = push_copy(st, &now->rows[i]);
		if (err)
			goto cleanup;
		r = &st->rows[st->n - 1];
		r->size_diff = r->size;
		r->count_diff = r->count;
		if (!nold)
			continue;
		slot = keytab_slot(&tab, old->rows, hashes, r->key,
				   hash_key(r->key, strlen(r->key)));
		if (!tab.slots[slot])
			continue;
		o = &old->rows[tab.slots[slot] - 1];
		matched[tab.slots[slot] - 1] = true;
		r->size_diff = r->size - o->size;
		r->count_diff = r->count - o->count;
	}
	for (i = 0; i < nold; i++) {
		if (matched[i])
			continue;
		err = push_copy(st, &old->rows[i]);
		if (err)
			goto cleanup;
		r = &st->rows[st->n - 1];
		r->size_diff = -r->size;
		r->count_diff = -r->count;
		r->size = r->count = r->alloc_size = r->alloc_count = 0;
	}
	/* Drop in place, keeping the order. */
	for (i = 0, slot = 0; i < st->n; i++) {
		if (keep_row(&st->rows[i], st->min_size)) {
			st->rows[slot++] = st->rows[i];
		} else {
			free(st->rows[i].key);
			free(st->rows[i].name);
		}
	}
	st->n = slot;
	stats__sort(st);
	*out = st;
	st = NULL;
	err = 0;
cleanup:
	stats__free(st);
	free(hashes);
	free(matched);
	free(tab.slots);
	return err;
}
