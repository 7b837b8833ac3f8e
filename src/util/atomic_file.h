/* SPDX-License-Identifier: MIT */
/*
 * atomic_file.h - replace a file whole or not at all.
 *
 * Owned by the atomic_file module. The content goes to a temp file in the
 * target's own directory (a rename cannot cross file systems), private
 * (mode 0600) from its creation, is fsync'd, renamed over the target, and
 * the directory is fsync'd so that the rename survives a crash. A reader
 * sees the old file or the new one, never part of one; a failure leaves
 * no temp file behind.
 */
#ifndef ALLOCSNOOP_ATOMIC_FILE_H
#define ALLOCSNOOP_ATOMIC_FILE_H

#include <stddef.h>

/* Writes the content into @fd; returns 0 or a negative errno. */
typedef int (*atomic_file_fill_fn)(int fd, void *ctx);

/*
 * Writes what @fill puts into its descriptor to @path atomically, mode
 * 0600. @what names the content in messages ("snapshot"). Returns 0 or a
 * negative errno; on error @err (if not NULL) receives a message of at
 * most @errlen bytes saying what failed, why, and what to do.
 */
int atomic_file__write(const char *path, const char *what,
		       atomic_file_fill_fn fill, void *ctx, char *err,
		       size_t errlen);

/* The same for a file meant to be shared (a page to open in a
 * browser): the usual mode, 0666 less the umask. */
int atomic_file__write_shared(const char *path, const char *what,
			      atomic_file_fill_fn fill, void *ctx, char *err,
			      size_t errlen);

/* write(2) until all @n bytes are out (EINTR retried); 0 or -errno. */
int atomic_file__write_all(int fd, const void *p, size_t n);

#endif
