// SPDX-License-Identifier: MIT
/* model.c - the snapshot container: builders, lookups, allocation site. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "profile/model.h"
#include "trace/allocators.h"
#include "util/buf.h"
#include "util/u64map.h"

static const char *const kind_names[] = {
    [AS_KIND_MALLOC] = "malloc",
    [AS_KIND_MMAP] = "mmap",
    [AS_KIND_PYMALLOC] = "pymalloc",
};

const char *sample_kind__name(enum as_sample_kind kind)
{
	return (size_t)kind < sizeof(kind_names) / sizeof(kind_names[0])
		   ? kind_names[kind]
		   : NULL;
}

int sample_kind__parse(const char *name, enum as_sample_kind *out)
{
	size_t i;

	for (i = 0; i < sizeof(kind_names) / sizeof(kind_names[0]); i++) {
		if (strcmp(name, kind_names[i]) == 0) {
			*out = (enum as_sample_kind)i;
			return 0;
		}
	}
	return -EINVAL;
}

struct as_snapshot *snapshot__new(void)
{
	return calloc(1, sizeof(struct as_snapshot));
}

void snapshot__free(struct as_snapshot *s)
{
	size_t i, j;

	if (!s)
		return;
	for (i = 0; i < s->nprocesses; i++) {
		free(s->processes[i].comm);
		free(s->processes[i].timeline);
	}
	for (i = 0; i < s->nsamples; i++) {
		free(s->samples[i].locs);
		hist__free(&s->samples[i].life);
		hist__free(&s->samples[i].age);
	}
	for (i = 0; i < s->nlocations; i++) {
		for (j = 0; j < s->locations[i].nlines; j++) {
			free(s->locations[i].lines[j].function);
			free(s->locations[i].lines[j].file);
		}
		free(s->locations[i].lines);
	}
	for (i = 0; i < s->nmodules; i++) {
		free(s->modules[i].path);
		free(s->modules[i].build_id);
	}
	for (i = 0; i < s->ncounters; i++)
		free(s->counters[i].name);
	u64map__free(s->module_index);
	free(s->processes);
	free(s->samples);
	free(s->locations);
	free(s->modules);
	free(s->counters);
	free(s->tool_version);
	free(s->hostname);
	free(s->command);
	free(s);
}

void snapshot__keep_pid(struct as_snapshot *s, uint32_t pid)
{
	size_t i, n = 0;

	for (i = 0; i < s->nsamples; i++) {
		if (s->samples[i].pid == pid) {
			s->samples[n++] = s->samples[i];
			continue;
		}
		free(s->samples[i].locs);
		hist__free(&s->samples[i].life);
		hist__free(&s->samples[i].age);
	}
	s->nsamples = n;
	for (i = n = 0; i < s->nprocesses; i++) {
		if (s->processes[i].pid == pid) {
			s->processes[n++] = s->processes[i];
			continue;
		}
		free(s->processes[i].comm);
		free(s->processes[i].timeline);
	}
	s->nprocesses = n;
}

/* Room for one more element of the array @field of @s. */
#define GROW(s, field)                                                         \
	BUF_RESERVE((s)->field, (s)->cap_##field, (s)->n##field + 1)

static int dup_opt(const char *in, char **out)
{
	*out = NULL;
	if (!in)
		return 0;
	*out = strdup(in);
	return *out ? 0 : -ENOMEM;
}

static bool str_eq(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return strcmp(a, b) == 0;
}

static uint64_t module_hash(const char *path, const char *build_id,
			    uint64_t start, uint64_t offset)
{
	uint64_t h = u64map__hash_str(U64MAP_HASH_INIT, path);

	h = u64map__hash_str(h, build_id);
	return u64map__hash_u64(u64map__hash_u64(h, start), offset);
}

/* What a module is found by: path, build-id, start and offset. */
struct module_key {
	const struct as_snapshot *s;
	const char *path, *build_id;
	uint64_t start, offset;
};

static bool module_is(uint64_t idx, const void *arg)
{
	const struct module_key *k = arg;
	const struct as_module *m = &k->s->modules[idx];

	return str_eq(m->path, k->path) && str_eq(m->build_id, k->build_id) &&
	       m->start == k->start && m->offset == k->offset;
}

int snapshot__add_module(struct as_snapshot *s, const char *path,
			 const char *build_id, uint64_t start, uint64_t limit,
			 uint64_t offset)
{
	struct module_key k = {s, path, build_id, start, offset};
	uint64_t h = module_hash(path, build_id, start, offset), idx;
	struct as_module *m;

	/* A file may hold thousands of modules: an index spares comparing
	 * each new one with all before it. */
	if (!s->module_index && u64map__new(&s->module_index))
		return -ENOMEM;
	if (u64map__find(s->module_index, h, module_is, &k, &idx))
		return (int)idx;
	if (GROW(s, modules))
		return -ENOMEM;
	m = &s->modules[s->nmodules];
	memset(m, 0, sizeof(*m));
	if (dup_opt(path, &m->path) || dup_opt(build_id, &m->build_id) ||
	    u64map__add(s->module_index, h, s->nmodules)) {
		free(m->path);
		free(m->build_id);
		return -ENOMEM;
	}
	m->start = start;
	m->limit = limit;
	m->offset = offset;
	return (int)s->nmodules++;
}

int snapshot__add_location(struct as_snapshot *s, uint64_t address,
			   int32_t module, uint64_t rel_offset)
{
	size_t i;

	/* Linear search is fine for files; the collector dedups by itself. */
	for (i = s->nlocations; i-- > 0;)
		if (s->locations[i].address == address &&
		    s->locations[i].module == module)
			return (int)i;
	return snapshot__new_location(s, address, module, rel_offset);
}

int snapshot__new_location(struct as_snapshot *s, uint64_t address,
			   int32_t module, uint64_t rel_offset)
{
	struct as_location *l;

	if (GROW(s, locations))
		return -ENOMEM;
	l = &s->locations[s->nlocations];
	memset(l, 0, sizeof(*l));
	l->address = address;
	l->module = module;
	l->rel_offset = rel_offset;
	return (int)s->nlocations++;
}

int snapshot__add_line(struct as_snapshot *s, uint32_t loc,
		       const char *function, const char *file, int64_t line)
{
	struct as_location *l;
	struct as_line *ln;
	size_t cap;

	if (loc >= s->nlocations)
		return -EINVAL;
	l = &s->locations[loc];
	/* most locations have one line: double from one */
	cap = l->cap_lines;
	if (buf__reserve((void **)&l->lines, &cap, l->nlines + 1,
			 sizeof(*l->lines), 1))
		return -ENOMEM;
	l->cap_lines = (uint32_t)cap;
	ln = &l->lines[l->nlines];
	memset(ln, 0, sizeof(*ln));
	if (dup_opt(function, &ln->function) || dup_opt(file, &ln->file)) {
		free(ln->function);
		free(ln->file);
		return -ENOMEM;
	}
	ln->line = line;
	l->nlines++;
	return 0;
}

int snapshot__add_sample(struct as_snapshot *s, uint32_t pid,
			 const uint32_t *locs, uint32_t nlocs, int64_t size,
			 int64_t count, int64_t alloc_size, int64_t alloc_count)
{
	struct as_sample *sm;

	if (GROW(s, samples))
		return -ENOMEM;
	sm = &s->samples[s->nsamples];
	memset(sm, 0, sizeof(*sm));
	if (nlocs) {
		sm->locs = malloc(nlocs * sizeof(*locs));
		if (!sm->locs)
			return -ENOMEM;
		memcpy(sm->locs, locs, nlocs * sizeof(*locs));
	}
	sm->pid = pid;
	sm->nlocs = nlocs;
	sm->size = size;
	sm->count = count;
	sm->alloc_size = alloc_size;
	sm->alloc_count = alloc_count;
	return (int)s->nsamples++;
}

int snapshot__add_process(struct as_snapshot *s, uint32_t pid, const char *comm)
{
	struct as_process *p;
	size_t i;

	for (i = 0; i < s->nprocesses; i++)
		if (s->processes[i].pid == pid)
			return (int)i;
	if (GROW(s, processes))
		return -ENOMEM;
	p = &s->processes[s->nprocesses];
	memset(p, 0, sizeof(*p));
	if (dup_opt(comm ? comm : "?", &p->comm))
		return -ENOMEM;
	p->pid = pid;
	return (int)s->nprocesses++;
}

int snapshot__set_counter(struct as_snapshot *s, const char *name,
			  uint64_t value)
{
	size_t i;

	for (i = 0; i < s->ncounters; i++) {
		if (strcmp(s->counters[i].name, name) == 0) {
			s->counters[i].value = value;
			return 0;
		}
	}
	if (GROW(s, counters))
		return -ENOMEM;
	s->counters[s->ncounters].name = strdup(name);
	if (!s->counters[s->ncounters].name)
		return -ENOMEM;
	s->counters[s->ncounters].value = value;
	s->ncounters++;
	return 0;
}

int snapshot__set_meta(struct as_snapshot *s, const char *tool_version,
		       const char *hostname, const char *command)
{
	char *v, *h, *c;

	if (dup_opt(tool_version, &v))
		return -ENOMEM;
	if (dup_opt(hostname, &h)) {
		free(v);
		return -ENOMEM;
	}
	if (dup_opt(command, &c)) {
		free(v);
		free(h);
		return -ENOMEM;
	}
	free(s->tool_version);
	free(s->hostname);
	free(s->command);
	s->tool_version = v;
	s->hostname = h;
	s->command = c;
	s->has_meta = true;
	return 0;
}

int process__ptr_cmp(const void *a, const void *b)
{
	const struct as_process *x = *(const struct as_process *const *)a;
	const struct as_process *y = *(const struct as_process *const *)b;

	return (x->pid > y->pid) - (x->pid < y->pid);
}

const struct as_process *snapshot__find_process(const struct as_snapshot *s,
						uint32_t pid)
{
	size_t i;

	for (i = 0; i < s->nprocesses; i++)
		if (s->processes[i].pid == pid)
			return &s->processes[i];
	return NULL;
}

uint64_t snapshot__counter(const struct as_snapshot *s, const char *name)
{
	size_t i;

	for (i = 0; i < s->ncounters; i++)
		if (strcmp(s->counters[i].name, name) == 0)
			return s->counters[i].value;
	return 0;
}

uint32_t location__site_line(const struct as_location *l)
{
	uint32_t i;

	for (i = 0; i < l->nlines; i++)
		if (!allocators__is_runtime_source(l->lines[i].file))
			return i;
	return 0;
}

/* Every line of @l comes from the runtime's headers. */
static bool location_in_runtime_headers(const struct as_location *l)
{
	return l->nlines &&
	       allocators__is_runtime_source(l->lines[l->nlines - 1].file) &&
	       allocators__is_runtime_source(
		   l->lines[location__site_line(l)].file);
}

/* The module path of location @l, NULL when it has none. */
static const char *location_module(const struct as_snapshot *s,
				   const struct as_location *l)
{
	if (l->module >= 0 && (size_t)l->module < s->nmodules)
		return s->modules[l->module].path;
	return NULL;
}

bool location__is_python(const struct as_snapshot *s,
			 const struct as_location *l)
{
	const char *path = location_module(s, l);

	return path && strcmp(path, AS_PYTHON_MODULE) == 0;
}

int sample__site(const struct as_snapshot *s, const struct as_sample *sample)
{
	uint32_t i;

	if (!sample->nlocs)
		return -1;
	/* A Python program's line is where its interpreter allocated. */
	for (i = 0; i < sample->nlocs; i++)
		if (location__is_python(s, &s->locations[sample->locs[i]]))
			return (int)i;
	for (i = 0; i < sample->nlocs; i++) {
		const struct as_location *l = &s->locations[sample->locs[i]];
		const char *path = NULL;

		if (l->module >= 0 && (size_t)l->module < s->nmodules)
			path = s->modules[l->module].path;
		if (!allocators__is_runtime_module(path) &&
		    !location_in_runtime_headers(l))
			return (int)i;
	}
	return 0;
}
