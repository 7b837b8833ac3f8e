/* SPDX-License-Identifier: MIT */
/*
 * report_data.h - the data the HTML report embeds, as JSON.
 *
 * Owned by the report_data module; read by src/view/html/report.js. The
 * schema is versioned: a reader refuses a greater "version"; fields are
 * only ever added (a reader ignores the ones it does not know), a change
 * of meaning takes a new version. Version 1:
 *
 * {"format": "allocsnoop-report", "version": 1,
 *  "tool": "allocsnoop 0.1.0",           the writer
 *  "group_by": "lineno",                 the key of "rows"
 *  "now": SNAPSHOT,                      the snapshot shown (NEW in a diff)
 *  "old": SNAPSHOT | null,               OLD in a diff
 *  "frames": [FRAME, ...],               interned, shared by both
 *  "stack_fields": [NAME, ...],          what each STACK holds, in order
 *  "stacks": [STACK, ...],               sorted by pid, then frames
 *  "rows": [ROW, ...]}                   the text report's rows, in its order
 *
 * SNAPSHOT = {"name": file name | null, "time": ISO 8601, "start": ISO 8601
 *   (tracing started), "time_unix": s, "start_unix": s, "tool_version",
 *   "hostname", "command": string | null, "sample_bytes": N (0 = exact),
 *   "foreign": true for a pprof file not written by allocsnoop,
 *   "totals": {"size", "count", "alloc_size", "alloc_count"} (sums of the
 *   stacks kept), "processes": [PROCESS, ...], "lost": {COUNTER: N, ...}}
 * PROCESS = {"pid", "comm", "current_bytes", "peak_bytes", "alloc_count",
 *   "free_count", "failed_count", "unmatched_free_count", "alloc_bytes",
 *   "free_bytes", "exited", "inexact",
 *   optional "timeline": [[t, current_bytes, alloc_rate, free_rate], ...]
 *   (t in seconds since "start", rates per second, t ascending),
 *   optional "peak_time": t of peak_bytes}
 * FRAME = {"function", "file", "line", "module", "offset"}: strings or
 *   null ("line" a number or null); "offset" ("0x1c40") only for a frame
 *   without function and file: the file offset in "module", or the
 *   address when the module is unknown too. Python frames are frames
 *   like any other (no module).
 * STACK = one array per (process, call stack), its fields named by
 *   "stack_fields" (a reader finds them by name, so fields can be added):
 *   "pid"; "prefix", how many of its first frames (root first) are the
 *   same as the previous stack's in the list (0 for the first stack and
 *   when the pid differs); "suffix", the frame indices after those, root
 *   first; "size", "count", "alloc_size", "alloc_count" (NEW's in a diff,
 *   0 when only in OLD); in a diff "old_size", "old_count",
 *   "old_alloc_size", "old_alloc_count" (0 when only in NEW); where the
 *   data has them, "temporary" and "old_temporary" (allocations freed
 *   within the temporary threshold). Tuples and shared prefixes rather
 *   than objects and whole frame lists: a 131k-stack page is a third of
 *   the size (4.3 instead of 12.6 MB), which is most of its load time.
 * ROW = {"pid" | null, "comm" | null, "name", "function", "file", "line",
 *   "module", "size", "size_diff", "count", "count_diff", "alloc_size",
 *   "alloc_count"}
 */
#ifndef ALLOCSNOOP_REPORT_DATA_H
#define ALLOCSNOOP_REPORT_DATA_H

#include "profile/model.h"
#include "view/html.h"
#include "view/jsonout.h"

#define AS_REPORT_DATA_VERSION 1

/*
 * Writes the data of the report of @now (and @old, NULL for none) to @j.
 * Returns 0 or a negative errno (also left in j->err).
 */
int report_data__write(struct as_jsonout *j, const struct as_snapshot *now,
		       const struct as_snapshot *old,
		       const struct as_html_opts *o);

#endif
