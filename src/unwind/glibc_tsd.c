// SPDX-License-Identifier: MIT
/*
 * glibc_tsd.c - glibc's thread-specific data: its libthread_db
 * descriptors (nptl_db/db_info.c: DB_STRUCT, DB_STRUCT_FIELD,
 * DB_STRUCT_ARRAY_FIELD) read from a file, and the first block's place
 * measured in this process.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "symbolize/elfsym.h"
#include "symbolize/procmaps.h"
#include "unwind/glibc_tsd.h"

#define PTR_BITS 64 /* x86-64: specific[] holds 8-byte pointers */

/* One field's descriptor: size in bits, elements, offset. */
struct db_desc {
	uint32_t bits, count, offset;
};

static int desc_read(const char *path, const char *name, void *out, size_t len)
{
	struct as_elfsym s;
	int err = elfsym__lookup_object(path, name, &s);

	if (err)
		return err == -ENOENT || err == -ENOEXEC ? -ENOENT : err;
	if (s.size && s.size < len)
		return -EPROTO;
	return elfsym__read(path, s.file_offset, out, len);
}

int glibc_tsd__read(const char *path, struct as_tsd_layout *out)
{
	struct db_desc specific, data, level2;
	uint32_t size_pthread, size_data;
	int err;

	err = desc_read(path, "_thread_db_pthread_specific", &specific,
			sizeof(specific));
	err = err
		  ?: desc_read(path, "_thread_db_pthread_key_data_data", &data,
			       sizeof(data));
	err = err
		  ?: desc_read(path, "_thread_db_pthread_key_data_level2_data",
			       &level2, sizeof(level2));
	err = err
		  ?: desc_read(path, "_thread_db_sizeof_pthread", &size_pthread,
			       sizeof(size_pthread));
	err = err
		  ?: desc_read(path, "_thread_db_sizeof_pthread_key_data",
			       &size_data, sizeof(size_data));
	if (err)
		return err;
	/* specific[] is one field of pointers; the data a pointer; a
	 * block an array of key data */
	if (specific.bits % PTR_BITS || specific.count != 1 ||
	    data.bits != PTR_BITS || level2.bits != 8 * size_data ||
	    !level2.count || data.offset + 8 > size_data ||
	    specific.offset + specific.bits / 8 > size_pthread)
		return -EPROTO;
	*out = (struct as_tsd_layout){
	    .sizeof_pthread = size_pthread,
	    .specific = specific.offset,
	    .specific_count = specific.bits / PTR_BITS,
	    .key_data_size = size_data,
	    .key_data_data = data.offset,
	    .level2_count = level2.count,
	};
	return 0;
}

int glibc_tsd__of_process(pid_t pid, struct as_tsd_layout *out, char *path,
			  size_t len)
{
	/* the descriptors are in libc.so.6 since glibc 2.34, before in
	 * libpthread */
	static const char *const libs[] = {"libc.so.6", "libpthread.so.0"};
	int err = -ENOENT;

	for (size_t i = 0; i < sizeof(libs) / sizeof(libs[0]); i++) {
		err = procmaps__find_lib(pid, libs[i], path, len);
		if (err == -ESRCH)
			return err;
		if (err == 0 && (err = glibc_tsd__read(path, out)) != -ENOENT)
			return err;
	}
	return err;
}

/*
 * Where glibc keeps a key's value, measured on this process: a value set
 * for a new key is looked for in this thread's struct pthread, which
 * starts at the thread pointer (pthread_self() on x86-64).
 */
static int64_t measure_first(uint32_t stride, uint32_t first_keys)
{
	static const int marker;
	const uint8_t *self = (const uint8_t *)pthread_self();
	int64_t found = -1;
	pthread_key_t k;
	const void *v;

	if (pthread_key_create(&k, NULL))
		return -1;
	if (k < first_keys && !pthread_setspecific(k, &marker)) {
		/* struct pthread is over 2 KiB: the first block is in it */
		for (size_t off = 0; off < 2048; off += 8) {
			memcpy(&v, self + off, sizeof(v));
			if (v == &marker) {
				found = (int64_t)off - (int64_t)stride * k;
				break;
			}
		}
	}
	pthread_key_delete(k);
	return found;
}

void glibc_tsd__self(struct as_tsd_self *out)
{
	const uint8_t *self = (const uint8_t *)pthread_self();
	struct as_tsd_layout *l = &out->layout;
	char path[PATH_MAX];
	const uint8_t *block;
	bool read;

	memset(out, 0, sizeof(*out));
	read = glibc_tsd__of_process(getpid(), l, path, sizeof(path)) == 0;
	/* without descriptors: glibc's 16-byte key data, 32 in the block */
	out->first = read ? measure_first(l->key_data_size, l->level2_count)
			  : measure_first(16, 32);
	if (!read || out->first < 0)
		return;
	/* the block measured is the one specific[0] points to */
	memcpy(&block, self + l->specific, sizeof(block));
	out->known = block == self + out->first - l->key_data_data;
}

static bool same_layout(const struct as_tsd_layout *a,
			const struct as_tsd_layout *b)
{
	return a->sizeof_pthread == b->sizeof_pthread &&
	       a->specific == b->specific &&
	       a->specific_count == b->specific_count &&
	       a->key_data_size == b->key_data_size &&
	       a->key_data_data == b->key_data_data &&
	       a->level2_count == b->level2_count;
}

int glibc_tsd__place(const struct as_tsd_self *self,
		     const struct as_tsd_layout *layout, uint32_t key,
		     struct as_tsd_place *out)
{
	const struct as_tsd_layout *mine = &self->layout;
	/* without descriptors of its own: glibc's 16-byte key data, 32 of
	 * them in struct pthread */
	uint32_t stride = self->known ? mine->key_data_size : 16;
	uint32_t block = self->known ? mine->level2_count : 32;

	if (self->first >= 0 && key < block &&
	    (!layout || (self->known && same_layout(layout, mine)))) {
		/* the common case: one read */
		*out = (struct as_tsd_place){
		    .off = (uint64_t)(self->first + (int64_t)key * stride)};
		return 0;
	}
	if (!layout || key / layout->level2_count >= layout->specific_count)
		return -ENOTSUP;
	*out = (struct as_tsd_place){
	    .off = layout->specific + key / layout->level2_count * 8,
	    .l2 = key % layout->level2_count * layout->key_data_size +
		  layout->key_data_data,
	    .indirect = true,
	};
	return 0;
}
