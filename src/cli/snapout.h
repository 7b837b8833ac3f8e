/* SPDX-License-Identifier: MIT */
/*
 * snapout.h - the snapshot files a trace writes: -o's pattern, checked
 * before tracing starts, and every failed write counted.
 *
 * Owned by the snapout module. A pattern may hold %n (the snapshot's
 * number, from 1), %p (the traced pid, or "all") and %t (the time,
 * YYYYmmdd-HHMMSS). Without -o, a snapshot on demand (SIGUSR1) goes to
 * allocsnoop-PID-TIME.pb.gz in the current directory.
 */
#ifndef ALLOCSNOOP_SNAPOUT_H
#define ALLOCSNOOP_SNAPOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "profile/model.h"

struct as_snapout;

/* @pattern: -o's, NULL for none; @target: the pid's text or "all". */
int snapout__new(const char *pattern, const char *target, bool verbose,
		 struct as_snapout **out);
void snapout__free(struct as_snapout *so);

/*
 * Checks that the directory of the first snapshot exists and takes new
 * files (a file is made there and removed). Returns 0, or a negative
 * errno with one line on stderr saying what to do.
 */
int snapout__check(const struct as_snapout *so);

/* Writes the next snapshot; a failure is said at once and counted. */
int snapout__write(struct as_snapout *so, const struct as_snapshot *s);

/* Writes @s with %p standing for @pid, whatever the pattern's target;
 * the path written goes to @path (at least PATH_MAX bytes). */
int snapout__write_pid(struct as_snapout *so, const struct as_snapshot *s,
		       uint32_t pid, char *path, size_t len);

/* How many snapshots could not be written. */
unsigned snapout__lost(const struct as_snapout *so);

/* Expands @pattern for snapshot number @n into @buf (exposed for tests). */
void snapout__expand(const char *pattern, const char *target,
		     unsigned long long n, char *buf, size_t len);

#endif
