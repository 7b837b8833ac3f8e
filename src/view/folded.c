// SPDX-License-Identifier: MIT
/*
 * folded.c - folded stacks ("root;caller;leaf value"), the input of
 * flamegraph.pl, inferno and speedscope. One line per sample.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "view/escape.h"
#include "view/format.h"
#include "view/report.h"

/*
 * Frame text: ';' separates frames and '\n' lines, so ';' becomes ':'
 * and control characters and invalid UTF-8 are escaped like the text
 * report does. Spaces stay: the tools split the value off at the LAST
 * space.
 */
static void put_frame_text(FILE *out, const char *s)
{
	char *copy, *q;
	const char *p;

	if (!strchr(s, ';')) {
		escape__fputs(out, s);
		return;
	}
	copy = strdup(s);
	if (!copy) {
		/* Out of memory: still never emit a ';' inside a frame. */
		for (p = s; *p; p++)
			putc(*p == ';' ? ':' : *p, out);
		return;
	}
	for (q = copy; (q = strchr(q, ';')); q++)
		*q = ':';
	escape__fputs(out, copy);
	free(copy);
}

static void put_frame(FILE *out, const struct as_snapshot *s,
		      const struct as_location *l, const struct as_line *ln)
{
	const char *mod = NULL;

	if (l->module >= 0 && (size_t)l->module < s->nmodules)
		mod = s->modules[l->module].path;
	if (ln && ln->function) {
		put_frame_text(out, ln->function);
		if (ln->file) {
			fputs(" (", out);
			put_frame_text(out, basename(ln->file));
			fprintf(out, ":%" PRId64 ")", ln->line);
		}
	} else if (ln && ln->file) {
		put_frame_text(out, basename(ln->file));
		fprintf(out, ":%" PRId64, ln->line);
	} else if (mod) {
		put_frame_text(out, basename(mod));
		fprintf(out, "+0x%" PRIx64, l->rel_offset);
	} else {
		fprintf(out, "0x%" PRIx64, l->address);
	}
}

/* Index of @kind in the folded values, -1 when unknown. */
static int value_kind(const char *kind)
{
	static const char *const kinds[] = {"size", "alloc_size", "count",
					    "alloc_count"};
	int i;

	if (!kind)
		return 0;
	for (i = 0; i < 4; i++)
		if (strcmp(kind, kinds[i]) == 0)
			return i;
	return -1;
}

static int64_t sample_value(const struct as_sample *sm, int kind)
{
	switch (kind) {
	case 1:
		return sm->alloc_size;
	case 2:
		return sm->count;
	case 3:
		return sm->alloc_count;
	default:
		return sm->size;
	}
}

int report__folded(FILE *out, const struct as_report *r)
{
	const struct as_snapshot *s = r->snap;
	const struct as_sample *sm;
	const struct as_process *p;
	const struct as_location *l;
	bool first;
	int64_t v;
	uint32_t j, li;
	size_t i;
	int kind = value_kind(r->folded_value);

	if (kind < 0)
		return -EINVAL;
	for (i = 0; i < s->nsamples; i++) {
		sm = &s->samples[i];
		v = sample_value(sm, kind);
		/* Nothing to draw: no width, or a width the tools reject. */
		if (v <= 0 || !filter__keep_sample(s, sm, r->filter))
			continue;
		first = true;
		if (r->system_wide) {
			p = snapshot__find_process(s, sm->pid);
			put_frame_text(out, p ? p->comm : "?");
			fprintf(out, " (%" PRIu32 ")", sm->pid);
			first = false;
		}
		/* Root first: outermost location, its outermost line first. */
		for (j = sm->nlocs; j-- > 0;) {
			l = &s->locations[sm->locs[j]];
			li = l->nlines ? l->nlines : 1;
			while (li-- > 0) {
				if (!first)
					putc(';', out);
				first = false;
				put_frame(out, s, l,
					  l->nlines ? &l->lines[li] : NULL);
			}
		}
		if (first)
			fputs("<unknown>", out);
		fprintf(out, " %" PRId64 "\n", v);
	}
	if (fflush(out) || ferror(out))
		return -EIO;
	return 0;
}
