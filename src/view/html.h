/* SPDX-License-Identifier: MIT */
/*
 * html.h - the self-contained HTML report of one snapshot, or of the
 * change between two: flame graph, memory over time, top lines.
 *
 * Owned by the html module. The page's script and styles
 * (src/view/html/) are compiled into the binary; the data is embedded as
 * JSON (see report_data.h), so the file opens offline in any browser and
 * asks the network for nothing (its Content-Security-Policy forbids it).
 */
#ifndef ALLOCSNOOP_HTML_H
#define ALLOCSNOOP_HTML_H

#include <stdio.h>

#include "profile/model.h"
#include "view/group.h"

struct as_html_opts {
	/* The snapshot files as the user named them, shown on the page;
	 * NULL when there is none. */
	const char *now_name;
	const char *old_name;
	enum as_group_by group_by;	/* the table's rows, default lineno */
	const struct as_filter *filter; /* samples kept, NULL = all */
};

/*
 * Writes the page for @now, or for the change from @old to @now when
 * @old is not NULL, to @out (not flushed). Returns 0 or a negative errno.
 */
int html__write(FILE *out, const struct as_snapshot *now,
		const struct as_snapshot *old, const struct as_html_opts *o);

#endif
