// SPDX-License-Identifier: MIT
/*
 * fuzz_snapshot.c - libFuzzer target for the snapshot reader.
 *
 * The input is a snapshot file (gzipped or plain pprof). A read that
 * succeeds must hand back a snapshot whose every index is in range and
 * whose strings are terminated, because group/diff and the reports index
 * it without checking again; the walk below touches all of it so that
 * ASan sees a bad index or string right here.
 *
 * Byte mutations of a protobuf mostly break its framing, and gzip's CRC
 * rejects nearly every mutated gzip file, so a custom mutator also
 * unpacks the profile (gunzipping it first), changes one field, string
 * or repeated element, and packs it again (gzipped again if it was).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "profile.pb-c.h"
#include "profile/model.h"
#include "profile/pprof.h"

typedef Perftools__Profiles__Profile pb_profile;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size,
			       unsigned int seed);

static void fail(const char *what, int ret)
{
	fprintf(stderr, "fuzz_snapshot: snapshot__read_mem %s (returned %d)\n",
		what, ret);
	abort();
}

/* The read succeeded but handed back something broken. */
static void bad(const char *what, size_t i)
{
	fprintf(stderr,
		"fuzz_snapshot: the read succeeded, but %s (entry %zu)\n", what,
		i);
	abort();
}

static size_t str_len(const char *s)
{
	return s ? strlen(s) : 0;
}

static size_t lines_len(const struct as_line *lines, uint32_t n)
{
	size_t len = 0;

	for (uint32_t i = 0; i < n; i++)
		len += str_len(lines[i].function) + str_len(lines[i].file);
	return len;
}

static void check(const struct as_snapshot *s)
{
	volatile size_t sink = 0;

	sink += str_len(s->tool_version) + str_len(s->hostname) +
		str_len(s->command);
	for (size_t i = 0; i < s->nmodules; i++)
		sink += str_len(s->modules[i].path) +
			str_len(s->modules[i].build_id);
	for (size_t i = 0; i < s->nlocations; i++) {
		const struct as_location *l = &s->locations[i];

		if (l->module < -1 ||
		    (l->module >= 0 && (size_t)l->module >= s->nmodules))
			bad("a location names a module out of range", i);
		if (l->nlines && !l->lines)
			bad("a location has lines but no array", i);
		sink += lines_len(l->lines, l->nlines);
	}
	for (size_t i = 0; i < s->nsamples; i++) {
		const struct as_sample *sm = &s->samples[i];
		int site;

		if (sm->nlocs && !sm->locs)
			bad("a sample has frames but no array", i);
		for (uint32_t j = 0; j < sm->nlocs; j++)
			if (sm->locs[j] >= s->nlocations)
				bad("a sample names a location out of range",
				    i);
		site = sample__site(s, sm);
		if (sm->nlocs ? site < 0 || (uint32_t)site >= sm->nlocs
			      : site != -1)
			bad("sample__site is out of range", i);
		sink += (size_t)(snapshot__find_process(s, sm->pid) != NULL);
	}
	for (size_t i = 0; i < s->nprocesses; i++)
		sink += str_len(s->processes[i].comm);
	for (size_t i = 0; i < s->ncounters; i++) {
		if (!s->counters[i].name)
			bad("a counter has no name", i);
		sink += snapshot__counter(s, s->counters[i].name);
	}
	(void)sink;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct as_snapshot *s = NULL;
	char err[512];
	int ret;

	ret = snapshot__read_mem(data, size, &s, err, sizeof(err));
	if (ret == 0) {
		if (!s)
			fail("returned no snapshot", ret);
		check(s);
		snapshot__free(s);
	} else {
		if (ret > 0)
			fail("returned a positive value", ret);
		if (s)
			fail("returned a snapshot with an error", ret);
		/* Every failure must say why, in one line. */
		if (!err[0] || strchr(err, '\n')) {
			fprintf(stderr, "message: [%s]\n", err);
			fail("failed without a one-line message", ret);
		}
	}
	return 0;
}

/* --- structure-aware mutation ------------------------------------------ */

/* Profiles that inflate to more than this are mutated as bytes only. */
#define MAX_PLAIN  ((size_t)1 << 20)
#define MAX_FIELDS 4096
#define MAX_UNDO   4

struct rng {
	uint64_t x;
};

static uint64_t next(struct rng *r)
{
	r->x ^= r->x << 13; /* xorshift64 */
	r->x ^= r->x >> 7;
	r->x ^= r->x << 17;
	return r->x;
}

static size_t below(struct rng *r, size_t n)
{
	return n ? (size_t)(next(r) % n) : 0;
}

/* Every change is undone before the unpacked profile is freed, so that
 * protobuf-c frees exactly what it allocated. */
struct undo {
	enum { U_U64, U_SIZE, U_PTR } kind;
	void *at;
	uint64_t old_u64;
	size_t old_size;
	void *old_ptr, *mine;
};

struct mut {
	pb_profile *p;
	struct rng rng;
	uint64_t *fields[MAX_FIELDS];
	size_t nfields;
	struct undo undo[MAX_UNDO];
	size_t nundo;
};

static void add_field(struct mut *m, void *field)
{
	if (m->nfields < MAX_FIELDS)
		m->fields[m->nfields++] = field;
}

/* The integer fields (ids, indices, values) worth changing. */
static void collect_fields(struct mut *m)
{
	pb_profile *p = m->p;

	add_field(m, &p->time_nanos);
	add_field(m, &p->duration_nanos);
	add_field(m, &p->period);
	add_field(m, &p->default_sample_type);
	if (p->period_type) {
		add_field(m, &p->period_type->type);
		add_field(m, &p->period_type->unit);
	}
	for (size_t i = 0; i < p->n_comment; i++)
		add_field(m, &p->comment[i]);
	for (size_t i = 0; i < p->n_sample_type; i++) {
		add_field(m, &p->sample_type[i]->type);
		add_field(m, &p->sample_type[i]->unit);
	}
	for (size_t i = 0; i < p->n_mapping; i++) {
		Perftools__Profiles__Mapping *mp = p->mapping[i];

		add_field(m, &mp->id);
		add_field(m, &mp->memory_start);
		add_field(m, &mp->memory_limit);
		add_field(m, &mp->file_offset);
		add_field(m, &mp->filename);
		add_field(m, &mp->build_id);
	}
	for (size_t i = 0; i < p->n_function; i++) {
		Perftools__Profiles__Function *f = p->function[i];

		add_field(m, &f->id);
		add_field(m, &f->name);
		add_field(m, &f->system_name);
		add_field(m, &f->filename);
		add_field(m, &f->start_line);
	}
	for (size_t i = 0; i < p->n_location; i++) {
		Perftools__Profiles__Location *l = p->location[i];

		add_field(m, &l->id);
		add_field(m, &l->mapping_id);
		add_field(m, &l->address);
		for (size_t j = 0; j < l->n_line; j++) {
			add_field(m, &l->line[j]->function_id);
			add_field(m, &l->line[j]->line);
		}
	}
	for (size_t i = 0; i < p->n_sample; i++) {
		Perftools__Profiles__Sample *sm = p->sample[i];

		for (size_t j = 0; j < sm->n_location_id; j++)
			add_field(m, &sm->location_id[j]);
		for (size_t j = 0; j < sm->n_value; j++)
			add_field(m, &sm->value[j]);
		for (size_t j = 0; j < sm->n_label; j++) {
			add_field(m, &sm->label[j]->key);
			add_field(m, &sm->label[j]->str);
			add_field(m, &sm->label[j]->num);
			add_field(m, &sm->label[j]->num_unit);
		}
	}
}

static void set_u64(struct mut *m, uint64_t *at, uint64_t v)
{
	m->undo[m->nundo++] = (struct undo){U_U64, at, .old_u64 = *at};
	*at = v;
}

static void mutate_field(struct mut *m)
{
	static const uint64_t special[] = {
	    0,
	    1,
	    2,
	    0x7fffffff,
	    0x80000000,
	    0xffffffff,
	    1ULL << 32,
	    INT64_MAX,
	    (uint64_t)INT64_MIN,
	    UINT64_MAX,
	    UINT64_MAX - 1,
	};
	uint64_t *f, v;

	if (!m->nfields)
		return;
	f = m->fields[below(&m->rng, m->nfields)];
	switch (below(&m->rng, 5)) {
	case 0: /* an index near the string table or an id near the others */
		v = below(&m->rng, m->p->n_string_table + 3);
		break;
	case 1:
		v = *f + (below(&m->rng, 2) ? 1 : -1);
		break;
	case 2: /* the value of another field: ids that collide */
		v = *m->fields[below(&m->rng, m->nfields)];
		break;
	case 3:
		v = special[below(&m->rng,
				  sizeof(special) / sizeof(special[0]))];
		break;
	default:
		v = next(&m->rng);
		break;
	}
	set_u64(m, f, v);
}

static void mutate_string(struct mut *m)
{
	pb_profile *p = m->p;
	size_t i, len, cap;
	char **at, *buf;

	if (!p->n_string_table)
		return;
	i = below(&m->rng, p->n_string_table);
	at = &p->string_table[i];
	len = strlen(*at);
	cap = 2 * len + 64;
	buf = malloc(cap);
	if (!buf)
		return;
	memcpy(buf, *at, len);
	len = LLVMFuzzerMutate((uint8_t *)buf, len, cap - 1);
	buf[len] = '\0';
	m->undo[m->nundo++] =
	    (struct undo){U_PTR, at, .old_ptr = *at, .mine = buf};
	*at = buf;
}

/* One repeated field of the profile or of one of its messages. */
static void pick_repeated(struct mut *m, size_t **n, void ***arr, size_t *es)
{
	pb_profile *p = m->p;

	*es = sizeof(void *);
	switch (below(&m->rng, 8)) {
	case 0:
		*n = &p->n_sample, *arr = (void **)&p->sample;
		return;
	case 1:
		*n = &p->n_location, *arr = (void **)&p->location;
		return;
	case 2:
		*n = &p->n_mapping, *arr = (void **)&p->mapping;
		return;
	case 3:
		*n = &p->n_function, *arr = (void **)&p->function;
		return;
	case 4:
		*n = &p->n_string_table, *arr = (void **)&p->string_table;
		return;
	case 5:
		*n = &p->n_sample_type, *arr = (void **)&p->sample_type;
		return;
	case 6:
		*es = sizeof(int64_t);
		*n = &p->n_comment, *arr = (void **)&p->comment;
		return;
	default:
		if (p->n_sample) {
			Perftools__Profiles__Sample *sm =
			    p->sample[below(&m->rng, p->n_sample)];

			*es = sizeof(uint64_t);
			if (below(&m->rng, 2))
				*n = &sm->n_location_id,
				*arr = (void **)&sm->location_id;
			else
				*n = &sm->n_value, *arr = (void **)&sm->value;
			return;
		}
		*n = &p->n_sample, *arr = (void **)&p->sample;
		return;
	}
}

/* Drops the last element or appends a copy of one (shared, never freed
 * twice: only the array is ours). */
static void mutate_repeated(struct mut *m)
{
	size_t *n, es;
	void **arr;
	char *copy;

	pick_repeated(m, &n, &arr, &es);
	if (!*n)
		return;
	if (below(&m->rng, 2)) {
		m->undo[m->nundo++] = (struct undo){U_SIZE, n, .old_size = *n};
		(*n)--;
		return;
	}
	copy = malloc((*n + 1) * es);
	if (!copy)
		return;
	memcpy(copy, *arr, *n * es);
	memcpy(copy + *n * es, (char *)*arr + below(&m->rng, *n) * es, es);
	/* the size first: undo runs backwards, restoring the array last */
	m->undo[m->nundo++] = (struct undo){U_SIZE, n, .old_size = *n};
	m->undo[m->nundo++] =
	    (struct undo){U_PTR, arr, .old_ptr = *arr, .mine = copy};
	*arr = copy;
	(*n)++;
}

static void undo_all(struct mut *m)
{
	while (m->nundo) {
		struct undo *u = &m->undo[--m->nundo];

		switch (u->kind) {
		case U_U64:
			*(uint64_t *)u->at = u->old_u64;
			break;
		case U_SIZE:
			*(size_t *)u->at = u->old_size;
			break;
		case U_PTR:
			*(void **)u->at = u->old_ptr;
			free(u->mine);
			break;
		}
	}
}

/* Inflates a gzip file (all members); NULL when it is not one. */
static uint8_t *gunzip_all(const uint8_t *data, size_t size, size_t *outlen)
{
	z_stream z = {0};
	size_t cap = 4 * size + 4096, n = 0;
	uint8_t *buf = NULL, *nbuf;
	int zr = Z_OK;

	if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK)
		return NULL;
	z.next_in = (Bytef *)data;
	z.avail_in = (uInt)size;
	while (z.avail_in) {
		if (!buf || n == cap) {
			if (buf)
				cap *= 2;
			nbuf = cap <= MAX_PLAIN ? realloc(buf, cap) : NULL;
			if (!nbuf) {
				zr = Z_MEM_ERROR;
				break;
			}
			buf = nbuf;
		}
		z.next_out = buf + n;
		z.avail_out = (uInt)(cap - n);
		zr = inflate(&z, Z_NO_FLUSH);
		n = cap - z.avail_out;
		if (zr == Z_STREAM_END)
			inflateReset(&z);
		else if (zr != Z_OK && zr != Z_BUF_ERROR)
			break;
		else if (zr == Z_BUF_ERROR && z.avail_out)
			break; /* truncated */
	}
	inflateEnd(&z);
	if (zr != Z_STREAM_END) {
		free(buf);
		return NULL;
	}
	*outlen = n;
	return buf;
}

static size_t gzip_into(const uint8_t *in, size_t len, uint8_t *out, size_t max)
{
	z_stream z = {0};
	size_t n = 0;

	if (deflateInit2(&z, 1, Z_DEFLATED, 16 + MAX_WBITS, 8,
			 Z_DEFAULT_STRATEGY) != Z_OK)
		return 0;
	z.next_in = (Bytef *)in;
	z.avail_in = (uInt)len;
	z.next_out = out;
	z.avail_out = (uInt)max;
	if (deflate(&z, Z_FINISH) == Z_STREAM_END)
		n = max - z.avail_out;
	deflateEnd(&z);
	return n;
}

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size,
			       unsigned int seed)
{
	struct mut *m = NULL;
	uint8_t *plain = NULL, *packed = NULL;
	bool gz = size >= 2 && data[0] == 0x1f && data[1] == 0x8b;
	size_t plen = size, out = 0, n;
	pb_profile *p = NULL;

	/* A quarter of the time, and for what does not unpack: bytes. */
	if (seed % 4 == 0)
		goto bytes;
	if (gz) {
		plain = gunzip_all(data, size, &plen);
		if (!plain)
			goto bytes;
	}
	p = perftools__profiles__profile__unpack(NULL, plen,
						 plain ? plain : data);
	m = calloc(1, sizeof(*m));
	if (!p || !m)
		goto bytes;
	m->p = p;
	m->rng.x = seed | 1ULL << 40;
	collect_fields(m);
	for (size_t k = 1 + below(&m->rng, 2); k; k--) {
		switch (below(&m->rng, 4)) {
		case 0:
			mutate_string(m);
			break;
		case 1:
			mutate_repeated(m);
			break;
		default:
			mutate_field(m);
			break;
		}
	}
	n = perftools__profiles__profile__get_packed_size(p);
	packed = malloc(n ? n : 1);
	if (!packed)
		goto bytes;
	perftools__profiles__profile__pack(p, packed);
	if (gz) {
		/* into a buffer of its own: a failure must leave data as is */
		uint8_t *z = malloc(max_size);

		out = z ? gzip_into(packed, n, z, max_size) : 0;
		if (out)
			memcpy(data, z, out);
		free(z);
	} else if (n <= max_size) {
		memcpy(data, packed, n);
		out = n;
	}
bytes:
	if (m)
		undo_all(m);
	if (p)
		perftools__profiles__profile__free_unpacked(p, NULL);
	free(m);
	free(plain);
	free(packed);
	return out ? out : LLVMFuzzerMutate(data, size, max_size);
}
