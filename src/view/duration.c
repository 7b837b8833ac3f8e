// SPDX-License-Identifier: MIT
/* duration.c - durations and histogram buckets as text. */
#include <stdio.h>

#include "profile/hist.h"
#include "view/duration.h"

char *duration__format(char *buf, size_t len, uint64_t ns)
{
	static const struct {
		double ns;
		const char *unit;
	} units[] = {
	    {3600e9, "h"}, {60e9, "min"}, {1e9, "s"}, {1e6, "ms"}, {1e3, "us"}};
	size_t i;

	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if ((double)ns >= units[i].ns) {
			snprintf(buf, len, "%.3g%s", (double)ns / units[i].ns,
				 units[i].unit);
			return buf;
		}
	snprintf(buf, len, "%lluns", (unsigned long long)ns);
	return buf;
}

uint64_t duration__bucket_end(unsigned b)
{
	return b + 1 < AS_HIST_BUCKETS ? hist__bucket_start(b + 1) : 0;
}

char *duration__bucket(char *buf, size_t len, unsigned b)
{
	char from[16], to[16];

	if (b == 0)
		snprintf(
		    buf, len, "<%s",
		    duration__format(to, sizeof(to), duration__bucket_end(0)));
	else if (b + 1 >= AS_HIST_BUCKETS)
		snprintf(buf, len, ">=%s",
			 duration__format(from, sizeof(from),
					  hist__bucket_start(b)));
	else
		snprintf(
		    buf, len, "%s-%s",
		    duration__format(from, sizeof(from), hist__bucket_start(b)),
		    duration__format(to, sizeof(to), duration__bucket_end(b)));
	return buf;
}
