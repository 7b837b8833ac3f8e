// SPDX-License-Identifier: MIT
/* report.c - what the output formats share. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "view/report.h"

/* Same steps and the same printf formats as tracemalloc._format_size. */
char *size__format(char *buf, size_t len, double size, bool sign)
{
	static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
	size_t i, last = sizeof(units) / sizeof(units[0]) - 1;

	for (i = 0; i <= last; i++) {
		if (fabs(size) < 100 && i > 0) {
			snprintf(buf, len, sign ? "%+.1f %s" : "%.1f %s", size,
				 units[i]);
			return buf;
		}
		if (fabs(size) < 10 * 1024 || i == last) {
			snprintf(buf, len, sign ? "%+.0f %s" : "%.0f %s", size,
				 units[i]);
			return buf;
		}
		size /= 1024;
	}
	return buf; /* not reached: the last unit always returns */
}

size_t utf8__len(const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	uint32_t cp;
	size_t n, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		cp = s[0] & 0x07;
	} else {
		return 0; /* continuation byte, overlong lead or beyond 0xf4 */
	}
	for (i = 1; i < n; i++) {
		/* A NUL terminator fails this test: no read past the end. */
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return n;
}

static void put_hex(FILE *out, unsigned char c)
{
	fprintf(out, "\\x%02x", c);
}

void escape__fputs(FILE *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n;

	if (!s)
		return;
	while (*p) {
		if (*p == '\n') {
			fputs("\\n", out);
		} else if (*p == '\t') {
			fputs("\\t", out);
		} else if (*p == '\r') {
			fputs("\\r", out);
		} else if (*p < 0x20 || *p == 0x7f) {
			put_hex(out, *p);
		} else if (*p >= 0x80) {
			n = utf8__len((const char *)p);
			if (!n) {
				put_hex(out, *p);
			} else if (p[0] == 0xc2 && p[1] < 0xa0) {
				/* U+0080..U+009F: C1 controls (CSI is U+009B)
				 * that some terminals obey. */
				put_hex(out, p[0]);
				put_hex(out, p[1]);
				p += 2;
				continue;
			} else {
				fwrite(p, 1, n, out);
				p += n;
				continue;
			}
		} else {
			putc(*p, out);
		}
		p++;
	}
}

static int cmp_current_desc(const void *a, const void *b)
{
	const struct as_process *x = *(const struct as_process *const *)a;
	const struct as_process *y = *(const struct as_process *const *)b;

	if (x->current_bytes != y->current_bytes)
		return x->current_bytes < y->current_bytes ? 1 : -1;
	return process__ptr_cmp(a, b);
}

static bool pid_kept(const struct as_filter *f, uint32_t pid)
{
	size_t i;

	if (!f || !f->npids)
		return true;
	for (i = 0; i < f->npids; i++)
		if (f->pids[i] == pid)
			return true;
	return false;
}

int report__processes(const struct as_report *r, size_t limit,
		      const struct as_process ***out, size_t *n, size_t *total)
{
	const struct as_snapshot *s = r->snap;
	const struct as_process **procs;
	size_t i, k = 0;

	procs = malloc((s->nprocesses ? s->nprocesses : 1) * sizeof(*procs));
	if (!procs)
		return -ENOMEM;
	for (i = 0; i < s->nprocesses; i++)
		if (pid_kept(r->filter, s->processes[i].pid))
			procs[k++] = &s->processes[i];
	*total = k;
	if (limit && k > limit) {
		qsort(procs, k, sizeof(*procs), cmp_current_desc);
		k = limit;
	}
	qsort(procs, k, sizeof(*procs), process__ptr_cmp);
	*out = procs;
	*n = k;
	return 0;
}
