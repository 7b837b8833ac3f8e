/* SPDX-License-Identifier: MIT */
/*
 * escape.h - strings that traced programs chose (comm names, paths,
 * symbols), checked and escaped before any format prints them.
 *
 * Owned by the escape module; shared by every output format.
 */
#ifndef ALLOCSNOOP_ESCAPE_H
#define ALLOCSNOOP_ESCAPE_H

#include <stddef.h>
#include <stdio.h>

/*
 * Writes @s to @out with every control character, DEL and invalid UTF-8
 * byte escaped (\n, \t, \x1b, ...), so traced programs cannot drive the
 * terminal through comm names or paths.
 */
void escape__fputs(FILE *out, const char *s);

/*
 * Length (1-4) of the valid UTF-8 character at @s, 0 when the bytes there
 * are not valid UTF-8 (overlong, surrogate, beyond U+10FFFF, truncated).
 * Shared by the formats that must not pass invalid UTF-8 on.
 */
size_t utf8__len(const char *s);

/* @s with every byte that is not valid UTF-8 replaced by U+FFFD, in a
 * new string (free() it); NULL when out of memory. */
char *utf8__clean(const char *s);

#endif
