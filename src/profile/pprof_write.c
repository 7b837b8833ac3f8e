// SPDX-License-Identifier: MIT
/*
 * pprof_write.c - a snapshot as a gzipped pprof profile, written
 * atomically (util/atomic_file.h).
 */
#define ZLIB_CONST
#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "profile.pb-c.h"
#include "profile/pprof.h"
#include "profile/pprof_err.h"
#include "util/atomic_file.h"
#include "util/buf.h"

typedef Perftools__Profiles__Profile pb_profile;
typedef Perftools__Profiles__ValueType pb_value_type;
typedef Perftools__Profiles__Sample pb_sample;
typedef Perftools__Profiles__Label pb_label;
typedef Perftools__Profiles__Mapping pb_mapping;
typedef Perftools__Profiles__Location pb_location;
typedef Perftools__Profiles__Line pb_line;
typedef Perftools__Profiles__Function pb_function;

/* Go heap-profile convention; sample values are written in this order. */
static const char *const sample_types[4][2] = {
    {"alloc_objects", "count"},
    {"alloc_space", "bytes"},
    {"inuse_objects", "count"},
    {"inuse_space", "bytes"},
};

struct fn_key {
	int64_t name, file; /* string table indices */
};

struct pid_comm {
	uint32_t pid;
	const char *str;
	int64_t comm; /* string table index of str */
	/* the caller's labels of this process (struct as_pprof_opts) */
	struct as_pprof_label extra[AS_PPROF_MAX_LABELS];
	size_t nextra;
};

struct writer {
	const struct as_snapshot *s;
	const struct as_pprof_opts *opts; /* never NULL */
	/* string table: sorted, unique, strs[0] == "" */
	const char **strs;
	size_t nstrs, capstrs;
	char **comments; /* texts we formatted (meta, processes, counters) */
	size_t ncomments;
	struct fn_key *fns; /* sorted, unique; function id = index + 1 */
	size_t nfns;
	struct pid_comm *pids; /* sorted by pid */
	/* id of the AS_SNAPSHOT_NO_STACK location, 0 when not needed */
	uint64_t empty_loc;
	/* per module: has_functions, has_filenames, has_line_numbers,
	 * has_inline_frames */
	bool (*has)[4];
	/* per sample: its lifetimes' and ages' histograms as label text
	 * ("9:7,12:1": bucket:count), NULL when empty */
	char *(*hists)[2];
};

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int cmp_fn(const void *a, const void *b)
{
	const struct fn_key *x = a, *y = b;

	if (x->name != y->name)
		return x->name < y->name ? -1 : 1;
	if (x->file != y->file)
		return x->file < y->file ? -1 : 1;
	return 0;
}

static int cmp_pid(const void *a, const void *b)
{
	const struct pid_comm *x = a, *y = b;

	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	return 0;
}

/* Sorts and removes duplicates; returns the new count. */
static size_t sort_unique(void *base, size_t n, size_t size,
			  int (*cmp)(const void *, const void *))
{
	char *p = base;
	size_t i, out = 0;

	if (!n)
		return 0;
	qsort(base, n, size, cmp);
	for (i = 1; i < n; i++) {
		if (cmp(p + out * size, p + i * size) == 0)
			continue;
		out++;
		if (out != i)
			memcpy(p + out * size, p + i * size, size);
	}
	return out + 1;
}

static int add_str(struct writer *w, const char *str)
{
	if (!str)
		return 0;
	if (BUF_RESERVE(w->strs, w->capstrs, w->nstrs + 1))
		return -ENOMEM;
	w->strs[w->nstrs++] = str;
	return 0;
}

/* Index of a collected string; NULL is "" (index 0). */
static int64_t str_idx(const struct writer *w, const char *str)
{
	const char **hit;

	if (!str)
		return 0;
	hit = bsearch(&str, w->strs, w->nstrs, sizeof(*w->strs), cmp_str);
	/* every string was collected before lookups start */
	return hit ? hit - w->strs : 0;
}

/* Adds @v (NULL: JSON null) under @key; takes ownership of @v. */
static int jadd(json_object *o, const char *key, json_object *v)
{
	if (json_object_object_add(o, key, v)) {
		json_object_put(v);
		return -ENOMEM;
	}
	return 0;
}

/* Adds @v under @key; takes ownership of @v, NULL @v means out of memory. */
static int jset(json_object *o, const char *key, json_object *v)
{
	return v ? jadd(o, key, v) : -ENOMEM;
}

/* Adds a string, or JSON null for NULL. */
static int jset_str(json_object *o, const char *key, const char *str)
{
	json_object *v = NULL;

	if (str && !(v = json_object_new_string(str)))
		return -ENOMEM;
	return jadd(o, key, v);
}

/* Formats "@prefix{json}" into a new comment of @w; consumes @o. */
static int add_json_comment(struct writer *w, const char *prefix,
			    json_object *o)
{
	const char *js;
	char *text = NULL;
	int ret = -ENOMEM;

	js = json_object_to_json_string_ext(
	    o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	if (js && asprintf(&text, "%s%s", prefix, js) >= 0) {
		w->comments[w->ncomments++] = text;
		ret = 0;
	}
	json_object_put(o);
	return ret;
}

static int meta_comment(struct writer *w)
{
	const struct as_snapshot *s = w->s;
	json_object *o = json_object_new_object();
	int ret = 0;

	if (!o)
		return -ENOMEM;
	ret = ret ?: jset(o, "format", json_object_new_int(AS_SNAPSHOT_FORMAT));
	ret = ret ?: jset(o, "has_meta", json_object_new_boolean(s->has_meta));
	ret = ret ?: jset_str(o, "tool_version", s->tool_version);
	ret = ret ?: jset_str(o, "hostname", s->hostname);
	ret = ret ?: jset_str(o, "command", s->command);
	ret = ret
		  ?: jset(o, "sample_bytes",
			  json_object_new_int64(s->sample_bytes));
	ret = ret ?: jset(o, "time_sec", json_object_new_int64(s->time.tv_sec));
	ret =
	    ret ?: jset(o, "time_nsec", json_object_new_int64(s->time.tv_nsec));
	ret =
	    ret ?: jset(o, "start_sec", json_object_new_int64(s->start.tv_sec));
	ret = ret
		  ?: jset(o, "start_nsec",
			  json_object_new_int64(s->start.tv_nsec));
	ret = ret
		  ?: jset(o, "older_than_ns",
			  json_object_new_int64((int64_t)s->older_than_ns));
	ret = ret
		  ?: jset(o, "temporary_ns",
			  json_object_new_int64((int64_t)s->temporary_ns));
	if (ret) {
		json_object_put(o);
		return ret;
	}
	return add_json_comment(w, AS_SNAPSHOT_META, o);
}

/* [[t_ms, current, alloc_count, free_count], ...] */
static json_object *timeline_json(const struct as_process *p)
{
	json_object *a = json_object_new_array(), *pt;
	size_t i;
	int ret = 0;

	for (i = 0; a && !ret && i < p->ntimeline; i++) {
		const struct as_timeline_point *t = &p->timeline[i];

		pt = json_object_new_array_ext(4);
		ret =
		    !pt ||
		    json_object_array_add(pt, json_object_new_int64(t->t_ms)) ||
		    json_object_array_add(pt,
					  json_object_new_int64(t->current)) ||
		    json_object_array_add(
			pt, json_object_new_uint64(t->alloc_count)) ||
		    json_object_array_add(
			pt, json_object_new_uint64(t->free_count)) ||
		    json_object_array_add(a, pt);
	}
	if (ret) {
		json_object_put(a);
		return NULL;
	}
	return a;
}

static int64_t ts_nanos(struct timespec t);

static int process_comment(struct writer *w, const struct as_process *p)
{
	json_object *o = json_object_new_object();
	int ret = 0;

	if (!o)
		return -ENOMEM;
	ret = ret ?: jset(o, "pid", json_object_new_int64(p->pid));
	ret = ret ?: jset_str(o, "comm", p->comm);
	ret = ret
		  ?: jset(o, "current_bytes",
			  json_object_new_int64(p->current_bytes));
	ret =
	    ret ?: jset(o, "peak_bytes", json_object_new_int64(p->peak_bytes));
	ret = ret
		  ?: jset(o, "alloc_count",
			  json_object_new_uint64(p->alloc_count));
	ret =
	    ret ?: jset(o, "free_count", json_object_new_uint64(p->free_count));
	ret = ret
		  ?: jset(o, "failed_count",
			  json_object_new_uint64(p->failed_count));
	ret = ret
		  ?: jset(o, "unmatched_free_count",
			  json_object_new_uint64(p->unmatched_free_count));
	ret = ret
		  ?: jset(o, "alloc_bytes",
			  json_object_new_uint64(p->alloc_bytes));
	ret =
	    ret ?: jset(o, "free_bytes", json_object_new_uint64(p->free_bytes));
	ret =
	    ret ?: jset(o, "mmap_bytes", json_object_new_int64(p->mmap_bytes));
	ret = ret ?: jset(o, "mmap_peak", json_object_new_int64(p->mmap_peak));
	ret = ret
		  ?: jset(o, "pymalloc_bytes",
			  json_object_new_int64(p->pymalloc_bytes));
	ret = ret
		  ?: jset(o, "pymalloc_blocks",
			  json_object_new_int64(p->pymalloc_blocks));
	ret = ret
		  ?: jset(o, "peak_time_ns",
			  json_object_new_int64(ts_nanos(p->peak_time)));
	if (!ret && p->ntimeline)
		ret = jset(o, "timeline", timeline_json(p));
	ret = ret ?: jset(o, "exited", json_object_new_boolean(p->exited));
	ret = ret ?: jset(o, "inexact", json_object_new_boolean(p->inexact));
	if (ret) {
		json_object_put(o);
		return ret;
	}
	return add_json_comment(w, AS_SNAPSHOT_PROCESS, o);
}

static int make_comments(struct writer *w)
{
	const struct as_snapshot *s = w->s;
	char *text;
	size_t i;
	int ret;

	w->comments =
	    calloc(1 + s->nprocesses + s->ncounters, sizeof(*w->comments));
	if (!w->comments)
		return -ENOMEM;
	ret = meta_comment(w);
	for (i = 0; !ret && i < s->nprocesses; i++)
		ret = process_comment(w, &s->processes[i]);
	for (i = 0; !ret && i < s->ncounters; i++) {
		if (asprintf(&text, "%s%s=%" PRIu64, AS_SNAPSHOT_COUNTER,
			     s->counters[i].name, s->counters[i].value) < 0)
			return -ENOMEM;
		w->comments[w->ncomments++] = text;
	}
	return ret;
}

/* Checks the indices a snapshot holds, so that a bug shows as an error. */
static int check_model(const struct as_snapshot *s, char *err, size_t errlen)
{
	size_t i, j;

	for (i = 0; i < s->nlocations; i++) {
		int32_t m = s->locations[i].module;

		if (m < -1 || (m >= 0 && (size_t)m >= s->nmodules))
			return pprof__error(
			    err, errlen, -EINVAL,
			    "cannot write snapshot: location %zu "
			    "names module %d of %zu; this is a bug "
			    "in allocsnoop, please report it",
			    i, m, s->nmodules);
	}
	for (i = 0; i < s->nsamples; i++) {
		if (!sample_kind__name((enum as_sample_kind)s->samples[i].kind))
			return pprof__error(err, errlen, -EINVAL,
					    "cannot write snapshot: sample %zu "
					    "has kind %u; this is a bug in "
					    "allocsnoop, please report it",
					    i, s->samples[i].kind);
		for (j = 0; j < s->samples[i].nlocs; j++)
			if (s->samples[i].locs[j] >= s->nlocations)
				return pprof__error(
				    err, errlen, -EINVAL,
				    "cannot write snapshot: sample %zu "
				    "names location %u of %zu; this is a "
				    "bug in allocsnoop, please report it",
				    i, s->samples[i].locs[j], s->nlocations);
	}
	if (s->nmodules >= UINT32_MAX || s->nlocations >= UINT32_MAX)
		return pprof__error(
		    err, errlen, -E2BIG,
		    "cannot write snapshot: too many modules or "
		    "locations");
	return 0;
}

static const struct pid_comm *find_pid(const struct writer *w, uint32_t pid)
{
	struct pid_comm k = {.pid = pid};

	return bsearch(&k, w->pids, w->s->nprocesses, sizeof(k), cmp_pid);
}

/* The processes by pid, for the samples' comm labels. */
static int collect_pids(struct writer *w)
{
	const struct as_snapshot *s = w->s;
	size_t i;

	w->pids = calloc(s->nprocesses ?: 1, sizeof(*w->pids));
	if (!w->pids)
		return -ENOMEM;
	for (i = 0; i < s->nprocesses; i++) {
		w->pids[i].pid = s->processes[i].pid;
		w->pids[i].str = s->processes[i].comm;
		if (w->opts->labels)
			w->pids[i].nextra =
			    w->opts->labels(w->opts->arg, s->processes[i].pid,
					    w->pids[i].extra);
	}
	qsort(w->pids, s->nprocesses, sizeof(*w->pids), cmp_pid);
	return 0;
}

/*
 * Collects the strings the profile references, and only those: the
 * reader relies on the last one being used (see pack()).
 */
static int collect_strings(struct writer *w)
{
	const struct as_snapshot *s = w->s;
	const struct pid_comm *proc;
	size_t i, j;
	int ret = 0;

	if (w->opts->default_type)
		ret = add_str(w, w->opts->default_type);
	for (i = 0; i < 4 && !ret; i++)
		ret = add_str(w, sample_types[i][0])
			  ?: add_str(w, sample_types[i][1]);
	ret = ret ?: add_str(w, "");
	ret = ret ?: add_str(w, "space");
	if (w->empty_loc)
		ret = ret ?: add_str(w, AS_SNAPSHOT_NO_STACK);
	for (i = 0; i < w->ncomments && !ret; i++)
		ret = add_str(w, w->comments[i]);
	for (i = 0; i < s->nsamples && !ret; i++) {
		ret = add_str(w, "pid");
		proc = find_pid(w, s->samples[i].pid);
		if (proc && !ret)
			ret = add_str(w, "comm") ?: add_str(w, proc->str);
		for (j = 0; proc && !ret && j < proc->nextra; j++)
			ret = add_str(w, proc->extra[j].key)
				  ?: add_str(w, proc->extra[j].value);
		if (!ret && s->samples[i].kind != AS_KIND_MALLOC)
			ret = add_str(w, "kind")
				  ?: add_str(w, sample_kind__name(
						    s->samples[i].kind));
		if (!ret && s->samples[i].temporary)
			ret = add_str(w, "temporary");
		if (!ret && s->samples[i].oldest_ns)
			ret = add_str(w, "oldest_age")
				  ?: add_str(w, "nanoseconds");
		if (!ret && w->hists[i][0])
			ret = add_str(w, "lifetimes")
				  ?: add_str(w, w->hists[i][0]);
		if (!ret && w->hists[i][1])
			ret = add_str(w, "ages") ?: add_str(w, w->hists[i][1]);
	}
	for (i = 0; i < s->nmodules && !ret; i++)
		ret = add_str(w, s->modules[i].path)
			  ?: add_str(w, s->modules[i].build_id);
	for (i = 0; i < s->nlocations && !ret; i++)
		for (j = 0; j < s->locations[i].nlines && !ret; j++)
			ret = add_str(w, s->locations[i].lines[j].function)
				  ?: add_str(w, s->locations[i].lines[j].file);
	if (ret)
		return ret;
	w->nstrs = sort_unique(w->strs, w->nstrs, sizeof(*w->strs), cmp_str);
	return 0;
}

/* What the lines of location @l tell about its module's mapping. */
static void note_module_has(struct writer *w, const struct as_location *l)
{
	bool *has = w->has[l->module];
	uint32_t j;

	for (j = 0; j < l->nlines; j++) {
		has[0] |= l->lines[j].function != NULL;
		has[1] |= l->lines[j].file != NULL;
		has[2] |= l->lines[j].line != 0;
	}
	has[3] |= l->nlines > 1;
}

/* Functions, keyed by (name, file) string indices, and each module's
 * has_* flags. */
static int collect_functions(struct writer *w)
{
	const struct as_snapshot *s = w->s;
	size_t i, j, nlines = 0;

	for (i = 0; i < s->nlocations; i++)
		nlines += s->locations[i].nlines;
	w->fns = calloc(nlines + 1, sizeof(*w->fns));
	w->has = calloc(s->nmodules ?: 1, sizeof(*w->has));
	if (!w->fns || !w->has)
		return -ENOMEM;
	for (i = 0; i < s->nlocations; i++) {
		const struct as_location *l = &s->locations[i];

		for (j = 0; j < l->nlines; j++) {
			w->fns[w->nfns].name = str_idx(w, l->lines[j].function);
			w->fns[w->nfns].file = str_idx(w, l->lines[j].file);
			w->nfns++;
		}
		if (l->module >= 0)
			note_module_has(w, l);
	}
	if (w->empty_loc)
		w->fns[w->nfns++].name = str_idx(w, AS_SNAPSHOT_NO_STACK);
	w->nfns = sort_unique(w->fns, w->nfns, sizeof(*w->fns), cmp_fn);
	return 0;
}

/* Everything the profile's tables are built from. */
/* "bucket:count,..." of @h, NULL when it is empty. */
static int hist_text(const struct as_hist *h, char **out)
{
	struct as_strbuf sb = {0};
	uint32_t i;
	int err = 0;

	*out = NULL;
	for (i = 0; !err && i < h->n; i++) {
		if (i)
			err = strbuf__addc(&sb, ',');
		err = err
			  ?: strbuf__add_u64(&sb, hist__bin_bucket(h, i), false,
					     false);
		err = err ?: strbuf__addc(&sb, ':');
		err = err
			  ?: strbuf__add_u64(&sb, hist__bin_count(h, i), false,
					     false);
	}
	if (err) {
		strbuf__free(&sb);
		return err;
	}
	*out = sb.s;
	return 0;
}

static int format_hists(struct writer *w)
{
	const struct as_snapshot *s = w->s;
	size_t i;
	int ret = 0;

	w->hists = calloc(s->nsamples ?: 1, sizeof(*w->hists));
	if (!w->hists)
		return -ENOMEM;
	for (i = 0; !ret && i < s->nsamples; i++)
		ret = hist_text(&s->samples[i].life, &w->hists[i][0])
			  ?: hist_text(&s->samples[i].age, &w->hists[i][1]);
	return ret;
}

static int collect(struct writer *w)
{
	size_t i;
	int ret;

	ret = format_hists(w);
	ret = ret ?: collect_pids(w);
	ret = ret ?: collect_strings(w);
	ret = ret ?: collect_functions(w);
	if (ret)
		return ret;
	for (i = 0; i < w->s->nprocesses; i++)
		w->pids[i].comm = str_idx(w, w->pids[i].str);
	return 0;
}

static uint64_t fn_id(const struct writer *w, const struct as_line *ln)
{
	struct fn_key k = {str_idx(w, ln->function), str_idx(w, ln->file)};
	const struct fn_key *hit;

	hit = bsearch(&k, w->fns, w->nfns, sizeof(k), cmp_fn);
	return hit ? (uint64_t)(hit - w->fns) + 1 : 0;
}

/* Nanoseconds since the epoch, 0 when out of int64 range. */
static int64_t ts_nanos(struct timespec t)
{
	int64_t ns;

	if (__builtin_mul_overflow((int64_t)t.tv_sec, 1000000000, &ns) ||
	    __builtin_add_overflow(ns, (int64_t)t.tv_nsec, &ns))
		return 0;
	return ns;
}

/* The protobuf messages of one profile; arrays freed by pb_free(). */
struct pb {
	pb_profile prof;
	pb_value_type vt[5], *vtp[4];
	pb_sample *samples, **samplep;
	uint64_t *loc_ids;
	int64_t *values;
	pb_label *labels, **labelp;
	pb_mapping *maps, **mapp;
	pb_location *locs, **locp;
	pb_line *lines, **linep;
	pb_function *fns, **fnp;
	int64_t *comments;
};

static void pb_free(struct pb *pb)
{
	free(pb->samples);
	free(pb->samplep);
	free(pb->loc_ids);
	free(pb->values);
	free(pb->labels);
	free(pb->labelp);
	free(pb->maps);
	free(pb->mapp);
	free(pb->locs);
	free(pb->locp);
	free(pb->lines);
	free(pb->linep);
	free(pb->fns);
	free(pb->fnp);
	free(pb->comments);
}

/*
 * One mapping per module (a module is one load of a file). The reader
 * derives rel_offset as address - memory_start + file_offset, which is how
 * the collector computes it from the same mapping.
 */
static void build_mappings(const struct writer *w, struct pb *pb)
{
	const struct as_snapshot *s = w->s;
	size_t i;

	for (i = 0; i < s->nmodules; i++) {
		const struct as_module *mod = &s->modules[i];
		pb_mapping *m = &pb->maps[i];

		perftools__profiles__mapping__init(m);
		m->id = i + 1;
		m->memory_start = mod->start;
		m->memory_limit = mod->limit;
		m->file_offset = mod->offset;
		m->filename = str_idx(w, mod->path);
		m->build_id = str_idx(w, mod->build_id);
		m->has_functions = w->has[i][0];
		m->has_filenames = w->has[i][1];
		m->has_line_numbers = w->has[i][2];
		m->has_inline_frames = w->has[i][3];
		pb->mapp[i] = m;
	}
	pb->prof.n_mapping = s->nmodules;
	pb->prof.mapping = pb->mapp;
}

/* Profile location @i, its @n lines to come from pb->lines[@nl...]. */
static pb_location *location_init(struct pb *pb, size_t i, uint64_t id,
				  size_t n, size_t nl)
{
	pb_location *pl = &pb->locs[i];

	perftools__profiles__location__init(pl);
	pl->id = id;
	pl->n_line = n;
	pl->line = &pb->linep[nl];
	pb->locp[i] = pl;
	return pl;
}

static void line_init(const struct writer *w, struct pb *pb, size_t nl,
		      const struct as_line *ln)
{
	perftools__profiles__line__init(&pb->lines[nl]);
	pb->lines[nl].function_id = fn_id(w, ln);
	pb->lines[nl].line = ln->line;
	pb->linep[nl] = &pb->lines[nl];
}

static void build_locations(const struct writer *w, struct pb *pb)
{
	const struct as_snapshot *s = w->s;
	const struct as_line marker = {.function = AS_SNAPSHOT_NO_STACK};
	size_t i, j, nl = 0;
	pb_location *pl;

	for (i = 0; i < s->nlocations; i++) {
		const struct as_location *l = &s->locations[i];

		/* both innermost first: line[0] is the most deeply inlined */
		pl = location_init(pb, i, i + 1, l->nlines, nl);
		pl->mapping_id = l->module >= 0 ? (uint64_t)l->module + 1 : 0;
		pl->address = l->address;
		for (j = 0; j < l->nlines; j++)
			line_init(w, pb, nl++, &l->lines[j]);
	}
	if (w->empty_loc) {
		location_init(pb, i, w->empty_loc, 1, nl);
		line_init(w, pb, nl, &marker);
	}
	pb->prof.n_location = s->nlocations + (w->empty_loc != 0);
	pb->prof.location = pb->locp;
}

static void build_functions(const struct writer *w, struct pb *pb)
{
	size_t i;

	for (i = 0; i < w->nfns; i++) {
		perftools__profiles__function__init(&pb->fns[i]);
		pb->fns[i].id = i + 1;
		pb->fns[i].name = w->fns[i].name;
		pb->fns[i].system_name = w->fns[i].name;
		pb->fns[i].filename = w->fns[i].file;
		pb->fnp[i] = &pb->fns[i];
	}
	pb->prof.n_function = w->nfns;
	pb->prof.function = pb->fnp;
}

/* Labels a sample has at most: pid, comm, kind, and its time facts:
 * temporary, oldest_age, lifetimes, ages. */
/* pid, comm, kind, 4 time labels, the caller's */
#define LABELS (7 + AS_PPROF_MAX_LABELS)

/* Adds the time labels of sample @i to @ps, from @lb on. */
static void time_labels(const struct writer *w, size_t i, pb_sample *ps,
			pb_label *lb)
{
	const struct as_sample *sm = &w->s->samples[i];
	static const char *const hist_keys[2] = {"lifetimes", "ages"};
	int k;

	if (sm->temporary) {
		perftools__profiles__label__init(lb);
		lb->key = str_idx(w, "temporary");
		lb->num = sm->temporary;
		ps->label[ps->n_label++] = lb++;
	}
	if (sm->oldest_ns) {
		perftools__profiles__label__init(lb);
		lb->key = str_idx(w, "oldest_age");
		lb->num = (int64_t)sm->oldest_ns;
		lb->num_unit = str_idx(w, "nanoseconds");
		ps->label[ps->n_label++] = lb++;
	}
	for (k = 0; k < 2; k++) {
		if (!w->hists[i][k])
			continue;
		perftools__profiles__label__init(lb);
		lb->key = str_idx(w, hist_keys[k]);
		lb->str = str_idx(w, w->hists[i][k]);
		ps->label[ps->n_label++] = lb++;
	}
}

static void build_samples(const struct writer *w, struct pb *pb)
{
	const struct as_snapshot *s = w->s;
	size_t i, j, nid = 0;

	for (i = 0; i < s->nsamples; i++) {
		const struct as_sample *sm = &s->samples[i];
		pb_sample *ps = &pb->samples[i];
		pb_label *lb = &pb->labels[LABELS * i];
		const struct pid_comm *proc = find_pid(w, sm->pid);
		int64_t *v = &pb->values[4 * i];

		perftools__profiles__sample__init(ps);
		ps->n_location_id = sm->nlocs;
		ps->location_id = &pb->loc_ids[nid];
		for (j = 0; j < sm->nlocs; j++)
			pb->loc_ids[nid++] = (uint64_t)sm->locs[j] + 1;
		if (!sm->nlocs && w->empty_loc) {
			ps->n_location_id = 1;
			pb->loc_ids[nid++] = w->empty_loc;
		}
		v[0] = sm->alloc_count;
		v[1] = sm->alloc_size;
		v[2] = sm->count;
		v[3] = sm->size;
		ps->n_value = 4;
		ps->value = v;

		ps->label = &pb->labelp[LABELS * i];
		perftools__profiles__label__init(&lb[0]);
		lb[0].key = str_idx(w, "pid");
		lb[0].num = sm->pid;
		ps->label[ps->n_label++] = &lb[0];
		if (proc) {
			perftools__profiles__label__init(&lb[1]);
			lb[1].key = str_idx(w, "comm");
			lb[1].str = proc->comm;
			ps->label[ps->n_label++] = &lb[1];
		}
		/* a malloc sample carries no kind: the default */
		if (sm->kind != AS_KIND_MALLOC) {
			perftools__profiles__label__init(&lb[2]);
			lb[2].key = str_idx(w, "kind");
			lb[2].str = str_idx(
			    w,
			    sample_kind__name((enum as_sample_kind)sm->kind));
			ps->label[ps->n_label++] = &lb[2];
		}
		time_labels(w, i, ps, &lb[3]);
		for (j = 0; proc && j < proc->nextra; j++) {
			perftools__profiles__label__init(&lb[7 + j]);
			lb[7 + j].key = str_idx(w, proc->extra[j].key);
			lb[7 + j].str = str_idx(w, proc->extra[j].value);
			ps->label[ps->n_label++] = &lb[7 + j];
		}
		pb->samplep[i] = ps;
	}
	pb->prof.n_sample = s->nsamples;
	pb->prof.sample = pb->samplep;
}

/* The message arrays, each sized for the snapshot. */
static int pb_alloc(const struct writer *w, struct pb *pb)
{
	const struct as_snapshot *s = w->s;
	size_t i, nids = 0, nlines = 0, nmaps = s->nmodules;

	for (i = 0; i < s->nsamples; i++)
		nids += s->samples[i].nlocs ?: 1;
	for (i = 0; i < s->nlocations; i++)
		nlines += s->locations[i].nlines;
	/* calloc(0) may return NULL: ask for at least one element */
	pb->samples = calloc(s->nsamples ?: 1, sizeof(*pb->samples));
	pb->samplep = calloc(s->nsamples ?: 1, sizeof(*pb->samplep));
	pb->loc_ids = calloc(nids ?: 1, sizeof(*pb->loc_ids));
	pb->values = calloc(4 * s->nsamples ?: 1, sizeof(*pb->values));
	pb->labels = calloc(LABELS * s->nsamples ?: 1, sizeof(*pb->labels));
	pb->labelp = calloc(LABELS * s->nsamples ?: 1, sizeof(*pb->labelp));
	pb->maps = calloc(nmaps ?: 1, sizeof(*pb->maps));
	pb->mapp = calloc(nmaps ?: 1, sizeof(*pb->mapp));
	pb->locs = calloc(s->nlocations + 1, sizeof(*pb->locs));
	pb->locp = calloc(s->nlocations + 1, sizeof(*pb->locp));
	pb->lines = calloc(nlines + 1, sizeof(*pb->lines));
	pb->linep = calloc(nlines + 1, sizeof(*pb->linep));
	pb->fns = calloc(w->nfns ?: 1, sizeof(*pb->fns));
	pb->fnp = calloc(w->nfns ?: 1, sizeof(*pb->fnp));
	pb->comments = calloc(w->ncomments ?: 1, sizeof(*pb->comments));
	if (!pb->samples || !pb->samplep || !pb->loc_ids || !pb->values ||
	    !pb->labels || !pb->labelp || !pb->maps || !pb->mapp || !pb->locs ||
	    !pb->locp || !pb->lines || !pb->linep || !pb->fns || !pb->fnp ||
	    !pb->comments)
		return -ENOMEM;
	return 0;
}

/* Sample and period types, times and comments. */
static void build_header(const struct writer *w, struct pb *pb)
{
	const struct as_snapshot *s = w->s;
	size_t i;

	perftools__profiles__profile__init(&pb->prof);
	for (i = 0; i < 5; i++)
		perftools__profiles__value_type__init(&pb->vt[i]);
	for (i = 0; i < 4; i++) {
		pb->vt[i].type = str_idx(w, sample_types[i][0]);
		pb->vt[i].unit = str_idx(w, sample_types[i][1]);
		pb->vtp[i] = &pb->vt[i];
	}
	pb->prof.n_sample_type = 4;
	pb->prof.sample_type = pb->vtp;
	pb->prof.default_sample_type =
	    str_idx(w, w->opts->default_type ?: "inuse_space");
	pb->vt[4].type = str_idx(w, "space");
	pb->vt[4].unit = str_idx(w, "bytes");
	pb->prof.period_type = &pb->vt[4];
	pb->prof.period = s->sample_bytes;
	pb->prof.time_nanos = ts_nanos(s->time);
	if (__builtin_sub_overflow(pb->prof.time_nanos, ts_nanos(s->start),
				   &pb->prof.duration_nanos))
		pb->prof.duration_nanos = 0;
	for (i = 0; i < w->ncomments; i++)
		pb->comments[i] = str_idx(w, w->comments[i]);
	pb->prof.n_comment = w->ncomments;
	pb->prof.comment = pb->comments;
}

static int build(const struct writer *w, struct pb *pb)
{
	int ret = pb_alloc(w, pb);

	if (ret)
		return ret;
	build_header(w, pb);
	build_mappings(w, pb);
	build_locations(w, pb);
	build_functions(w, pb);
	build_samples(w, pb);
	return 0;
}

/*
 * Serializes the profile with the string table last: every string in the
 * table is referenced, so a file cut short anywhere leaves a reference
 * out of range and the reader notices, even without gzip's checksum.
 */
static int pack(const struct writer *w, struct pb *pb, uint8_t **out,
		size_t *len)
{
	pb_profile strings = PERFTOOLS__PROFILES__PROFILE__INIT;
	size_t na, nb;
	uint8_t *buf;

	strings.n_string_table = w->nstrs;
	strings.string_table = (char **)w->strs;
	na = perftools__profiles__profile__get_packed_size(&pb->prof);
	nb = perftools__profiles__profile__get_packed_size(&strings);
	buf = malloc(na + nb);
	if (!buf)
		return -ENOMEM;
	perftools__profiles__profile__pack(&pb->prof, buf);
	perftools__profiles__profile__pack(&strings, buf + na);
	*out = buf;
	*len = na + nb;
	return 0;
}

/* Where gzip() puts its output: a file or memory. */
typedef int (*gz_sink)(void *arg, const uint8_t *data, size_t len);

/* Compresses @len bytes of @data as one gzip member (what gzopen() and
 * gunzip read) into @sink. */
static int gzip(const uint8_t *data, size_t len, gz_sink sink, void *arg)
{
	z_stream z = {0};
	uint8_t *out;
	size_t outsz = 1 << 16, left = len;
	int flush, ret = 0;

	out = malloc(outsz);
	if (!out)
		return -ENOMEM;
	if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8,
			 Z_DEFAULT_STRATEGY) != Z_OK) {
		free(out);
		return -ENOMEM;
	}
	z.next_in = data;
	do {
		/* avail_in is 32 bits: feed larger buffers in pieces */
		z.avail_in = left > UINT_MAX ? UINT_MAX : (uInt)left;
		left -= z.avail_in;
		flush = left ? Z_NO_FLUSH : Z_FINISH;
		do {
			z.next_out = out;
			z.avail_out = (uInt)outsz;
			if (deflate(&z, flush) == Z_STREAM_ERROR) {
				ret = -EIO;
				goto cleanup;
			}
			ret = sink(arg, out, outsz - z.avail_out);
			if (ret)
				goto cleanup;
		} while (z.avail_out == 0);
	} while (flush != Z_FINISH);
cleanup:
	deflateEnd(&z);
	free(out);
	return ret;
}

/* The packed profile, for gzip_to_fd. */
struct packed {
	const uint8_t *data;
	size_t len;
};

static int fd_sink(void *arg, const uint8_t *data, size_t len)
{
	return atomic_file__write_all(*(int *)arg, data, len);
}

static int gzip_to_fd(int fd, void *arg)
{
	const struct packed *pk = arg;

	return gzip(pk->data, pk->len, fd_sink, &fd);
}

static int mem_sink(void *arg, const uint8_t *data, size_t len)
{
	return strbuf__addn(arg, (const char *)data, len);
}

static void writer_free(struct writer *w, struct pb *pb)
{
	size_t i;

	pb_free(pb);
	for (i = 0; i < w->ncomments; i++)
		free(w->comments[i]);
	free(w->comments);
	free(w->strs);
	free(w->fns);
	free(w->pids);
	free(w->has);
	for (i = 0; w->hists && i < w->s->nsamples; i++) {
		free(w->hists[i][0]);
		free(w->hists[i][1]);
	}
	free(w->hists);
}

static bool is_sample_type(const char *name)
{
	size_t i;

	for (i = 0; i < 4; i++)
		if (!strcmp(name, sample_types[i][0]))
			return true;
	return false;
}

/* @s as a packed (not yet compressed) profile in *@buf, *@len. */
static int encode(const struct as_snapshot *s, const struct as_pprof_opts *o,
		  uint8_t **buf, size_t *len, char *err, size_t errlen)
{
	static const struct as_pprof_opts none;
	struct writer w = {.s = s, .opts = o ?: &none};
	struct pb pb = {0};
	size_t i;
	int ret;

	ret = check_model(s, err, errlen);
	if (ret)
		return ret;
	if (w.opts->default_type && !is_sample_type(w.opts->default_type))
		return pprof__error(err, errlen, -EINVAL,
				    "cannot write snapshot: no sample type "
				    "'%s'; this is a bug in allocsnoop",
				    w.opts->default_type);
	for (i = 0; i < s->nsamples && !w.empty_loc; i++)
		if (!s->samples[i].nlocs)
			w.empty_loc = s->nlocations + 1;
	ret = make_comments(&w);
	ret = ret ?: collect(&w);
	ret = ret ?: build(&w, &pb);
	ret = ret ?: pack(&w, &pb, buf, len);
	writer_free(&w, &pb);
	if (ret)
		pprof__error(err, errlen, ret, "cannot write snapshot: %s",
			     strerror(-ret));
	return ret;
}

int snapshot__encode(const struct as_snapshot *s,
		     const struct as_pprof_opts *opts, uint8_t **out,
		     size_t *outlen, char *err, size_t errlen)
{
	struct as_strbuf sb = {0};
	uint8_t *buf = NULL;
	size_t len = 0;
	int ret;

	ret = encode(s, opts, &buf, &len, err, errlen);
	if (ret)
		return ret;
	ret = gzip(buf, len, mem_sink, &sb);
	free(buf);
	if (ret) {
		strbuf__free(&sb);
		return pprof__error(err, errlen, ret,
				    "cannot compress snapshot: %s",
				    strerror(-ret));
	}
	*out = (uint8_t *)sb.s;
	*outlen = sb.len;
	return 0;
}

int snapshot__write(const struct as_snapshot *s, const char *path, char *err,
		    size_t errlen)
{
	uint8_t *buf = NULL;
	struct packed pk;
	size_t len = 0;
	int ret;

	/* its errors say "cannot write snapshot" */
	ret = encode(s, NULL, &buf, &len, err, errlen);
	if (ret)
		return ret;
	pk = (struct packed){buf, len};
	ret =
	    atomic_file__write(path, "snapshot", gzip_to_fd, &pk, err, errlen);
	free(buf);
	return ret;
}
