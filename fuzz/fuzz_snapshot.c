// SPDX-License-Identifier: MIT
/*
 * fuzz_snapshot.c - libFuzzer target for the snapshot reader.
 *
 * The input is a snapshot file (gzipped or plain pprof). A read that
 * succeeds must hand back a snapshot whose every index is in range and
 * whose strings are terminated, because group/diff and the reports index
 * it without checking again; the walk below touches all of it so that
 * ASan sees a bad index or string right here.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "snapshot.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fail(const char *what, size_t i)
{
	fprintf(stderr, "fuzz_snapshot: read succeeded but %s (entry %zu)\n",
		what, i);
	abort();
}

static size_t str_len(const char *s)
{
	return s ? strlen(s) : 0;
}

static void check_lines(const struct as_line *lines, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		(void)(str_len(lines[i].function) + str_len(lines[i].file));
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

		if (l->module < -1 || (l->module >= 0 &&
				       (size_t)l->module >= s->nmodules))
			fail("a location names a module out of range", i);
		if (l->nlines && !l->lines)
			fail("a location has lines but no array", i);
		check_lines(l->lines, l->nlines);
	}
	for (size_t i = 0; i < s->nsamples; i++) {
		const struct as_sample *sm = &s->samples[i];
		int site;

		if (sm->nlocs && !sm->locs)
			fail("a sample has frames but no array", i);
		for (uint32_t j = 0; j < sm->nlocs; j++)
			if (sm->locs[j] >= s->nlocations)
				fail("a sample names a location out of range",
				     i);
		site = as_sample_site(s, sm);
		if (sm->nlocs ? site < 0 || (uint32_t)site >= sm->nlocs
			      : site != -1)
			fail("as_sample_site is out of range", i);
		sink += (size_t)(as_snapshot_find_process(s, sm->pid) != NULL);
	}
	for (size_t i = 0; i < s->nprocesses; i++)
		sink += str_len(s->processes[i].comm);
	for (size_t i = 0; i < s->ncounters; i++) {
		if (!s->counters[i].name)
			fail("a counter has no name", i);
		sink += as_snapshot_counter(s, s->counters[i].name);
	}
	(void)sink;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct as_snapshot *s = NULL;
	char err[512];
	int ret;

	ret = as_snapshot_read_mem(data, size, &s, err, sizeof(err));
	if (ret == 0) {
		if (!s)
			fail("returned no snapshot", 0);
		check(s);
		as_snapshot_free(s);
	} else {
		if (ret > 0)
			fail("returned a positive value", (size_t)ret);
		if (s)
			fail("returned a snapshot with an error", 0);
		/* Every failure must say why, in one line. */
		if (!err[0] || strchr(err, '\n'))
			fail("failed without a one-line message", 0);
	}
	return 0;
}
