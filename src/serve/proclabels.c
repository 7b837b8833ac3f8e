// SPDX-License-Identifier: MIT
/* proclabels.c - a process's executable, cgroup and container id. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "serve/proclabels.h"
#include "util/buf.h"
#include "util/u64map.h"

struct as_proclabels {
	struct as_u64map *by_pid; /* pid -> struct as_proc_labels * */
};

int proclabels__new(struct as_proclabels **out)
{
	struct as_proclabels *pl = calloc(1, sizeof(*pl));
	int err;

	if (!pl)
		return -ENOMEM;
	err = u64map__new(&pl->by_pid);
	if (err) {
		free(pl);
		return err;
	}
	*out = pl;
	return 0;
}

void proc_labels__clear(struct as_proc_labels *l)
{
	free(l->exe);
	free(l->cgroup);
	free(l->container);
	l->exe = l->cgroup = l->container = NULL;
}

static void free_entry(uint64_t key, uint64_t value, void *ctx)
{
	struct as_proc_labels *l = (struct as_proc_labels *)(uintptr_t)value;

	(void)key, (void)ctx;
	proc_labels__clear(l);
	free(l);
}

void proclabels__free(struct as_proclabels *pl)
{
	if (!pl)
		return;
	u64map__for_each(pl->by_pid, free_entry, NULL);
	u64map__free(pl->by_pid);
	free(pl);
}

/* The path of one "ID:CONTROLLERS:PATH" line, when it is not "/". */
static char *line_path(const char *line, size_t len)
{
	const char *c1 = memchr(line, ':', len), *c2;

	if (!c1)
		return NULL;
	c2 = memchr(c1 + 1, ':', len - (size_t)(c1 + 1 - line));
	if (!c2 || c2 + 1 >= line + len || c2[1] != '/' ||
	    (len == (size_t)(c2 + 2 - line)))
		return NULL;
	return strndup(c2 + 1, len - (size_t)(c2 + 1 - line));
}

char *proclabels__cgroup(const char *text)
{
	char *v2 = NULL, *memory = NULL, *first = NULL, *p;
	const char *line = text, *end;
	size_t len;

	while (line && *line) {
		end = strchr(line, '\n');
		len = end ? (size_t)(end - line) : strlen(line);
		p = line_path(line, len);
		if (p && !v2 && !strncmp(line, "0::", 3))
			v2 = p;
		else if (p && !memory && strstr(line, ":memory:") &&
			 strstr(line, ":memory:") < line + len)
			memory = p;
		else if (p && !first)
			first = p;
		else
			free(p);
		line = end ? end + 1 : NULL;
	}
	p = v2 ?: memory ?: first;
	if (p != v2)
		free(v2);
	if (p != memory)
		free(memory);
	if (p != first)
		free(first);
	return p;
}

char *proclabels__container(const char *path)
{
	const char *p, *found = NULL;
	size_t run = 0;

	/* the last run of exactly 64 hex digits that is a whole word */
	for (p = path; *p; p++) {
		if (isxdigit((unsigned char)*p) &&
		    !isupper((unsigned char)*p)) {
			run++;
			continue;
		}
		if (run == 64)
			found = p - 64;
		run = 0;
	}
	if (run == 64)
		found = p - 64;
	return found ? strndup(found, 64) : NULL;
}

static char *read_text(const char *path)
{
	struct as_strbuf sb = {0};
	char chunk[1024];
	size_t n;
	FILE *f = fopen(path, "re");

	if (!f)
		return NULL;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		if (strbuf__addn(&sb, chunk, n) || sb.len > 1 << 16)
			break;
	fclose(f);
	return sb.s;
}

static void read_labels(struct as_proc_labels *l)
{
	char path[64], exe[PATH_MAX], *text;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%u/exe", l->pid);
	n = readlink(path, exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = 0;
		l->exe = strdup(exe);
	}
	snprintf(path, sizeof(path), "/proc/%u/cgroup", l->pid);
	text = read_text(path);
	if (text)
		l->cgroup = proclabels__cgroup(text);
	free(text);
	if (l->cgroup)
		l->container = proclabels__container(l->cgroup);
}

const struct as_proc_labels *proclabels__get(struct as_proclabels *pl,
					     uint32_t pid)
{
	struct as_proc_labels *l;
	uint64_t v;

	if (u64map__get(pl->by_pid, pid, &v))
		return (const struct as_proc_labels *)(uintptr_t)v;
	l = calloc(1, sizeof(*l));
	if (!l)
		return NULL;
	l->pid = pid;
	read_labels(l);
	if (u64map__set(pl->by_pid, pid, (uint64_t)(uintptr_t)l)) {
		free_entry(pid, (uint64_t)(uintptr_t)l, NULL);
		return NULL;
	}
	return l;
}

void proclabels__refresh(struct as_proclabels *pl, uint32_t pid)
{
	uint64_t v;

	if (u64map__get(pl->by_pid, pid, &v)) {
		free_entry(pid, v, NULL);
		u64map__del(pl->by_pid, pid);
	}
	proclabels__get(pl, pid);
}

struct keep_ctx {
	const uint32_t *pids;
	size_t n;
	uint32_t *gone;
	size_t ngone;
};

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

static void note_gone(uint64_t key, uint64_t value, void *arg)
{
	struct keep_ctx *k = arg;
	uint32_t pid = (uint32_t)key;

	char path[32];

	(void)value;
	snprintf(path, sizeof(path), "/proc/%u", pid);
	/* a process seen starting may have allocated nothing yet */
	if (!bsearch(&pid, k->pids, k->n, sizeof(pid), cmp_u32) &&
	    access(path, F_OK))
		k->gone[k->ngone++] = pid;
}

void proclabels__keep(struct as_proclabels *pl, const uint32_t *pids, size_t n)
{
	struct keep_ctx k = {.n = n};
	uint32_t *sorted;
	uint64_t v;
	size_t i;

	sorted = malloc((n ?: 1) * sizeof(*sorted));
	k.gone = malloc((u64map__count(pl->by_pid) ?: 1) * sizeof(*k.gone));
	if (sorted && k.gone) {
		if (n)
			memcpy(sorted, pids, n * sizeof(*sorted));
		qsort(sorted, n, sizeof(*sorted), cmp_u32);
		k.pids = sorted;
		u64map__for_each(pl->by_pid, note_gone, &k);
		for (i = 0; i < k.ngone; i++)
			if (u64map__get(pl->by_pid, k.gone[i], &v)) {
				free_entry(k.gone[i], v, NULL);
				u64map__del(pl->by_pid, k.gone[i]);
			}
	}
	free(sorted);
	free(k.gone);
}

static int dup_or_null(const char *s, char **out)
{
	*out = s ? strdup(s) : NULL;
	return s && !*out ? -ENOMEM : 0;
}

int proc_labels__copy(const struct as_proc_labels *src,
		      struct as_proc_labels *dst)
{
	int err;

	memset(dst, 0, sizeof(*dst));
	dst->pid = src->pid;
	err = dup_or_null(src->exe, &dst->exe);
	err = err ?: dup_or_null(src->cgroup, &dst->cgroup);
	err = err ?: dup_or_null(src->container, &dst->container);
	if (err)
		proc_labels__clear(dst);
	return err;
}
