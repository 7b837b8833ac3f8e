/* SPDX-License-Identifier: MIT */
/*
 * pprof_err.h - the error reporting the snapshot reader and writer
 * share (private to the snapshot module).
 */
#ifndef ALLOCSNOOP_SNAPSHOT_ERR_H
#define ALLOCSNOOP_SNAPSHOT_ERR_H

#include <stddef.h>

/* Formats a one-line message into @err (when not NULL) and returns @ret. */
int pprof__error(char *err, size_t errlen, int ret, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
