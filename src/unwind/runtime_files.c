// SPDX-License-Identifier: MIT
/* runtime_files.c - runtime library names, keys and the loaded set. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/sysmacros.h>

#include "trace/allocators.h"
#include "unwind/runtime_files.h"

/* The runtime libraries besides libc, and the soname they usually have. */
/* The runtime libraries besides libc whose frames are stepped through:
 * those of the allocator table's runtime list with a soname. */
static const struct as_runtime_lib *lib_at(size_t i)
{
	const struct as_runtime_lib *libs;
	size_t n, j;

	libs = allocators__runtime_libs(&n);
	for (j = 0; j < n; j++)
		if (libs[j].soname && i-- == 0)
			return &libs[j];
	return NULL;
}

struct as_rt_file_key runtime_files__key(dev_t dev, ino_t ino)
{
	return (struct as_rt_file_key){
	    .dev = ((__u64)major(dev) << 20) | minor(dev),
	    .ino = ino,
	};
}

bool runtime_files__loaded(const struct as_runtime_files *rf,
			   const struct as_rt_file_key *key)
{
	size_t i;

	for (i = 0; i < rf->n; i++)
		if (rf->loaded[i].dev == key->dev &&
		    rf->loaded[i].ino == key->ino)
			return true;
	return false;
}

int runtime_files__next_module(const struct as_runtime_files *rf)
{
	return rf->n < RUNTIME_FILES_MAX ? (int)rf->n : -ENOSPC;
}

void runtime_files__add(struct as_runtime_files *rf,
			const struct as_rt_file_key *key)
{
	rf->loaded[rf->n++] = *key;
}

size_t runtime_files__nlibs(void)
{
	size_t n = 0;

	while (lib_at(n))
		n++;
	return n;
}

const char *runtime_files__lib(size_t i)
{
	return lib_at(i)->prefix;
}

int runtime_files__beside_libc(size_t i, const char *libc_path, char *buf,
			       size_t len)
{
	const char *slash = strrchr(libc_path, '/');
	int dirlen = slash ? (int)(slash - libc_path) : 1;
	int n;

	/* as dirname(): "/" for a file in the root, "." without a slash */
	if (slash == libc_path)
		dirlen = 1;
	n = snprintf(buf, len, "%.*s/%s", dirlen, slash ? libc_path : ".",
		     lib_at(i)->soname);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

void runtime_files__unwind_entries(const struct as_cfi_entry *e, size_t n,
				   __u32 module, struct as_unwind_key *keys,
				   struct as_unwind_val *vals)
{
	size_t i;

	for (i = 0; i < n; i++) {
		keys[i] = (struct as_unwind_key){.module = module,
						 .offset = e[i].ret_offset};
		vals[i] = (struct as_unwind_val){.cfa_off = e[i].cfa_off,
						 .rbp_off = e[i].rbp_off,
						 .cfa_reg = e[i].cfa_reg};
	}
}
