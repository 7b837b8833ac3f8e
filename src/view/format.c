// SPDX-License-Identifier: MIT
/* format.c - the table of output formats and printing through one. */
#include <errno.h>
#include <string.h>

#include "view/format.h"

const struct as_format as_formats[] = {
    {"text", report__text},
    {"json", report__json},
    {"folded", report__folded},
    {NULL, NULL},
};

const struct as_format *format__find(const char *name)
{
	const struct as_format *f;

	for (f = as_formats; f->name; f++)
		if (strcmp(f->name, name) == 0)
			return f;
	return NULL;
}

char *format__names(char *buf, size_t len)
{
	const struct as_format *f;
	size_t off = 0;
	int n;

	if (!len)
		return buf;
	buf[0] = '\0';
	for (f = as_formats; f->name && off < len; f++) {
		n = snprintf(buf + off, len - off, "%s%s",
			     f == as_formats ? ""
			     : f[1].name     ? ", "
					     : " or ",
			     f->name);
		if (n < 0)
			break;
		off += (size_t)n;
	}
	return buf;
}

int format__emit(const struct as_format *f, FILE *out,
		 const struct as_report *r)
{
	int err;

	if (!f)
		f = &as_formats[0];
	err = f->print(out, r);
	if (!err && (fflush(out) || ferror(out)))
		err = errno ? -errno : -EIO;
	if (err)
		fprintf(stderr,
			"allocsnoop: cannot write the %s report: %s; check "
			"that the output is writable and has room\n",
			f->name, strerror(-err));
	return err;
}
