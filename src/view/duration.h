/* SPDX-License-Identifier: MIT */
/*
 * duration.h - durations for people ("850us", "1.5ms", "35s", "2.1h"),
 * and a lifetime or age histogram's buckets named by their ranges.
 *
 * Owned by the duration module; shared by the formats that print ages
 * and lifetimes.
 */
#ifndef ALLOCSNOOP_DURATION_H
#define ALLOCSNOOP_DURATION_H

#include <stddef.h>
#include <stdint.h>

/* @ns nanoseconds in the largest unit that keeps it >= 1, three
 * significant digits. Writes into @buf (at least 16 bytes), returns it. */
char *duration__format(char *buf, size_t len, uint64_t ns);

/* The range of histogram bucket @b: "<2us", "1.02ms-2.05ms", ">=35.8min"
 * (the last one). Writes into @buf (at least 40 bytes), returns it. */
char *duration__bucket(char *buf, size_t len, unsigned b);

/* The end of bucket @b in nanoseconds (exclusive); 0 for the last one,
 * which has none. */
uint64_t duration__bucket_end(unsigned b);

#endif
