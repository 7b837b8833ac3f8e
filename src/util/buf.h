/* SPDX-License-Identifier: MIT */
/*
 * buf.h - the one way arrays grow, and a growable string.
 *
 * Owned by the buf module. Arrays double (from a small first capacity)
 * whenever they must hold more; a failed growth leaves the array as it
 * was, so the caller still owns and frees it.
 */
#ifndef ALLOCSNOOP_BUF_H
#define ALLOCSNOOP_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Makes *@arr (capacity *@cap elements of @size bytes) hold at least
 * @need elements, doubling from @first. Returns 0 or -ENOMEM.
 */
int buf__reserve(void **arr, size_t *cap, size_t need, size_t size,
		 size_t first);

/* buf__reserve for a typed array: room for @need elements of @arr. */
#define BUF_RESERVE(arr, cap, need)                                            \
	buf__reserve((void **)&(arr), &(cap), (need), sizeof(*(arr)), 16)

/* A growing string; s is NUL-terminated once anything was added. */
struct as_strbuf {
	char *s;
	size_t len, cap;
};

/* Makes room for @add more bytes and the NUL. */
int strbuf__reserve(struct as_strbuf *sb, size_t add);
int strbuf__addn(struct as_strbuf *sb, const char *s, size_t n);
int strbuf__add(struct as_strbuf *sb, const char *s);
int strbuf__addc(struct as_strbuf *sb, char c);
/* @v in decimal, or as 0x... in hex; with a '-' first when @neg. */
int strbuf__add_u64(struct as_strbuf *sb, uint64_t v, bool hex, bool neg);
int strbuf__add_i64(struct as_strbuf *sb, int64_t v);
/* Empties @sb (keeping its memory): s is "" afterwards. */
int strbuf__reset(struct as_strbuf *sb);
void strbuf__free(struct as_strbuf *sb);

#endif
