/* SPDX-License-Identifier: MIT */
/*
 * pprof.h - snapshot files: gzipped pprof profiles.
 *
 * Owned by the pprof module (pprof_write.c, pprof_read.c). The
 * profile has the sample types alloc_objects/count, alloc_space/bytes,
 * inuse_objects/count, inuse_space/bytes; a numeric label "pid" per
 * sample; per-process facts and tool metadata in comments; modules as
 * mappings with build-ids; inlined lines as several Line entries.
 *
 * What pprof has no field for travels in Profile.comment strings:
 *   "allocsnoop.meta {json}"     format version, tool metadata, times
 *   "allocsnoop.process {json}"  one per process: pid, comm, counts, flags
 *   "allocsnoop.counter NAME=N"  one per counter
 * A file without the meta comment is a foreign profile (has_meta false).
 * Unknown strings (function, file, path, build-id) are stored as "" and
 * read back as NULL. A location's rel_offset is not stored: it is
 * address - memory_start + file_offset of its mapping (0 without one).
 */
#ifndef ALLOCSNOOP_SNAPSHOT_H
#define ALLOCSNOOP_SNAPSHOT_H

#include "profile/model.h"

/* The format version written; files with a greater one are refused. */
#define AS_SNAPSHOT_FORMAT 1
/* Prefixes of the comment strings described above. */
#define AS_SNAPSHOT_META    "allocsnoop.meta "
#define AS_SNAPSHOT_PROCESS "allocsnoop.process "
#define AS_SNAPSHOT_COUNTER "allocsnoop.counter "
/*
 * pprof leaves samples without locations out of its views, so an empty
 * stack is written as one location with no mapping, address 0 and one
 * line of this function, and read back as an empty stack.
 */
#define AS_SNAPSHOT_NO_STACK "[no stack]"

/*
 * Writes @s to @path atomically (temp file in the same directory, fsync,
 * rename), mode 0600. Returns 0 or a negative errno; on error @err (if
 * not NULL) receives a message of at most @errlen bytes.
 */
int snapshot__write(const struct as_snapshot *s, const char *path, char *err,
		    size_t errlen);

/* At most this many labels of a process's own (struct as_pprof_opts). */
#define AS_PPROF_MAX_LABELS 4

/* A string label every sample of a process carries. */
struct as_pprof_label {
	const char *key, *value;
};

/* What an encoded profile adds to a snapshot file's content. */
struct as_pprof_opts {
	/* the sample type readers show first (one of the four); NULL:
	 * inuse_space, as in files */
	const char *default_type;
	/* Fills @out (room for AS_PPROF_MAX_LABELS) with the labels of
	 * process @pid's samples and returns how many; NULL: none. The
	 * strings must live until the encode returns. */
	size_t (*labels)(void *arg, uint32_t pid, struct as_pprof_label *out);
	void *arg;
};

/*
 * @s as a gzipped profile in memory (what snapshot__write() writes, with
 * @opts, which may be NULL). Returns 0 and a malloc'd buffer in *@out of
 * *@len bytes, or a negative errno with a message in @err.
 */
int snapshot__encode(const struct as_snapshot *s,
		     const struct as_pprof_opts *opts, uint8_t **out,
		     size_t *len, char *err, size_t errlen);

/*
 * Reads a snapshot (or any gzipped or plain pprof heap profile). Returns 0
 * and a new snapshot in @out, or a negative errno with a one-line message
 * in @err.
 */
int snapshot__read(const char *path, struct as_snapshot **out, char *err,
		   size_t errlen);

/* Same, from memory (used by the fuzzer). */
int snapshot__read_mem(const void *data, size_t len, struct as_snapshot **out,
		       char *err, size_t errlen);

#endif
