/* SPDX-License-Identifier: MIT */
/*
 * size.h - byte counts for people: 1024-based units, tracemalloc's steps.
 *
 * Owned by the size module; shared by the formats that print sizes.
 */
#ifndef ALLOCSNOOP_SIZE_H
#define ALLOCSNOOP_SIZE_H

#include <stdbool.h>
#include <stddef.h>

/*
 * tracemalloc's _format_size(): "12 B", "1.5 KiB", "+293 KiB", 1024-based.
 * Writes into @buf (at least 32 bytes) and returns it.
 */
char *size__format(char *buf, size_t len, double size, bool sign);

#endif
