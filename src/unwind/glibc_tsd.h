/* SPDX-License-Identifier: MIT */
/*
 * glibc_tsd.h - where a thread's value of a pthread key is, in a process
 * of its own glibc: from the thread pointer (x86-64's fs base, where
 * struct pthread starts) through struct pthread's specific[], as the
 * libthread_db descriptors of that glibc lay it out.
 *
 * Owned by the glibc_tsd module. glibc exports, for libthread_db, a
 * descriptor of each field a debugger reads (nptl_db/structs.def: three
 * uint32 each, the field's size in bits, its element count and its
 * offset; a struct's size as one uint32), in libc.so.6 (libpthread.so.0
 * before 2.34). They are read from the file the process maps, so a
 * container's glibc gives its own. The first 32 keys also have a fixed
 * place in struct pthread (specific_1stblock), which no descriptor names:
 * it is measured in this process, and used for a process whose glibc
 * has the same descriptors. Keeps no state.
 */
#ifndef ALLOCSNOOP_GLIBC_TSD_H
#define ALLOCSNOOP_GLIBC_TSD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* A glibc's struct pthread, as far as keys go. */
struct as_tsd_layout {
	uint32_t sizeof_pthread;
	uint32_t specific;	 /* offset of specific[], the first level */
	uint32_t specific_count; /* its pointers */
	uint32_t key_data_size;	 /* sizeof(struct pthread_key_data) */
	uint32_t key_data_data;	 /* offset of its data */
	uint32_t level2_count;	 /* key data in one block of specific[] */
};

/* This process's own glibc: the layout, and where key 0's value is. */
struct as_tsd_self {
	int64_t first; /* thread pointer -> key 0's value; <0 unknown */
	bool known;    /* @layout read, and specific[0] is that block */
	struct as_tsd_layout layout;
};

/* Where a thread's value of one key is, from its thread pointer. */
struct as_tsd_place {
	uint64_t off; /* thread pointer + off holds it, or with
			 @indirect the block's pointer */
	uint32_t l2;  /* with @indirect: the block + l2 holds it */
	bool indirect;
};

/*
 * The layout from the descriptors of the glibc file @path. 0, -ENOENT
 * when it has none (not glibc, or one whose descriptors are in its
 * libpthread), -EPROTO when they are not what this module knows.
 */
int glibc_tsd__read(const char *path, struct as_tsd_layout *out);

/*
 * The layout of the glibc that @pid maps (libc.so.6, else libpthread),
 * read through /proc so that a container's own file is read; the path
 * read into @path. 0, -ENOENT, -ESRCH when the process is gone, -EPROTO.
 */
int glibc_tsd__of_process(pid_t pid, struct as_tsd_layout *out, char *path,
			  size_t len);

/* This process's glibc: measured, and its descriptors read. */
void glibc_tsd__self(struct as_tsd_self *out);

/*
 * Where the value of @key is in a process whose glibc has @layout (NULL
 * when it could not be read: then it is taken to be this process's).
 * The fixed place when @key is in the first block and @layout is this
 * process's, else through specific[]. 0; -ENOTSUP when neither can be
 * (a key past specific[], or no layout and a key past the first block).
 */
int glibc_tsd__place(const struct as_tsd_self *self,
		     const struct as_tsd_layout *layout, uint32_t key,
		     struct as_tsd_place *out);

#endif
