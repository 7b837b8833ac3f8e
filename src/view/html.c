// SPDX-License-Identifier: MIT
/*
 * html.c - the self-contained HTML report: the compiled-in page with the
 * report's JSON written into its data element, escaped for it.
 */
#include <errno.h>

#include "view/html.h"
#include "view/html_page.h"
#include "view/report_data.h"

int html__write(FILE *out, const struct as_snapshot *now,
		const struct as_snapshot *old, const struct as_html_opts *o)
{
	struct as_jsonout j = {.out = out, .script = true};
	int err;

	if (fwrite(as_html_page_head, 1, as_html_page_head_len, out) !=
	    as_html_page_head_len)
		return -EIO;
	err = report_data__write(&j, now, old, o);
	if (err)
		return err;
	if (fwrite(as_html_page_tail, 1, as_html_page_tail_len, out) !=
	    as_html_page_tail_len)
		return -EIO;
	return ferror(out) ? -EIO : 0;
}
