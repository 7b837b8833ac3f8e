/* SPDX-License-Identifier: MIT */
/*
 * runtime_libs.h - load the unwind tables of the C/C++ runtime into BPF.
 *
 * Owned by the runtime_libs module. For each runtime library a traced process
 * maps (libc, libstdc++, libgcc_s), it builds the call-site table
 * (cfi_table.h) once and loads it into the BPF maps, keyed by a module id
 * that the BPF side finds from the file's device and inode. With it an
 * allocation made through strdup, fopen or operator new is charged to the
 * line that called them, not to the runtime.
 */
#ifndef ALLOCSNOOP_RTUNWIND_H
#define ALLOCSNOOP_RTUNWIND_H

#include <stdbool.h>
#include <sys/types.h>

struct as_runtime_libs;

/* @files_fd, @table_fd: the BPF maps rt_files and unwind. */
int runtime_libs__new(int files_fd, int table_fd, bool verbose,
		      struct as_runtime_libs **out);
void runtime_libs__free(struct as_runtime_libs *u);

/*
 * Loads the table of the file at @path, once per (device, inode). Returns
 * 0, or a negative errno (printed with -v; tracing goes on without it).
 */
int runtime_libs__add(struct as_runtime_libs *u, const char *path);

/*
 * Adds the runtime libraries that @pid maps (0: the system's, found next
 * to the C library at @libc_path).
 */
int runtime_libs__add_process(struct as_runtime_libs *u, pid_t pid,
			      const char *libc_path);

#endif
