// SPDX-License-Identifier: MIT
/* parse.c - counts, byte sizes and durations from command-line text. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli/parse.h"

int parse__uint(const char *s, uint64_t max, uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

/* The multiplier a size suffix stands for; *@rest is past it. */
static uint64_t size_unit(const char *end, const char **rest)
{
	static const char units[] = "KMG";
	const char *u = *end ? strchr(units, *end & ~0x20) : NULL;
	uint64_t mult = 1;

	if (u) {
		mult = 1ULL << (10 * (u - units + 1));
		end++;
		if (strcmp(end, "iB") == 0)
			end += 2;
	} else if (strcmp(end, "B") == 0) {
		end++;
	}
	*rest = end;
	return mult;
}

int parse__bytes(const char *s, uint64_t max, uint64_t *out)
{
	unsigned long long v;
	const char *rest;
	uint64_t mult;
	char *end;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -EINVAL;
	mult = size_unit(end, &rest);
	if (*rest || v > max / mult)
		return -EINVAL;
	*out = v * mult;
	return 0;
}

int parse__duration(const char *s, double max, double *out)
{
	static const struct {
		const char *name;
		double seconds;
	} units[] = {{"", 1},	   {"s", 1},  {"ms", 1e-3}, {"us", 1e-6},
		     {"ns", 1e-9}, {"m", 60}, {"min", 60},  {"h", 3600}};
	size_t i;
	char *end;
	double v;

	if (!s || ((*s < '0' || *s > '9') && *s != '.'))
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || !isfinite(v))
		return -EINVAL;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(end, units[i].name) != 0)
			continue;
		v *= units[i].seconds;
		if (v > max)
			return -EINVAL;
		*out = v;
		return 0;
	}
	return -EINVAL;
}
