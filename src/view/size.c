// SPDX-License-Identifier: MIT
/* size.c - byte counts as tracemalloc prints them. */
#include <math.h>
#include <stdio.h>

#include "view/size.h"

/* Same steps and the same printf formats as tracemalloc._format_size. */
char *size__format(char *buf, size_t len, double size, bool sign)
{
	static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
	size_t i, last = sizeof(units) / sizeof(units[0]) - 1;

	for (i = 0; i <= last; i++) {
		if (fabs(size) < 100 && i > 0) {
			snprintf(buf, len, sign ? "%+.1f %s" : "%.1f %s", size,
				 units[i]);
			return buf;
		}
		if (fabs(size) < 10 * 1024 || i == last) {
			snprintf(buf, len, sign ? "%+.0f %s" : "%.0f %s", size,
				 units[i]);
			return buf;
		}
		size /= 1024;
	}
	return buf; /* not reached: the last unit always returns */
}
