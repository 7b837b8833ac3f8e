// SPDX-License-Identifier: MIT
/* pprof_err.c - one-line error messages for the snapshot module. */
#include <stdarg.h>
#include <stdio.h>

#include "profile/pprof_err.h"

int pprof__error(char *err, size_t errlen, int ret, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return ret;
}
