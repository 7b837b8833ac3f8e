// SPDX-License-Identifier: MIT
/*
 * escape.c - strings from traced programs made safe to print: UTF-8
 * checked, control characters escaped.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "view/escape.h"

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

char *utf8__clean(const char *s)
{
	size_t n = 0, len = strlen(s), k;
	const char *p;
	char *out;

	out = malloc(len * 3 + 1); /* each bad byte grows to 3 bytes */
	if (!out)
		return NULL;
	for (p = s; *p; p += k) {
		k = utf8__len(p);
		if (k) {
			memcpy(out + n, p, k);
			n += k;
		} else {
			memcpy(out + n, "\xef\xbf\xbd", 3);
			n += 3;
			k = 1;
		}
	}
	out[n] = '\0';
	return out;
}
