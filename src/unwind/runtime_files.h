/* SPDX-License-Identifier: MIT */
/*
 * runtime_files.h - which runtime libraries get unwind tables, where they
 * lie, their keys in the BPF maps, and which are loaded.
 *
 * Owned by runtime_libs, one set per as_runtime_libs. Nothing here reads
 * a file or a map: runtime_libs does that and asks this module what to
 * do, so all of it is tested without BPF.
 */
#ifndef ALLOCSNOOP_RUNTIME_FILES_H
#define ALLOCSNOOP_RUNTIME_FILES_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <linux/types.h>

#include "allocsnoop.h"
#include "unwind/cfi_table.h"

/* Files whose tables can be loaded (module ids 0..RUNTIME_FILES_MAX-1). */
#define RUNTIME_FILES_MAX 64

/* The files loaded, in module id order. */
struct as_runtime_files {
	struct as_rt_file_key loaded[RUNTIME_FILES_MAX];
	size_t n;
};

/*
 * The rt_files key of the file on device @dev with inode @ino: the
 * kernel's own dev_t encoding (major << 20 | minor), which the BPF side
 * reads from the inode, not glibc's.
 */
struct as_rt_file_key runtime_files__key(dev_t dev, ino_t ino);

bool runtime_files__loaded(const struct as_runtime_files *rf,
			   const struct as_rt_file_key *key);
/* The module id the next file gets, or -ENOSPC when the set is full. */
int runtime_files__next_module(const struct as_runtime_files *rf);
/* Adds @key as module runtime_files__next_module() (which must be >= 0). */
void runtime_files__add(struct as_runtime_files *rf,
			const struct as_rt_file_key *key);

/* How many runtime libraries besides libc are stepped through. */
size_t runtime_files__nlibs(void);
/* The basename prefix of library @i ("libstdc++.so"), to find it mapped. */
const char *runtime_files__lib(size_t i);
/*
 * The path of library @i next to the C library at @libc_path, under its
 * usual soname ("/usr/lib/x86_64-linux-gnu/libstdc++.so.6"). Returns 0
 * or -ENAMETOOLONG when it does not fit @len bytes.
 */
int runtime_files__beside_libc(size_t i, const char *libc_path, char *buf,
			       size_t len);

/* The unwind map entries of the @n call sites @e of module @module. */
void runtime_files__unwind_entries(const struct as_cfi_entry *e, size_t n,
				   __u32 module, struct as_unwind_key *keys,
				   struct as_unwind_val *vals);

#endif
