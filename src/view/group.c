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

#include "util/buf.h"
#include "util/u64map.h"
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
static int frame_name(struct as_strbuf *sb, const struct as_snapshot *s,
		      const struct as_location *l, uint32_t li)
{
	const struct as_line *ln = loc_line(l, li);
	const char *mod = module_path(s, l);
	int err = 0;

	if (ln && ln->file) {
		err = strbuf__add(sb, ln->file);
		err = err ?: strbuf__addc(sb, ':');
		return err ?: strbuf__add_i64(sb, ln->line);
	}
	if (ln && ln->function) {
		err = strbuf__add(sb, ln->function);
		if (mod) {
			err = err ?: strbuf__add(sb, " (");
			err = err ?: strbuf__add(sb, basename(mod));
			err = err ?: strbuf__addc(sb, ')');
		}
		return err;
	}
	if (mod) {
		err = strbuf__add(sb, basename(mod));
		err = err ?: strbuf__addc(sb, '+');
		return err ?: strbuf__add_u64(sb, l->rel_offset, true, false);
	}
	return strbuf__add_u64(sb, l->address, true, false);
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
static int frame_key(struct as_strbuf *sb, const struct as_snapshot *s,
		     const struct as_location *l, uint32_t li,
		     enum as_group_by by)
{
	const struct as_line *ln = loc_line(l, li);
	const char *mod = module_path(s, l);

	switch (by) {
	case AS_GROUP_FILENAME:
		if (ln && ln->file)
			return strbuf__add(sb, ln->file);
		return strbuf__add(sb, mod ? mod : UNKNOWN);
	case AS_GROUP_FUNCTION:
		if (ln && ln->function)
			return strbuf__addn(sb, ln->function,
					    ln->file
						? strlen(ln->function)
						: function_len(ln->function));
		return frame_name(sb, s, l, li);
	case AS_GROUP_MODULE:
		return strbuf__add(sb, mod ? mod : UNKNOWN);
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

bool filter__keep_pid(const struct as_filter *f, uint32_t pid)
{
	size_t k;

	if (!f || !f->npids)
		return true;
	for (k = 0; k < f->npids; k++)
		if (f->pids[k] == pid)
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
	int site;

	if (!f)
		return true;
	if (f->no_mmap && sample->kind == AS_KIND_MMAP)
		return false;
	if (!filter__keep_pid(f, sample->pid))
		return false;
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

/*
 * Rows are found by key through a u64map from the key's hash to the row
 * index; rows whose keys share a hash are told apart by key_eq().
 */
struct key_probe {
	const struct as_stat *rows;
	const char *key;
};

static uint64_t key_hash(const char *key)
{
	return u64map__hash_bytes(key, strlen(key));
}

static bool key_eq(uint64_t idx, const void *ctx)
{
	const struct key_probe *p = ctx;

	return strcmp(p->rows[idx].key, p->key) == 0;
}

static bool find_row(const struct as_u64map *m, const struct as_stat *rows,
		     const char *key, uint64_t h, size_t *idx)
{
	const struct key_probe p = {rows, key};
	uint64_t v;

	if (!u64map__find(m, h, key_eq, &p, &v))
		return false;
	*idx = (size_t)v;
	return true;
}

/* What grouping keeps per row besides the row itself. */
struct row_state {
	size_t stamp;	/* last sample index + 1 counted */
	bool mixed_pid; /* merges several pids */
};

/* State of one stats__group() run. */
struct grouper {
	const struct as_snapshot *s;
	const struct as_group_opts *o;
	struct as_stats *st;
	size_t rows_cap;
	struct row_state *state; /* per row */
	size_t state_cap;
	struct as_strbuf key, name;
	const struct as_process **procs; /* sorted by pid */
	/*
	 * Samples share sites and frames: the rows of the sites seen (by
	 * site_key()), and the traceback text of each location (in @text at
	 * text_at[loc] - 1, text_len[loc] bytes; 0 = not yet), so keys are
	 * built once per site and frame text once per location.
	 */
	struct as_u64map *sites;
	struct as_strbuf text;
	size_t *text_at, *text_len;
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

/* Room for one more row. */
static int grouper_reserve(struct grouper *g)
{
	size_t need = g->st->n + 1;

	return BUF_RESERVE(g->st->rows, g->rows_cap, need)
		   ?: BUF_RESERVE(g->state, g->state_cap, need);
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

/* A new row for the key in g->key (hash @h), named from @sm and @fr. */
static int new_row(struct grouper *g, const struct as_sample *sm,
		   struct frame fr, size_t plen, uint64_t h, size_t *idx)
{
	const struct as_process *p = find_proc(g, sm->pid);
	struct as_stat *r;
	int err;

	err = grouper_reserve(g);
	if (err)
		return err;
	*idx = g->st->n;
	r = &g->st->rows[*idx];
	memset(r, 0, sizeof(*r));
	r->key = strdup(g->key.s);
	r->name = strdup(g->o->by == AS_GROUP_TRACEBACK ? g->name.s
							: g->key.s + plen);
	err = r->key && r->name ? u64map__add(g->st->index, h, *idx) : -ENOMEM;
	if (err) {
		free(r->key);
		free(r->name);
		return err;
	}
	g->st->n++;
	g->state[*idx] = (struct row_state){0};
	r->pid = sm->pid;
	r->kind = sm->kind;
	r->comm = p ? p->comm : NULL;
	fill_fields(g, r, sm, fr);
	return 0;
}

/*
 * Counts @sm in row @idx, once per row: cumulative mode offers the same
 * key several times for one sample.
 */
static int count_in_row(struct grouper *g, size_t sample_idx,
			const struct as_sample *sm, size_t idx)
{
	struct as_stat *r = &g->st->rows[idx];

	if (g->state[idx].stamp == sample_idx + 1)
		return 0;
	if (r->pid != sm->pid)
		g->state[idx].mixed_pid = true;
	g->state[idx].stamp = sample_idx + 1;
	r->size += sm->size;
	r->count += sm->count;
	r->alloc_size += sm->alloc_size;
	r->alloc_count += sm->alloc_count;
	r->temporary += sm->temporary;
	if (sm->oldest_ns > r->oldest_ns)
		r->oldest_ns = sm->oldest_ns;
	return hist__merge(&r->life, &sm->life)
		   ?: hist__merge(&r->age, &sm->age);
}

/*
 * Counts @sm in the row whose key is in g->key (the first @plen bytes
 * being the pid prefix), creating it from @fr when new; *@idx (when not
 * NULL) receives the row.
 */
static int add_to_row(struct grouper *g, size_t sample_idx,
		      const struct as_sample *sm, struct frame fr, size_t plen,
		      size_t *idx)
{
	uint64_t h = u64map__hash_bytes(g->key.s, g->key.len);
	size_t row;
	int err;

	if (!find_row(g->st->index, g->st->rows, g->key.s, h, &row)) {
		err = new_row(g, sm, fr, plen, h, &row);
		if (err)
			return err;
	}
	if (idx)
		*idx = row;
	return count_in_row(g, sample_idx, sm, row);
}

/*
 * The part of a row's key that is not its name: the sample's kind when it
 * is not malloc (mmap'd regions are rows of their own) and the pid when
 * rows are per process. \x1e and \x1f end them: neither appears in a
 * kind's name or a decimal pid, so the prefix is unambiguous.
 */
static int key_prefix(struct grouper *g, const struct as_sample *sm)
{
	int err = strbuf__reset(&g->key);

	if (!err && sm->kind != AS_KIND_MALLOC)
		err = strbuf__add(&g->key, sample_kind__name(sm->kind))
			  ?: strbuf__addc(&g->key, '\x1e');
	if (err || !g->o->per_process)
		return err;
	return strbuf__add_u64(&g->key, sm->pid, false, false)
		   ?: strbuf__addc(&g->key, '\x1f');
}

/* Every line of location @loc, '\n' between them, from the cache. */
static int add_loc_text(struct grouper *g, uint32_t loc)
{
	const struct as_location *l = &g->s->locations[loc];
	size_t at = g->text.len;
	uint32_t li = 0;
	int err = 0;

	if (!g->text_at[loc]) {
		do {
			if (li)
				err = strbuf__addc(&g->text, '\n');
			err = err ?: frame_name(&g->text, g->s, l, li);
		} while (!err && ++li < l->nlines);
		if (err)
			return err;
		g->text_at[loc] = at + 1;
		g->text_len[loc] = g->text.len - at;
	}
	return strbuf__addn(&g->key, g->text.s + g->text_at[loc] - 1,
			    g->text_len[loc]);
}

/* Appends every frame of @sm (all inlined lines), innermost first. */
static int traceback_key(struct grouper *g, const struct as_sample *sm)
{
	uint32_t i;
	int err = 0;

	if (!sm->nlocs)
		return strbuf__add(&g->key, UNKNOWN);
	if (!g->text_at) {
		g->text_at = calloc(g->s->nlocations, sizeof(*g->text_at));
		g->text_len = calloc(g->s->nlocations, sizeof(*g->text_len));
		if (!g->text_at || !g->text_len)
			return -ENOMEM;
	}
	for (i = 0; i < sm->nlocs && !err; i++) {
		if (i)
			err = strbuf__addc(&g->key, '\n');
		err = err ?: add_loc_text(g, sm->locs[i]);
	}
	return err;
}

/* Cumulative lineno/filename: a row for each frame from the site out. */
static int group_cumulative(struct grouper *g, size_t idx, int site,
			    size_t plen)
{
	const struct as_sample *sm = &g->s->samples[idx];
	const struct as_location *l;
	uint32_t i, li;
	int err;

	/* The allocator's own frames below the site are not the program's. */
	for (i = (uint32_t)site; i < sm->nlocs; i++) {
		l = &g->s->locations[sm->locs[i]];
		li = 0;
		do {
			g->key.len = plen;
			err = frame_key(&g->key, g->s, l, li, g->o->by);
			err =
			    err
				?: add_to_row(g, idx, sm, (struct frame){l, li},
					      plen, NULL);
			if (err)
				return err;
		} while (++li < l->nlines);
	}
	return 0;
}

/*
 * A row's key by site is a function of the site's location, its kind
 * (and of the pid when rows are per process), so it names the row too.
 */
static uint64_t site_key(const struct grouper *g, const struct as_sample *sm,
			 int site)
{
	uint64_t pid = g->o->per_process ? sm->pid : 0;

	/* pids are below 2^22, location indices below 2^31, kinds 2^2 */
	return (uint64_t)sm->kind << 62 | pid << 32 | sm->locs[site];
}

/* lineno, filename, function, module: one row per allocation site. */
static int group_by_site(struct grouper *g, size_t idx, int site,
			 struct frame fr, size_t plen)
{
	const struct as_sample *sm = &g->s->samples[idx];
	uint64_t row;
	size_t made;
	int err;

	if (!fr.l) {
		err = strbuf__add(&g->key, UNKNOWN);
		return err ?: add_to_row(g, idx, sm, fr, plen, NULL);
	}
	if (u64map__get(g->sites, site_key(g, sm, site), &row))
		return count_in_row(g, idx, sm, (size_t)row);
	err = frame_key(&g->key, g->s, fr.l, fr.li, g->o->by);
	err = err ?: add_to_row(g, idx, sm, fr, plen, &made);
	return err ?: u64map__set(g->sites, site_key(g, sm, site), made);
}

static int group_sample(struct grouper *g, size_t idx)
{
	const struct as_sample *sm = &g->s->samples[idx];
	const struct as_process *p;
	struct frame fr = {NULL, 0};
	enum as_group_by by = g->o->by;
	size_t plen;
	int site, err;

	err = key_prefix(g, sm);
	if (err)
		return err;
	plen = g->key.len;
	site = sample__site(g->s, sm);
	if (site >= 0) {
		fr.l = &g->s->locations[sm->locs[site]];
		fr.li = location__site_line(fr.l);
	}
	if (g->o->cumulative && site >= 0 &&
	    (by == AS_GROUP_LINENO || by == AS_GROUP_FILENAME))
		return group_cumulative(g, idx, site, plen);
	switch (by) {
	case AS_GROUP_PROCESS:
		p = find_proc(g, sm->pid);
		err = strbuf__add(&g->key, p ? p->comm : "?");
		break;
	case AS_GROUP_TRACEBACK:
		err = strbuf__reset(&g->name);
		if (!err && fr.l)
			err = frame_name(&g->name, g->s, fr.l, fr.li);
		else if (!err)
			err = strbuf__add(&g->name, UNKNOWN);
		err = err ?: traceback_key(g, sm);
		break;
	default:
		return group_by_site(g, idx, site, fr, plen);
	}
	return err ?: add_to_row(g, idx, sm, fr, plen, NULL);
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
	if (u64map__new(&g.st->index) || u64map__new(&g.sites) ||
	    strbuf__reset(&g.name))
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
		    (o->by != AS_GROUP_PROCESS || g.state[i].mixed_pid))
			g.st->rows[i].pid = 0;
		if (!o->per_process && o->by != AS_GROUP_PROCESS)
			g.st->rows[i].comm = NULL;
	}
	*out = g.st;
	g.st = NULL;
	err = 0;
cleanup:
	stats__free(g.st);
	free(g.state);
	u64map__free(g.sites);
	strbuf__free(&g.text);
	free(g.text_at);
	free(g.text_len);
	strbuf__free(&g.key);
	strbuf__free(&g.name);
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
	if (!st)
		return;
	/* the index points at rows by position */
	u64map__free(st->index);
	st->index = NULL;
	if (st->n > 1)
		qsort(st->rows, st->n, sizeof(*st->rows), cmp_stat);
}

int sort__parse(const char *name, enum as_sort *out)
{
	static const char *const names[] = {"size", "temporary", "age",
					    "allocated"};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(name, names[i])) {
			*out = (enum as_sort)i;
			return 0;
		}
	return -EINVAL;
}

static int64_t sort_key(const struct as_stat *r, enum as_sort by)
{
	switch (by) {
	case AS_SORT_TEMPORARY:
		return r->temporary;
	case AS_SORT_AGE:
		return (int64_t)r->oldest_ns;
	case AS_SORT_ALLOCATED:
		return r->alloc_size;
	default:
		return 0;
	}
}

static int cmp_stat_by(const void *a, const void *b, void *arg)
{
	enum as_sort by = *(const enum as_sort *)arg;
	int64_t x = sort_key(a, by), y = sort_key(b, by);

	if (x != y)
		return x < y ? 1 : -1;
	return cmp_stat(a, b);
}

void stats__sort_by(struct as_stats *st, enum as_sort by)
{
	if (by == AS_SORT_SIZE || !st) {
		stats__sort(st);
		return;
	}
	u64map__free(st->index);
	st->index = NULL;
	if (st->n > 1)
		qsort_r(st->rows, st->n, sizeof(*st->rows), cmp_stat_by, &by);
}

static void row_free(struct as_stat *r)
{
	free(r->key);
	free(r->name);
	hist__free(&r->life);
	hist__free(&r->age);
}

void stats__free(struct as_stats *st)
{
	size_t i;

	if (!st)
		return;
	for (i = 0; i < st->n; i++)
		row_free(&st->rows[i]);
	free(st->rows);
	u64map__free(st->index);
	free(st);
}

/* Appends a copy of @src (key and name duplicated) to @st. */
static int push_copy(struct as_stats *st, const struct as_stat *src)
{
	struct as_stat *r = &st->rows[st->n];

	*r = *src;
	r->key = strdup(src->key);
	r->name = strdup(src->name);
	if (!r->key || !r->name || hist__copy(&r->life, &src->life) ||
	    hist__copy(&r->age, &src->age)) {
		row_free(r);
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

/* A map from the hash of each row's key to the row. */
static int index_rows(const struct as_stats *st, struct as_u64map **out)
{
	struct as_u64map *m;
	size_t i;
	int err;

	err = u64map__new(&m);
	for (i = 0; !err && i < st->n; i++)
		/* Keys are unique within one grouping. */
		err = u64map__add(m, key_hash(st->rows[i].key), i);
	if (err) {
		u64map__free(m);
		return err;
	}
	*out = m;
	return 0;
}

/*
 * Copies of @now's rows into @st, diffed against the row of @old with the
 * same key (through @index, NULL when there is no @old); marks in
 * @matched the rows of @old that were found.
 */
static int diff_rows(struct as_stats *st, const struct as_stats *now,
		     const struct as_stats *old, const struct as_u64map *index,
		     bool *matched)
{
	const struct as_stat *o;
	struct as_stat *r;
	size_t i, k;
	int err;

	for (i = 0; i < now->n; i++) {
		err = push_copy(st, &now->rows[i]);
		if (err)
			return err;
		r = &st->rows[st->n - 1];
		r->size_diff = r->size;
		r->count_diff = r->count;
		if (!index ||
		    !find_row(index, old->rows, r->key, key_hash(r->key), &k))
			continue;
		o = &old->rows[k];
		matched[k] = true;
		r->size_diff = r->size - o->size;
		r->count_diff = r->count - o->count;
	}
	return 0;
}

/* Rows of @old that @now lacks: all of them went away. */
static int gone_rows(struct as_stats *st, const struct as_stats *old,
		     const bool *matched)
{
	struct as_stat *r;
	size_t i;
	int err;

	for (i = 0; old && i < old->n; i++) {
		if (matched[i])
			continue;
		err = push_copy(st, &old->rows[i]);
		if (err)
			return err;
		r = &st->rows[st->n - 1];
		r->size_diff = -r->size;
		r->count_diff = -r->count;
		r->size = r->count = r->alloc_size = r->alloc_count = 0;
		/* nothing of it is live or freed now */
		r->temporary = 0;
		r->oldest_ns = 0;
		hist__free(&r->life);
		hist__free(&r->age);
	}
	return 0;
}

/* Drops the rows keep_row() rejects, in place, keeping the order. */
static void drop_rows(struct as_stats *st)
{
	size_t i, k;

	for (i = 0, k = 0; i < st->n; i++) {
		if (keep_row(&st->rows[i], st->min_size)) {
			st->rows[k++] = st->rows[i];
		} else {
			row_free(&st->rows[i]);
		}
	}
	st->n = k;
}

int stats__compare(const struct as_stats *now, const struct as_stats *old,
		   struct as_stats **out)
{
	struct as_u64map *own = NULL;
	const struct as_u64map *index = NULL;
	size_t nold = old ? old->n : 0;
	struct as_stats *st;
	bool *matched = NULL;
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
		matched = calloc(nold, sizeof(*matched));
		if (!matched)
			goto cleanup;
		/* a grouping has its index; anything else gets one */
		index = old->index;
		if (!index) {
			err = index_rows(old, &own);
			if (err)
				goto cleanup;
			index = own;
		}
	}
	err = diff_rows(st, now, old, index, matched);
	err = err ?: gone_rows(st, old, matched);
	if (err)
		goto cleanup;
	drop_rows(st);
	stats__sort(st);
	*out = st;
	st = NULL;
cleanup:
	stats__free(st);
	free(matched);
	u64map__free(own);
	return err;
}
