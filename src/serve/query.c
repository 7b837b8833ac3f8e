// SPDX-License-Identifier: MIT
/* query.c - ?pid=, ?comm=, ?cgroup=, ?seconds=, checked. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "cli/parse.h"
#include "serve/endpoint.h"
#include "serve/query.h"

enum { SEEN_PID = 1, SEEN_COMM = 2, SEEN_CGROUP = 4, SEEN_SECONDS = 8 };

/* @value as a number from 1 to @max, or -EINVAL. */
static int number(const char *value, uint64_t max, uint64_t *out)
{
	if (!value || !*value || strlen(value) > 20 ||
	    strspn(value, "0123456789") != strlen(value))
		return -EINVAL;
	if (parse__uint(value, max, out) || *out == 0)
		return -EINVAL;
	return 0;
}

static int param(struct as_prof_query *q, const char *key, const char *value,
		 char *why, size_t len)
{
	uint64_t v;

	if (!strcmp(key, "pid")) {
		if (number(value, 4194304, &v))
			goto bad;
		q->pid = (uint32_t)v;
	} else if (!strcmp(key, "seconds")) {
		if (number(value, UINT32_MAX, &v))
			goto bad;
		if (v > AS_SERVE_MAX_SECONDS) {
			snprintf(why, len,
				 "seconds=%llu is above the maximum, %d",
				 (unsigned long long)v, AS_SERVE_MAX_SECONDS);
			return -EINVAL;
		}
		q->seconds = (unsigned)v;
	} else if (!strcmp(key, "comm")) {
		if (!value || !*value || strlen(value) > AS_QUERY_MAX_COMM)
			goto bad;
		q->comm = value;
	} else {
		if (!value || value[0] != '/' ||
		    strlen(value) > AS_QUERY_MAX_CGROUP)
			goto bad;
		q->cgroup = value;
	}
	return 0;
bad:
	if (!strcmp(key, "pid"))
		snprintf(why, len, "invalid pid '%.32s': expected a process id",
			 value ?: "");
	else if (!strcmp(key, "seconds"))
		snprintf(why, len, "invalid seconds '%.32s': expected 1 to %d",
			 value ?: "", AS_SERVE_MAX_SECONDS);
	else if (!strcmp(key, "comm"))
		snprintf(why, len,
			 "invalid comm: expected a process name of 1 to %d "
			 "bytes",
			 AS_QUERY_MAX_COMM);
	else
		snprintf(why, len,
			 "invalid cgroup: expected a path starting with / of "
			 "at most %d bytes",
			 AS_QUERY_MAX_CGROUP);
	return -EINVAL;
}

int query__param(struct as_prof_query *q, unsigned *seen, const char *key,
		 const char *value, char *why, size_t len)
{
	static const char *const keys[] = {"pid", "comm", "cgroup", "seconds"};
	unsigned i;

	/* Go's: gc=1 runs its collector first, debug=0 is the binary */
	if (!strcmp(key, "gc") ||
	    (!strcmp(key, "debug") && value && !strcmp(value, "0")))
		return 0;
	if (!strcmp(key, "debug")) {
		snprintf(why, len,
			 "debug=%.32s is not served: only the binary profile "
			 "(debug=0); read it with go tool pprof",
			 value ?: "");
		return -EINVAL;
	}
	for (i = 0; i < 4; i++)
		if (!strcmp(key, keys[i]))
			break;
	if (i == 4) {
		snprintf(why, len,
			 "unknown parameter '%.32s': expected pid, comm, "
			 "cgroup or seconds",
			 key);
		return -EINVAL;
	}
	if (*seen & (1u << i)) {
		snprintf(why, len, "parameter %s given twice", key);
		return -EINVAL;
	}
	*seen |= 1u << i;
	return param(q, key, value, why, len);
}
