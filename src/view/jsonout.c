// SPDX-License-Identifier: MIT
/* jsonout.c - JSON written piece by piece, script-safe on request. */
#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "view/escape.h"
#include "view/jsonout.h"

static void put_n(struct as_jsonout *j, const char *s, size_t n)
{
	if (j->err || !n)
		return;
	if (fwrite(s, 1, n, j->out) != n)
		j->err = -EIO;
}

/* The escape of the script-unsafe character at @p, NULL for others. */
static const char *script_escape(const unsigned char *p)
{
	switch (p[0]) {
	case '<':
		return "\\u003c";
	case '>':
		return "\\u003e";
	case '&':
		return "\\u0026";
	case 0xe2:
		if (p[1] == 0x80 && p[2] == 0xa8)
			return "\\u2028";
		if (p[1] == 0x80 && p[2] == 0xa9)
			return "\\u2029";
		return NULL;
	default:
		return NULL;
	}
}

/* Writes @s, escaped in script mode. */
static void put(struct as_jsonout *j, const char *s)
{
	const unsigned char *p = (const unsigned char *)s, *run = p;
	const char *esc;

	if (!j->script) {
		put_n(j, s, strlen(s));
		return;
	}
	for (; *p; p++) {
		esc = script_escape(p);
		if (!esc)
			continue;
		put_n(j, (const char *)run, (size_t)(p - run));
		put_n(j, esc, strlen(esc));
		/* U+2028/9 are 3 bytes; the loop steps over the first. */
		if (*p == 0xe2)
			p += 2;
		run = p + 1;
	}
	put_n(j, (const char *)run, (size_t)(p - run));
}

void jsonout__raw(struct as_jsonout *j, const char *s)
{
	put(j, s);
}

void jsonout__key(struct as_jsonout *j, const char *key, bool first)
{
	if (!first)
		put_n(j, ",", 1);
	jsonout__str(j, key);
	put_n(j, ":", 1);
}

/* True when @s needs no JSON escape: printable ASCII, no quote or
 * backslash (most names and every key), written without json-c. */
static bool plain(const char *s)
{
	for (; *s; s++)
		if (*s < 0x20 || *s > 0x7e || *s == '"' || *s == '\\')
			return false;
	return true;
}

void jsonout__str(struct as_jsonout *j, const char *s)
{
	json_object *o = NULL;
	const char *text;
	char *clean;

	if (j->err)
		return;
	if (!s) {
		put_n(j, "null", 4);
		return;
	}
	if (plain(s)) {
		put_n(j, "\"", 1);
		put(j, s);
		put_n(j, "\"", 1);
		return;
	}
	clean = utf8__clean(s);
	if (clean)
		o = json_object_new_string(clean);
	free(clean);
	text =
	    o ? json_object_to_json_string_ext(
		    o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)
	      : NULL;
	if (text)
		put(j, text);
	else
		j->err = -ENOMEM;
	json_object_put(o);
}

void jsonout__i64(struct as_jsonout *j, int64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%" PRId64, v);
	put_n(j, buf, strlen(buf));
}

void jsonout__u64(struct as_jsonout *j, uint64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%" PRIu64, v);
	put_n(j, buf, strlen(buf));
}

void jsonout__f64(struct as_jsonout *j, double v, int decimals)
{
	char buf[64];

	if (!isfinite(v)) {
		put_n(j, "null", 4);
		return;
	}
	snprintf(buf, sizeof(buf), "%.*f", decimals, v);
	put_n(j, buf, strlen(buf));
}

void jsonout__bool(struct as_jsonout *j, bool v)
{
	put_n(j, v ? "true" : "false", v ? 4 : 5);
}
