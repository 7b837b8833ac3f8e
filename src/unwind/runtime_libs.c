// SPDX-License-Identifier: MIT
/*
 * runtime_libs.c - runtime call-site tables -> the BPF unwind maps.
 *
 * What to load and under which key is runtime_files'; this file builds
 * the tables (cfi_table) and writes the maps.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <linux/types.h>

#include "allocsnoop.h"
#include "symbolize/procmaps.h"
#include "unwind/cfi_table.h"
#include "unwind/runtime_files.h"
#include "unwind/runtime_libs.h"

struct as_runtime_libs {
	int files_fd, table_fd;
	bool verbose;
	struct as_runtime_files files;
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
	size_t n = 0;
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
	runtime_files__unwind_entries(e, n, module, keys, vals);
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
	int err;

	if (stat(path, &st))
		return -errno;
	key = runtime_files__key(st.st_dev, st.st_ino);
	if (runtime_files__loaded(&u->files, &key))
		return 0;
	err = runtime_files__next_module(&u->files);
	if (err < 0)
		return err;
	module = (__u32)err;
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
	runtime_files__add(&u->files, &key);
	return 0;
}

int runtime_libs__add_process(struct as_runtime_libs *u, pid_t pid,
			      const char *libc_path)
{
	char path[PATH_MAX];
	size_t i;
	int err;

	err = runtime_libs__add(u, libc_path);
	for (i = 0; i < runtime_files__nlibs(); i++) {
		if (pid > 0) {
			if (procmaps__find_lib(pid, runtime_files__lib(i), path,
					       sizeof(path)))
				continue;
		} else if (runtime_files__beside_libc(i, libc_path, path,
						      sizeof(path)) ||
			   access(path, R_OK)) {
			continue;
		}
		runtime_libs__add(u, path);
	}
	return err;
}
