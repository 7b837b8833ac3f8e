/* SPDX-License-Identifier: MIT */
/*
 * format.h - the output formats, chosen by name through one table.
 *
 * Owned by the format module: as_formats[] lists every format, one file
 * each in src/view/ (text.c, json.c, folded.c). A new format is its file,
 * its print function declared here and one row in the table; the CLI
 * finds formats by name and never names them itself.
 */
#ifndef ALLOCSNOOP_FORMAT_H
#define ALLOCSNOOP_FORMAT_H

#include <stddef.h>
#include <stdio.h>

#include "view/report.h"

struct as_format {
	const char *name;
	/* Prints @r to @out; returns 0 or a negative errno. */
	int (*print)(FILE *out, const struct as_report *r);
};

int report__text(FILE *out, const struct as_report *r);
int report__json(FILE *out, const struct as_report *r);
int report__folded(FILE *out, const struct as_report *r);

/* The formats, the default (text) first; ends with a NULL name. */
extern const struct as_format as_formats[];

/* The format called @name, or NULL when there is none. */
const struct as_format *format__find(const char *name);

/*
 * The names of all formats as a sentence for messages, "text, json or
 * folded", into @buf (truncated to @len). Returns @buf.
 */
char *format__names(char *buf, size_t len);

/*
 * Prints @r to @out through @f (NULL = the default, text) and flushes;
 * says why on stderr when that fails. Returns 0 or a negative errno.
 */
int format__emit(const struct as_format *f, FILE *out,
		 const struct as_report *r);

#endif
