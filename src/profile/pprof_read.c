// SPDX-License-Identifier: MIT
/*
 * pprof_read.c - a gzipped or plain pprof profile back into a snapshot.
 *
 * Input is untrusted (files from other machines, the fuzzer): every index
 * and id is checked before use, inflating is capped, and every failure is
 * one line in err. Foreign heap profiles read too; their sample types map
 * as follows: size/count come from inuse_space/inuse_objects (0 when
 * missing: nothing is known to be live), alloc_size/alloc_count from
 * alloc_space/alloc_objects, or else from the inuse values (what is live
 * was allocated). A profile with none of the four is refused.
 */
#define ZLIB_CONST
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "profile.pb-c.h"
#include "profile/pprof.h"
#include "profile/pprof_err.h"
#include "util/buf.h"

typedef Perftools__Profiles__Profile pb_profile;
typedef Perftools__Profiles__Sample pb_sample;
typedef Perftools__Profiles__Label pb_label;
typedef Perftools__Profiles__Mapping pb_mapping;
typedef Perftools__Profiles__Location pb_location;
typedef Perftools__Profiles__Function pb_function;

/* loc_index of an AS_SNAPSHOT_NO_STACK location */
#define NO_LOC UINT32_MAX

/* Both the file and what it inflates to. */
#define AS_MAX_INPUT ((size_t)1 << 30)

enum { ST_ALLOC_OBJECTS, ST_ALLOC_SPACE, ST_INUSE_OBJECTS, ST_INUSE_SPACE };

static const char *const sample_type_names[4] = {
    "alloc_objects",
    "alloc_space",
    "inuse_objects",
    "inuse_space",
};

struct id_idx {
	uint64_t id;
	size_t idx;
};

struct reader {
	const pb_profile *p;
	const char *name;
	char *err;
	size_t errlen;
	struct as_snapshot *s;
	/* sorted by id */
	struct id_idx *map_ids, *loc_ids, *fn_ids;
	/* per mapping: its module */
	int32_t *map_module;
	/* per location: its index in s, or NO_LOC */
	uint32_t *loc_index;
	/* sample type index per ST_*, -1 if absent */
	int st[4];
	/* the meta comment's JSON, NULL if none */
	const char *meta;
	/* process comments present */
	bool has_processes;
};

static int corrupt(const struct reader *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int corrupt(const struct reader *r, const char *fmt, ...)
{
	char what[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return pprof__error(r->err, r->errlen, -EINVAL, "%s is corrupted: %s",
			    r->name, what);
}

static bool str_ok(const struct reader *r, int64_t i)
{
	return i >= 0 && (uint64_t)i < r->p->n_string_table;
}

/* A checked string index; "" becomes NULL (unknown). */
static const char *str_or_null(const struct reader *r, int64_t i)
{
	const char *str = r->p->string_table[i];

	return *str ? str : NULL;
}

static int cmp_id(const void *a, const void *b)
{
	const struct id_idx *x = a, *y = b;

	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	return 0;
}

/* Builds a sorted id index; ids must be nonzero and unique. */
static int index_ids(const struct reader *r, const char *what, size_t n,
		     uint64_t (*id_of)(const pb_profile *, size_t),
		     struct id_idx **out)
{
	struct id_idx *v;
	size_t i;

	v = calloc(n ?: 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	*out = v;
	for (i = 0; i < n; i++) {
		v[i].id = id_of(r->p, i);
		v[i].idx = i;
		if (!v[i].id)
			return corrupt(r, "%s %zu has id 0", what, i);
	}
	qsort(v, n, sizeof(*v), cmp_id);
	for (i = 1; i < n; i++)
		if (v[i].id == v[i - 1].id)
			return corrupt(r, "two %ss have id %llu", what,
				       (unsigned long long)v[i].id);
	return 0;
}

static uint64_t mapping_id(const pb_profile *p, size_t i)
{
	return p->mapping[i]->id;
}

static uint64_t location_id(const pb_profile *p, size_t i)
{
	return p->location[i]->id;
}

static uint64_t function_id(const pb_profile *p, size_t i)
{
	return p->function[i]->id;
}

/* Index of the entry with @id, or -1. */
static ssize_t find_id(const struct id_idx *v, size_t n, uint64_t id)
{
	struct id_idx k = {.id = id};
	const struct id_idx *hit;

	/* ids 1..n, as we and Go write them: no search */
	if (id >= 1 && id <= n && v[id - 1].id == id)
		return (ssize_t)v[id - 1].idx;
	hit = bsearch(&k, v, n, sizeof(k), cmp_id);
	return hit ? (ssize_t)hit->idx : -1;
}

/* ---- JSON comments ---- */

static json_object *parse_json(const char *text)
{
	struct json_tokener *tok = json_tokener_new();
	size_t len = strlen(text);
	json_object *o = NULL;

	if (!tok)
		return NULL;
	if (len <= INT_MAX)
		o = json_tokener_parse_ex(tok, text, (int)len);
	if (o && (json_tokener_get_error(tok) != json_tokener_success ||
		  json_tokener_get_parse_end(tok) != len ||
		  !json_object_is_type(o, json_type_object))) {
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(tok);
	return o;
}

static json_object *jget(json_object *o, const char *key, json_type type)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, type))
		return NULL;
	return v;
}

static bool jget_i64(json_object *o, const char *key, int64_t *out)
{
	json_object *v = jget(o, key, json_type_int);

	/* json-c keeps values above INT64_MAX as uint64 */
	if (!v || json_object_get_uint64(v) > INT64_MAX)
		return false;
	*out = json_object_get_int64(v);
	return true;
}

/* A field newer snapshots have: absent is 0, present must be valid. */
static bool jget_opt_i64(json_object *o, const char *key, int64_t *out)
{
	*out = 0;
	return !json_object_object_get_ex(o, key, NULL) ||
	       jget_i64(o, key, out);
}

static bool jget_u64(json_object *o, const char *key, uint64_t *out)
{
	json_object *v = jget(o, key, json_type_int);

	if (!v || json_object_get_int64(v) < 0)
		return false;
	*out = json_object_get_uint64(v);
	return true;
}

static bool jget_bool(json_object *o, const char *key, bool *out)
{
	json_object *v = jget(o, key, json_type_boolean);

	if (!v)
		return false;
	*out = json_object_get_boolean(v);
	return true;
}

/* A string or null; *out borrows from @o. */
static bool jget_str_or_null(json_object *o, const char *key, const char **out)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v))
		return false;
	if (!v) {
		*out = NULL;
		return true;
	}
	if (!json_object_is_type(v, json_type_string))
		return false;
	*out = json_object_get_string(v);
	return true;
}

static int read_meta(struct reader *r)
{
	struct as_snapshot *s = r->s;
	const char *version, *host, *command;
	int64_t format, ts, tn, ss, sn, older, temporary;
	json_object *o;
	bool has_meta;
	int ret;

	o = parse_json(r->meta);
	if (!o)
		return corrupt(r, "the allocsnoop.meta comment is not a JSON "
				  "object");
	if (!jget_i64(o, "format", &format) || format < 1) {
		ret = corrupt(r, "the allocsnoop.meta comment has no valid "
				 "format version");
		goto cleanup;
	}
	if (format > AS_SNAPSHOT_FORMAT) {
		ret = pprof__error(
		    r->err, r->errlen, -ENOTSUP,
		    "%s: snapshot format %lld is newer than this "
		    "allocsnoop supports (%d); upgrade allocsnoop",
		    r->name, (long long)format, AS_SNAPSHOT_FORMAT);
		goto cleanup;
	}
	if (!jget_bool(o, "has_meta", &has_meta) ||
	    !jget_str_or_null(o, "tool_version", &version) ||
	    !jget_str_or_null(o, "hostname", &host) ||
	    !jget_str_or_null(o, "command", &command) ||
	    !jget_i64(o, "sample_bytes", &s->sample_bytes) ||
	    !jget_i64(o, "time_sec", &ts) || !jget_i64(o, "time_nsec", &tn) ||
	    !jget_i64(o, "start_sec", &ss) || !jget_i64(o, "start_nsec", &sn) ||
	    !jget_opt_i64(o, "older_than_ns", &older) ||
	    !jget_opt_i64(o, "temporary_ns", &temporary) || older < 0 ||
	    temporary < 0) {
		ret = corrupt(r, "the allocsnoop.meta comment lacks a field "
				 "or has one of the wrong type");
		goto cleanup;
	}
	ret = snapshot__set_meta(s, version, host, command);
	if (ret)
		goto cleanup;
	s->has_meta = has_meta;
	s->time.tv_sec = ts;
	s->time.tv_nsec = tn;
	s->start.tv_sec = ss;
	s->start.tv_nsec = sn;
	s->older_than_ns = (uint64_t)older;
	s->temporary_ns = (uint64_t)temporary;
cleanup:
	json_object_put(o);
	return ret;
}

/* A point [t_ms, current, alloc_count, free_count]; false when it is
 * not one. */
static bool timeline_point(json_object *a, struct as_timeline_point *pt)
{
	json_object *v[4];
	size_t i;

	if (!json_object_is_type(a, json_type_array) ||
	    json_object_array_length(a) != 4)
		return false;
	for (i = 0; i < 4; i++) {
		v[i] = json_object_array_get_idx(a, i);
		if (!json_object_is_type(v[i], json_type_int))
			return false;
	}
	pt->t_ms = json_object_get_int64(v[0]);
	pt->current = json_object_get_int64(v[1]);
	pt->alloc_count = json_object_get_uint64(v[2]);
	pt->free_count = json_object_get_uint64(v[3]);
	return true;
}

/* The process's "timeline", when it has one: 0, or -1 when malformed. */
static int read_timeline(json_object *o, struct as_process *p)
{
	json_object *a;
	size_t n, i;

	if (!json_object_object_get_ex(o, "timeline", &a))
		return 0;
	if (!json_object_is_type(a, json_type_array))
		return -1;
	n = json_object_array_length(a);
	p->timeline = calloc(n ?: 1, sizeof(*p->timeline));
	if (!p->timeline)
		return -1;
	for (i = 0; i < n; i++)
		if (!timeline_point(json_object_array_get_idx(a, i),
				    &p->timeline[i]))
			return -1;
	p->ntimeline = n;
	return 0;
}

static int read_process(struct reader *r, const char *text)
{
	struct as_snapshot *s = r->s;
	struct as_process *p;
	const char *comm;
	uint64_t pid;
	int64_t peak = 0;
	size_t before = s->nprocesses;
	json_object *o;
	int ret;

	o = parse_json(text);
	if (!o)
		return corrupt(r, "an allocsnoop.process comment is not a "
				  "JSON object");
	if (!jget_u64(o, "pid", &pid) || pid > UINT32_MAX ||
	    !jget_str_or_null(o, "comm", &comm)) {
		ret = corrupt(r, "an allocsnoop.process comment has no valid "
				 "pid or comm");
		goto cleanup;
	}
	ret = snapshot__add_process(s, (uint32_t)pid, comm);
	if (ret < 0)
		goto cleanup;
	if (s->nprocesses == before) {
		ret = corrupt(r, "process %llu is listed twice",
			      (unsigned long long)pid);
		goto cleanup;
	}
	p = &s->processes[ret];
	ret = 0;
	if (!jget_i64(o, "current_bytes", &p->current_bytes) ||
	    !jget_i64(o, "peak_bytes", &p->peak_bytes) ||
	    !jget_u64(o, "alloc_count", &p->alloc_count) ||
	    !jget_u64(o, "free_count", &p->free_count) ||
	    !jget_u64(o, "failed_count", &p->failed_count) ||
	    !jget_u64(o, "unmatched_free_count", &p->unmatched_free_count) ||
	    !jget_u64(o, "alloc_bytes", &p->alloc_bytes) ||
	    !jget_u64(o, "free_bytes", &p->free_bytes) ||
	    !jget_bool(o, "exited", &p->exited) ||
	    !jget_bool(o, "inexact", &p->inexact) ||
	    !jget_opt_i64(o, "mmap_bytes", &p->mmap_bytes) ||
	    !jget_opt_i64(o, "mmap_peak", &p->mmap_peak) ||
	    !jget_opt_i64(o, "pymalloc_bytes", &p->pymalloc_bytes) ||
	    !jget_opt_i64(o, "pymalloc_blocks", &p->pymalloc_blocks) ||
	    !jget_opt_i64(o, "peak_time_ns", &peak) || peak < 0 ||
	    read_timeline(o, p))
		ret = corrupt(r,
			      "the allocsnoop.process comment of pid %llu "
			      "lacks a field or has one of the wrong type",
			      (unsigned long long)pid);
	p->peak_time =
	    (struct timespec){peak / 1000000000LL, peak % 1000000000LL};
cleanup:
	json_object_put(o);
	return ret;
}

/* "NAME=VALUE", split at the last '=' (the value is digits only). */
static int read_counter(struct reader *r, const char *text)
{
	const char *eq = strrchr(text, '=');
	unsigned long long v;
	char *name, *end;
	int ret;

	if (!eq || eq == text || eq[1] < '0' || eq[1] > '9')
		return corrupt(r, "an allocsnoop.counter comment is not "
				  "NAME=VALUE");
	errno = 0;
	v = strtoull(eq + 1, &end, 10);
	if (errno || *end)
		return corrupt(r, "an allocsnoop.counter comment has a bad "
				  "value");
	name = strndup(text, (size_t)(eq - text));
	if (!name)
		return -ENOMEM;
	for (size_t i = 0; i < r->s->ncounters; i++) {
		if (strcmp(r->s->counters[i].name, name) == 0) {
			/* the name is untrusted: keep it out of err */
			ret = corrupt(r, "a counter is listed twice");
			free(name);
			return ret;
		}
	}
	ret = snapshot__set_counter(r->s, name, v);
	free(name);
	return ret;
}

static bool starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Checks the comments and finds the meta one (needed first). */
static int scan_comments(struct reader *r)
{
	const pb_profile *p = r->p;
	const char *text;
	size_t i;

	for (i = 0; i < p->n_comment; i++) {
		if (!str_ok(r, p->comment[i]))
			return corrupt(r,
				       "comment %zu has string index %lld "
				       "out of range",
				       i, (long long)p->comment[i]);
		text = p->string_table[p->comment[i]];
		if (starts_with(text, AS_SNAPSHOT_META)) {
			if (r->meta)
				return corrupt(r, "two allocsnoop.meta "
						  "comments");
			r->meta = text + strlen(AS_SNAPSHOT_META);
		}
		r->has_processes |= starts_with(text, AS_SNAPSHOT_PROCESS);
	}
	return 0;
}

static int read_comments(struct reader *r)
{
	const pb_profile *p = r->p;
	const char *text;
	size_t i;
	int ret = 0;

	for (i = 0; i < p->n_comment && !ret; i++) {
		text = p->string_table[p->comment[i]];
		if (starts_with(text, AS_SNAPSHOT_PROCESS))
			ret =
			    read_process(r, text + strlen(AS_SNAPSHOT_PROCESS));
		else if (starts_with(text, AS_SNAPSHOT_COUNTER))
			ret =
			    read_counter(r, text + strlen(AS_SNAPSHOT_COUNTER));
	}
	return ret;
}

/* ---- profile ---- */

static int check_header(struct reader *r)
{
	const pb_profile *p = r->p;
	size_t i, j;

	if (p->n_sample_type == 0)
		return corrupt(r, "it has no sample types");
	for (i = 0; i < 4; i++)
		r->st[i] = -1;
	for (i = 0; i < p->n_sample_type; i++) {
		const char *type;

		if (!str_ok(r, p->sample_type[i]->type) ||
		    !str_ok(r, p->sample_type[i]->unit))
			return corrupt(r,
				       "sample type %zu has a string index "
				       "out of range",
				       i);
		type = p->string_table[p->sample_type[i]->type];
		for (j = 0; j < 4; j++)
			if (r->st[j] < 0 &&
			    strcmp(type, sample_type_names[j]) == 0)
				r->st[j] = (int)i;
	}
	if (!str_ok(r, p->drop_frames) || !str_ok(r, p->keep_frames) ||
	    !str_ok(r, p->default_sample_type))
		return corrupt(r, "a profile string index is out of range");
	if (p->period_type && (!str_ok(r, p->period_type->type) ||
			       !str_ok(r, p->period_type->unit)))
		return corrupt(r, "the period type has a string index out of "
				  "range");
	if (r->st[0] < 0 && r->st[1] < 0 && r->st[2] < 0 && r->st[3] < 0)
		return pprof__error(
		    r->err, r->errlen, -EINVAL,
		    "%s is not a heap profile: it has none of the "
		    "sample types inuse_space, inuse_objects, "
		    "alloc_space, alloc_objects",
		    r->name);
	return 0;
}

static int read_mappings(struct reader *r)
{
	const pb_profile *p = r->p;
	size_t i;
	int ret;

	r->map_module = calloc(p->n_mapping ?: 1, sizeof(*r->map_module));
	if (!r->map_module)
		return -ENOMEM;
	for (i = 0; i < p->n_mapping; i++) {
		const pb_mapping *m = p->mapping[i];

		if (!str_ok(r, m->filename) || !str_ok(r, m->build_id))
			return corrupt(r,
				       "mapping %llu has a string index "
				       "out of range",
				       (unsigned long long)m->id);
		/* equal mappings (file, build-id, start, offset) merge */
		ret = snapshot__add_module(r->s, str_or_null(r, m->filename),
					   str_or_null(r, m->build_id),
					   m->memory_start, m->memory_limit,
					   m->file_offset);
		if (ret < 0)
			return ret;
		r->map_module[i] = ret;
	}
	return 0;
}

static int check_functions(struct reader *r)
{
	const pb_profile *p = r->p;
	size_t i;

	for (i = 0; i < p->n_function; i++) {
		const pb_function *f = p->function[i];

		if (!str_ok(r, f->name) || !str_ok(r, f->system_name) ||
		    !str_ok(r, f->filename))
			return corrupt(r,
				       "function %llu has a string index "
				       "out of range",
				       (unsigned long long)f->id);
	}
	return 0;
}

/* Our stand-in for an empty stack (see snapshot.h)? Found by its shape,
 * not its id: pprof renumbers ids when it rewrites a profile. */
static bool is_no_stack(const struct reader *r, const pb_location *l)
{
	const pb_profile *p = r->p;
	const pb_function *f;
	ssize_t fi;

	if (!r->meta || l->mapping_id || l->address || l->n_line != 1 ||
	    l->line[0]->line)
		return false;
	fi = find_id(r->fn_ids, p->n_function, l->line[0]->function_id);
	if (fi < 0)
		return false;
	f = p->function[fi];
	return strcmp(p->string_table[f->name], AS_SNAPSHOT_NO_STACK) == 0 &&
	       !p->string_table[f->filename][0];
}

/* The lines of pprof location @l into snapshot location @loc. */
static int read_lines(struct reader *r, const pb_location *l, uint32_t loc)
{
	const pb_profile *p = r->p;
	const pb_function *f;
	ssize_t fi;
	size_t j;
	int ret;

	for (j = 0; j < l->n_line; j++) {
		f = NULL;
		if (l->line[j]->function_id) {
			fi = find_id(r->fn_ids, p->n_function,
				     l->line[j]->function_id);
			if (fi < 0)
				return corrupt(
				    r,
				    "location %llu names function %llu, "
				    "which does not exist",
				    (unsigned long long)l->id,
				    (unsigned long long)l->line[j]
					->function_id);
			f = p->function[fi];
		}
		ret = snapshot__add_line(
		    r->s, loc, f ? str_or_null(r, f->name) : NULL,
		    f ? str_or_null(r, f->filename) : NULL, l->line[j]->line);
		if (ret)
			return ret;
	}
	return 0;
}

static int read_locations(struct reader *r)
{
	const pb_profile *p = r->p;
	size_t i;
	int ret;

	r->loc_index = calloc(p->n_location ?: 1, sizeof(*r->loc_index));
	if (!r->loc_index)
		return -ENOMEM;
	for (i = 0; i < p->n_location; i++) {
		const pb_location *l = p->location[i];
		const pb_mapping *m;
		int32_t module = -1;
		uint64_t rel = 0;
		ssize_t mi, loc;

		if (is_no_stack(r, l)) {
			r->loc_index[i] = NO_LOC;
			continue;
		}
		if (l->mapping_id) {
			mi = find_id(r->map_ids, p->n_mapping, l->mapping_id);
			if (mi < 0)
				return corrupt(
				    r,
				    "location %llu names mapping %llu, which "
				    "does not exist",
				    (unsigned long long)l->id,
				    (unsigned long long)l->mapping_id);
			m = p->mapping[mi];
			module = r->map_module[mi];
			rel = l->address - m->memory_start + m->file_offset;
		}
		/* new_location, not add_location: ids are already unique,
		 * and this keeps the order and is linear */
		loc = snapshot__new_location(r->s, l->address, module, rel);
		if (loc < 0)
			return (int)loc;
		r->loc_index[i] = (uint32_t)loc;
		ret = read_lines(r, l, (uint32_t)loc);
		if (ret)
			return ret;
	}
	return 0;
}

static int64_t value_or(const pb_sample *sm, int idx, int64_t dflt)
{
	return idx >= 0 ? sm->value[idx] : dflt;
}

/* What a sample's labels say. */
struct labels {
	uint32_t pid; /* "pid", 0 if none */
	const char *comm;
	uint32_t kind; /* malloc when none */
	int64_t temporary;
	uint64_t oldest_ns;
	const char *hists[2]; /* "lifetimes", "ages" */
};

/* One string label of ours; false when the label is not one. */
static int str_label(const struct reader *r, const char *key, const char *val,
		     struct labels *out)
{
	enum as_sample_kind k;

	if (strcmp(key, "comm") == 0 && !out->comm) {
		out->comm = val;
	} else if (strcmp(key, "kind") == 0) {
		/* ours are known kinds; another tool's label of that name is
		 * its business */
		if (!sample_kind__parse(val, &k))
			out->kind = k;
		else if (r->meta)
			return corrupt(r, "a sample has kind '%s'", val);
	} else if (strcmp(key, "lifetimes") == 0) {
		out->hists[0] = val;
	} else if (strcmp(key, "ages") == 0) {
		out->hists[1] = val;
	}
	return 0;
}

static int num_label(const struct reader *r, const char *key, int64_t num,
		     bool *have_pid, struct labels *out)
{
	if (strcmp(key, "pid") == 0 && !*have_pid) {
		if (num < 0 || num > UINT32_MAX)
			return corrupt(r, "a sample has pid %lld",
				       (long long)num);
		out->pid = (uint32_t)num;
		*have_pid = true;
	} else if (strcmp(key, "temporary") == 0) {
		out->temporary = num;
	} else if (strcmp(key, "oldest_age") == 0 && num >= 0) {
		out->oldest_ns = (uint64_t)num;
	}
	return 0;
}

static int sample_labels(const struct reader *r, const pb_sample *sm,
			 struct labels *out)
{
	const pb_profile *p = r->p;
	bool have_pid = false;
	size_t i;
	int ret = 0;

	*out = (struct labels){.kind = AS_KIND_MALLOC};
	for (i = 0; !ret && i < sm->n_label; i++) {
		const pb_label *lb = sm->label[i];
		const char *key;

		if (!str_ok(r, lb->key) || !str_ok(r, lb->str) ||
		    !str_ok(r, lb->num_unit))
			return corrupt(r, "a sample label has a string index "
					  "out of range");
		key = p->string_table[lb->key];
		ret = lb->str ? str_label(r, key, p->string_table[lb->str], out)
			      : num_label(r, key, lb->num, &have_pid, out);
	}
	return ret;
}

/* A histogram from its label text "bucket:count,..." into @h. */
static int hist_of(const struct reader *r, const char *text, struct as_hist *h)
{
	unsigned long long b, n;
	const char *p = text;
	char *end;

	while (p && *p) {
		b = strtoull(p, &end, 10);
		if (end == p || *end != ':' || b >= AS_HIST_BUCKETS)
			return corrupt(r, "a sample has histogram '%.40s'",
				       text);
		p = end + 1;
		n = strtoull(p, &end, 10);
		if (end == p || (*end && *end != ','))
			return corrupt(r, "a sample has histogram '%.40s'",
				       text);
		if (hist__add(h, (unsigned)b, n))
			return -ENOMEM;
		p = *end ? end + 1 : NULL;
	}
	return 0;
}

/* The time facts of sample @sm from its labels. */
static int sample_times(const struct reader *r, const struct labels *lb,
			struct as_sample *sm)
{
	int ret = 0;

	sm->kind = lb->kind;
	sm->temporary = lb->temporary;
	sm->oldest_ns = lb->oldest_ns;
	if (lb->hists[0])
		ret = hist_of(r, lb->hists[0], &sm->life);
	if (!ret && lb->hists[1])
		ret = hist_of(r, lb->hists[1], &sm->age);
	return ret;
}

/*
 * The snapshot locations of sample @i into @locs, and how many there are:
 * 0 for the "no stack" location, which stands alone, for nothing.
 */
static int sample_locs(const struct reader *r, size_t i, uint32_t *locs,
		       uint32_t *nlocs)
{
	const pb_sample *sm = r->p->sample[i];
	size_t j;
	ssize_t li;

	*nlocs = (uint32_t)sm->n_location_id;
	for (j = 0; j < sm->n_location_id; j++) {
		li = find_id(r->loc_ids, r->p->n_location, sm->location_id[j]);
		if (li < 0)
			return corrupt(r,
				       "sample %zu names location %llu, which "
				       "does not exist",
				       i,
				       (unsigned long long)sm->location_id[j]);
		locs[j] = r->loc_index[li];
	}
	for (j = 0; j < sm->n_location_id; j++) {
		if (locs[j] != NO_LOC)
			continue;
		if (sm->n_location_id != 1)
			return corrupt(r,
				       "sample %zu has the no-stack location "
				       "in a stack",
				       i);
		*nlocs = 0;
	}
	return 0;
}

/*
 * Sample @i with its @locs; *@last_pid is the process last added from a
 * label, for profiles without our comments (foreign or stripped), whose
 * processes are known only from the labels.
 */
static int read_sample(struct reader *r, size_t i, uint32_t *locs,
		       uint32_t *last_pid)
{
	const pb_sample *sm = r->p->sample[i];
	struct labels lb;
	int64_t size, count;
	uint32_t nlocs;
	int ret;

	if (sm->n_value != r->p->n_sample_type)
		return corrupt(r,
			       "sample %zu has %zu values for %zu sample types",
			       i, sm->n_value, r->p->n_sample_type);
	ret = sample_locs(r, i, locs, &nlocs);
	ret = ret ?: sample_labels(r, sm, &lb);
	if (ret)
		return ret;
	size = value_or(sm, r->st[ST_INUSE_SPACE], 0);
	count = value_or(sm, r->st[ST_INUSE_OBJECTS], 0);
	ret =
	    snapshot__add_sample(r->s, lb.pid, locs, nlocs, size, count,
				 value_or(sm, r->st[ST_ALLOC_SPACE], size),
				 value_or(sm, r->st[ST_ALLOC_OBJECTS], count));
	if (ret < 0)
		return ret;
	ret = sample_times(r, &lb, &r->s->samples[ret]);
	if (ret)
		return ret;
	if (!r->meta && !r->has_processes && lb.pid && lb.pid != *last_pid) {
		ret = snapshot__add_process(r->s, lb.pid, lb.comm);
		if (ret < 0)
			return ret;
		*last_pid = lb.pid;
	}
	return 0;
}

static int read_samples(struct reader *r)
{
	const pb_profile *p = r->p;
	uint32_t *locs, last_pid = 0;
	size_t i, maxlocs = 1;
	int ret = 0;

	for (i = 0; i < p->n_sample; i++)
		if (p->sample[i]->n_location_id > maxlocs)
			maxlocs = p->sample[i]->n_location_id;
	if (maxlocs > UINT32_MAX)
		return corrupt(r, "a sample has more than 2^32 locations");
	locs = calloc(maxlocs, sizeof(*locs));
	if (!locs)
		return -ENOMEM;
	for (i = 0; i < p->n_sample && !ret; i++)
		ret = read_sample(r, i, locs, &last_pid);
	free(locs);
	return ret;
}

/* CLOCK_REALTIME from nanoseconds since the epoch (floor division). */
static struct timespec from_nanos(int64_t ns)
{
	struct timespec t;

	t.tv_sec = ns / 1000000000;
	t.tv_nsec = ns % 1000000000;
	if (t.tv_nsec < 0) {
		t.tv_sec--;
		t.tv_nsec += 1000000000;
	}
	return t;
}

static void foreign_meta(struct reader *r)
{
	const pb_profile *p = r->p;
	int64_t start;

	r->s->time = from_nanos(p->time_nanos);
	if (__builtin_sub_overflow(p->time_nanos, p->duration_nanos, &start))
		start = p->time_nanos;
	r->s->start = from_nanos(start);
	if (p->period_type &&
	    strcmp(p->string_table[p->period_type->unit], "bytes") == 0)
		r->s->sample_bytes = p->period;
}

static int convert(struct reader *r, bool raw)
{
	const pb_profile *p = r->p;
	int ret;

	if (!p->n_string_table || p->string_table[0][0]) {
		if (raw)
			return pprof__error(r->err, r->errlen, -EINVAL,
					    "%s is not a gzip file or pprof "
					    "profile",
					    r->name);
		return pprof__error(
		    r->err, r->errlen, -EINVAL,
		    "%s is a gzip file, but not a pprof profile", r->name);
	}
	r->s = snapshot__new();
	if (!r->s)
		return -ENOMEM;
	ret = scan_comments(r);
	/* a newer format may mean anything below: check it first */
	if (!ret && r->meta)
		ret = read_meta(r);
	ret = ret ?: check_header(r);
	ret = ret
		  ?: index_ids(r, "mapping", p->n_mapping, mapping_id,
			       &r->map_ids);
	ret = ret
		  ?: index_ids(r, "location", p->n_location, location_id,
			       &r->loc_ids);
	ret = ret
		  ?: index_ids(r, "function", p->n_function, function_id,
			       &r->fn_ids);
	ret = ret ?: read_mappings(r);
	ret = ret ?: check_functions(r);
	ret = ret ?: read_locations(r);
	ret = ret ?: read_samples(r);
	ret = ret ?: read_comments(r);
	if (!ret && !r->meta)
		foreign_meta(r);
	return ret;
}

/* ---- input ---- */

/*
 * Makes room in the output of gunzip: doubling, but never beyond
 * AS_MAX_INPUT, which is an error once reached.
 */
static int gunzip_room(const struct reader *r, uint8_t **buf, size_t *cap)
{
	size_t ncap;
	uint8_t *nbuf;

	if (*cap >= AS_MAX_INPUT)
		return pprof__error(r->err, r->errlen, -EFBIG,
				    "%s is too large: it inflates to more "
				    "than 1 GiB",
				    r->name);
	ncap = *cap * 2 < AS_MAX_INPUT ? *cap * 2 : AS_MAX_INPUT;
	nbuf = realloc(*buf, ncap);
	if (!nbuf)
		return -ENOMEM;
	*buf = nbuf;
	*cap = ncap;
	return 0;
}

/*
 * What inflate()'s @zr means here: 1 at the end of the input, 0 to go on
 * (the next member follows the end of one), or an error.
 */
static int gunzip_status(const struct reader *r, z_stream *z, int zr)
{
	if (zr == Z_STREAM_END) {
		if (!z->avail_in)
			return 1;
		if (z->avail_in < 2 || z->next_in[0] != 0x1f ||
		    z->next_in[1] != 0x8b)
			return corrupt(r, "data after the end of the gzip "
					  "stream");
		inflateReset(z);
		return 0;
	}
	if (zr == Z_OK || zr == Z_BUF_ERROR) {
		/* all input used, room left, yet no end: cut short */
		if (!z->avail_in && z->avail_out)
			return pprof__error(r->err, r->errlen, -EINVAL,
					    "%s is truncated", r->name);
		if (zr == Z_BUF_ERROR && z->avail_out)
			return corrupt(r, "the gzip stream makes no progress");
		return 0;
	}
	if (zr == Z_MEM_ERROR)
		return -ENOMEM;
	return corrupt(r, "%s", z->msg ? z->msg : "bad gzip data");
}

/* Inflates a gzip stream (several members allowed), at most AS_MAX_INPUT. */
static int gunzip(const struct reader *r, const uint8_t *in, size_t len,
		  uint8_t **out, size_t *outlen)
{
	z_stream z = {0};
	uint8_t *buf = NULL;
	size_t cap, n = 0;
	int ret = 0;

	if (len > UINT_MAX)
		return pprof__error(r->err, r->errlen, -EFBIG,
				    "%s is too large for a snapshot", r->name);
	if (inflateInit2(&z, 15 + 16) != Z_OK)
		return -ENOMEM;
	cap = len < AS_MAX_INPUT / 8 ? len * 4 + 4096 : AS_MAX_INPUT;
	buf = malloc(cap);
	if (!buf) {
		ret = -ENOMEM;
		goto cleanup;
	}
	z.next_in = in;
	z.avail_in = (uInt)len;
	while (!ret) {
		if (n == cap) {
			ret = gunzip_room(r, &buf, &cap);
			if (ret)
				break;
		}
		z.next_out = buf + n;
		z.avail_out = (uInt)(cap - n);
		ret = gunzip_status(r, &z, inflate(&z, Z_NO_FLUSH));
		n = cap - z.avail_out;
	}
	if (ret == 1) {
		*out = buf;
		*outlen = n;
		buf = NULL;
		ret = 0;
	}
cleanup:
	inflateEnd(&z);
	free(buf);
	return ret;
}

static int read_buf(const uint8_t *data, size_t len, const char *name,
		    struct as_snapshot **out, char *err, size_t errlen)
{
	struct reader r = {.name = name, .err = err, .errlen = errlen};
	uint8_t *plain = NULL;
	pb_profile *p = NULL;
	bool raw = !(len >= 2 && data[0] == 0x1f && data[1] == 0x8b);
	int ret;

	*out = NULL;
	if (err && errlen)
		err[0] = '\0';
	if (!len)
		return pprof__error(err, errlen, -EINVAL,
				    "%s is empty; it is not a snapshot", name);
	if (!raw) {
		ret = gunzip(&r, data, len, &plain, &len);
		if (ret)
			goto cleanup;
		data = plain;
	}
	p = perftools__profiles__profile__unpack(NULL, len, data);
	if (!p) {
		if (raw)
			ret = pprof__error(
			    err, errlen, -EINVAL,
			    "%s is not a gzip file or pprof profile", name);
		else
			ret = pprof__error(err, errlen, -EINVAL,
					   "%s is a gzip file, but not a pprof "
					   "profile",
					   name);
		goto cleanup;
	}
	r.p = p;
	ret = convert(&r, raw);
	if (!ret) {
		*out = r.s;
		r.s = NULL;
	}
cleanup:
	/* allocation failures come back without a message */
	if (ret && err && errlen && !err[0])
		pprof__error(err, errlen, ret, "cannot read %s: %s", name,
			     strerror(-ret));
	snapshot__free(r.s);
	free(r.map_ids);
	free(r.loc_ids);
	free(r.fn_ids);
	free(r.map_module);
	free(r.loc_index);
	if (p)
		perftools__profiles__profile__free_unpacked(p, NULL);
	free(plain);
	return ret;
}

int snapshot__read_mem(const void *data, size_t len, struct as_snapshot **out,
		       char *err, size_t errlen)
{
	return read_buf(data, len, "snapshot data", out, err, errlen);
}

/* Reads @fd to its end, at most AS_MAX_INPUT bytes. */
static int read_all(int fd, const char *path, uint8_t **out, size_t *outlen,
		    char *err, size_t errlen)
{
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0;
	ssize_t n;
	int ret = 0;

	/* read to the end rather than trust st_size: pipes, /proc, growth */
	for (;;) {
		if (buf__reserve((void **)&buf, &cap, len + 1, 1, 1 << 16)) {
			ret =
			    pprof__error(err, errlen, -ENOMEM,
					 "cannot read %s: out of memory", path);
			break;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = pprof__error(err, errlen, -errno,
					   "cannot read %s: %s", path,
					   strerror(errno));
			break;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > AS_MAX_INPUT) {
			ret = pprof__error(err, errlen, -EFBIG,
					   "%s is too large for a snapshot "
					   "(over 1 GiB)",
					   path);
			break;
		}
	}
	if (ret) {
		free(buf);
		return ret;
	}
	*out = buf;
	*outlen = len;
	return 0;
}

int snapshot__read(const char *path, struct as_snapshot **out, char *err,
		   size_t errlen)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int fd, ret;

	*out = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return pprof__error(err, errlen, -errno, "cannot open %s: %s",
				    path, strerror(errno));
	ret = read_all(fd, path, &buf, &len, err, errlen);
	close(fd);
	if (ret)
		return ret;
	ret = read_buf(buf, len, path, out, err, errlen);
	free(buf);
	return ret;
}
