/* SPDX-License-Identifier: MIT */
/*
 * parse.h - the values command lines take: counts, byte sizes and
 * durations, parsed one way for every option.
 *
 * Owned by the parse module. Each returns 0, or -EINVAL for text that is
 * not a value of its kind or is above @max (the caller says which option
 * and what it expects).
 */
#ifndef ALLOCSNOOP_PARSE_H
#define ALLOCSNOOP_PARSE_H

#include <stdint.h>

/* A decimal count, no sign: "42". */
int parse__uint(const char *s, uint64_t max, uint64_t *out);

/* Bytes with an optional 1024-based suffix: "4096", "64K", "1MiB", "2G",
 * "512B". */
int parse__bytes(const char *s, uint64_t max, uint64_t *out);

/* A duration in seconds, with an optional unit: "5", "1.5", "30s",
 * "500ms", "250us", "2m", "1h"; never negative. */
int parse__duration(const char *s, double max, double *out);

#endif
