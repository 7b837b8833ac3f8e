// SPDX-License-Identifier: MIT
/* buf.c - doubling arrays and a growable string, without snprintf. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"

int buf__reserve(void **arr, size_t *cap, size_t need, size_t size,
		 size_t first)
{
	size_t ncap;
	void *p;

	if (need <= *cap)
		return 0;
	ncap = *cap ? *cap : (first ? first : 1);
	while (ncap < need) {
		if (ncap > SIZE_MAX / 2 / size)
			return -ENOMEM;
		ncap *= 2;
	}
	p = realloc(*arr, ncap * size);
	if (!p)
		return -ENOMEM;
	*arr = p;
	*cap = ncap;
	return 0;
}

int strbuf__reserve(struct as_strbuf *sb, size_t add)
{
	return buf__reserve((void **)&sb->s, &sb->cap, sb->len + add + 1, 1,
			    256);
}

int strbuf__addn(struct as_strbuf *sb, const char *s, size_t n)
{
	if (strbuf__reserve(sb, n))
		return -ENOMEM;
	memcpy(sb->s + sb->len, s, n);
	sb->len += n;
	sb->s[sb->len] = '\0';
	return 0;
}

int strbuf__add(struct as_strbuf *sb, const char *s)
{
	return strbuf__addn(sb, s, strlen(s));
}

int strbuf__addc(struct as_strbuf *sb, char c)
{
	return strbuf__addn(sb, &c, 1);
}

int strbuf__add_u64(struct as_strbuf *sb, uint64_t v, bool hex, bool neg)
{
	char tmp[24];
	char *p = tmp + sizeof(tmp);
	unsigned base = hex ? 16 : 10;

	do {
		*--p = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	if (hex) {
		*--p = 'x';
		*--p = '0';
	}
	if (neg)
		*--p = '-';
	return strbuf__addn(sb, p, (size_t)(tmp + sizeof(tmp) - p));
}

int strbuf__add_i64(struct as_strbuf *sb, int64_t v)
{
	return strbuf__add_u64(sb, v < 0 ? -(uint64_t)v : (uint64_t)v, false,
			       v < 0);
}

int strbuf__reset(struct as_strbuf *sb)
{
	sb->len = 0;
	if (strbuf__reserve(sb, 0))
		return -ENOMEM;
	sb->s[0] = '\0';
	return 0;
}

void strbuf__free(struct as_strbuf *sb)
{
	free(sb->s);
	sb->s = NULL;
	sb->len = sb->cap = 0;
}
