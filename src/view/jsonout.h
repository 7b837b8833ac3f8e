/* SPDX-License-Identifier: MIT */
/*
 * jsonout.h - a JSON text written piece by piece to a stream.
 *
 * Owned by the jsonout module. For outputs too big to build as json-c
 * trees (100k stacks of 20 frames would be millions of objects): the
 * caller writes the structure, strings go through json-c's escaping
 * after invalid UTF-8 is replaced by U+FFFD. In script mode, every '<',
 * '>', '&', U+2028 and U+2029 is written as a \u escape as well, so that
 * the text can sit inside an HTML <script> element: no file or function
 * name can close it ("</script>"), open a comment ("<!--") or end a
 * JavaScript line. Those characters only occur inside JSON strings,
 * where the escape means the same character.
 */
#ifndef ALLOCSNOOP_JSONOUT_H
#define ALLOCSNOOP_JSONOUT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct as_jsonout {
	FILE *out;
	bool script; /* escape for an HTML <script> element */
	int err;     /* the first error (negative errno), 0 = none */
};

/* Structural text (braces, commas), written as it is. */
void jsonout__raw(struct as_jsonout *j, const char *s);
/* ",\"key\":" (no comma when @first). */
void jsonout__key(struct as_jsonout *j, const char *key, bool first);
/* A string, or null for NULL. */
void jsonout__str(struct as_jsonout *j, const char *s);
void jsonout__i64(struct as_jsonout *j, int64_t v);
void jsonout__u64(struct as_jsonout *j, uint64_t v);
/* A finite number with up to @decimals decimals (NaN/inf: null). */
void jsonout__f64(struct as_jsonout *j, double v, int decimals);
void jsonout__bool(struct as_jsonout *j, bool v);

#endif
