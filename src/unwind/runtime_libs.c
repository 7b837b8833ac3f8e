// SPDX-License-Identifier: MIT
/* runtime_libs.c - runtime call-site tables -> the BPF unwind maps. */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <linux/types.h>

#include "allocsnoop.h"
#include "symbolize/procmaps.h"
#include "trace/allocators.h"
#include "unwind/cfi_table.h"
#include "unwind/runtime_libs.h"

#define MAX_FILES 64

struct as_runtime_libs {
	int files_fd, table_fd;
	bool verbose;
	struct as_rt_file_key loaded[MAX_FILES];
	size_t nloaded;
};

int runtime_libs__new(int files_fd, int table_fd, bool verbose,
		      struct as_runtime_libs **out)
{
	struct as_runtime_libs *u = calloc(1, sizeof(*u));

	if (!u)
		return -ENOMEM;
	u->files_fd = files_fd;
	u->table_fd = table_fd;
	u->verbose = verbose;
	*out = u;
	return 0;
}

void runtime_libs__free(struct as_runtime_libs *u)
{
	free(u);
}

static int load_table(struct as_runtime_libs *u, const char *path, __u32 module)
{
	struct as_cfi_entry *e = NULL;
	struct as_unwind_key *keys = NULL;
	struct as_unwind_val *vals = NULL;
	size_t n = 0, i;
	__u32 count;
	int err;

	err = cfi_table__build(path, &e, &n);
	if (err)
		return err;
	keys = calloc(n ? n : 1, sizeof(*keys));
	vals = calloc(n ? n : 1, sizeof(*vals));
	if (!keys || !vals) {
		err = -ENOMEM;
		goto cleanup;
	}
	for (i = 0; i < n; i++) {
		keys[i] = (struct as_unwind_key){.module = module,
						 .offset = e[i].ret_offset};
		vals[i] = (struct as_unwind_val){.cfa_off = e[i].cfa_off,
						 .rbp_off = e[i].rbp_off,
						 .cfa_reg = e[i].cfa_reg};
	}
	count = (__u32)n;
	err =
	    n ? bpf_map_update_batch(u->table_fd, keys, vals, &count, NULL) : 0;
	if (u->verbose)
		fprintf(stderr,
			"allocsnoop: %s: %zu call sites to unwind through%s\n",
			path, n, err ? " (the unwind map is full)" : "");
cleanup:
	free(e);
	free(keys);
	free(vals);
	return err;
}

int runtime_libs__add(struct as_runtime_libs *u, const char *path)
{
	struct as_rt_file_key key;
	struct stat st;
	__u32 module;
	size_t i;
	int err;

	if (stat(path, &st))
		return -errno;
	/* the kernel's dev_t, as the BPF side reads it from the inode */
	key = (struct as_rt_file_key){
	    .dev = ((__u64)major(st.st_dev) << 20) | minor(st.st_dev),
	    .ino = st.st_ino,
	};
	for (i = 0; i < u->nloaded; i++)
		if (!memcmp(&u->loaded[i], &key, sizeof(key)))
			return 0;
	if (u->nloaded == MAX_FILES)
		return -ENOSPC;
	module = (__u32)u->nloaded;
	err = load_table(u, path, module);
	if (!err)
		err = bpf_map_update_elem(u->files_fd, &key, &module, BPF_ANY);
	if (err) {
		if (u->verbose)
			fprintf(stderr,
				"allocsnoop: %s: no unwind table (%s); "
				"allocations through it are charged to it\n",
				path, strerror(-err));
		return err;
	}
	u->loaded[u->nloaded++] = key;
	return 0;
}

int runtime_libs__add_process(struct as_runtime_libs *u, pid_t pid,
			      const char *libc_path)
{
	const struct as_runtime_lib *libs;
	char path[PATH_MAX], dir[PATH_MAX];
	size_t i, n;
	int err;

	err = runtime_libs__add(u, libc_path);
	/* the others whose frames are stepped through: those with a soname */
	libs = allocators__runtime_libs(&n);
	for (i = 0; i < n; i++) {
		if (!libs[i].soname)
			continue;
		if (pid > 0) {
			if (procmaps__find_lib(pid, libs[i].prefix, path,
					       sizeof(path)))
				continue;
		} else {
			/* next to the C library, with the usual soname */
			snprintf(dir, sizeof(dir), "%s", libc_path);
			snprintf(path, sizeof(path), "%s/%s", dirname(dir),
				 libs[i].soname);
			if (access(path, R_OK))
				continue;
		}
		runtime_libs__add(u, path);
	}
	return err;
}
