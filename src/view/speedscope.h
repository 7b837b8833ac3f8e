/* SPDX-License-Identifier: MIT */
/*
 * speedscope.h - a snapshot as speedscope's JSON file format
 * (https://www.speedscope.app/file-format-schema.json): "sampled"
 * profiles sharing one frame table.
 *
 * Owned by the speedscope module. One profile per value: live bytes,
 * live allocations, allocated bytes, allocations (with an OLD snapshot,
 * its four follow NEW's); each stack is a sample weighted by its value,
 * so a profile's weights add up to the snapshot's total exactly. With
 * several processes, each stack starts with a frame naming its process.
 */
#ifndef ALLOCSNOOP_SPEEDSCOPE_H
#define ALLOCSNOOP_SPEEDSCOPE_H

#include <stdio.h>

#include "profile/model.h"
#include "view/group.h"

/*
 * Writes @now (and @old, NULL for none), the samples @filter keeps (NULL
 * = all), to @out; @name names the file in speedscope (NULL: the traced
 * command). Returns 0 or a negative errno.
 */
int speedscope__write(FILE *out, const struct as_snapshot *now,
		      const struct as_snapshot *old,
		      const struct as_filter *filter, const char *name);

#endif
