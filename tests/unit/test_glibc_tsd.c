// SPDX-License-Identifier: MIT
/*
 * Unit tests for glibc_tsd: this machine's libc's thread_db descriptors
 * against what gdb says of struct pthread (libc6-dbg), the measured first
 * block against gdb's specific_1stblock, and the places it gives followed
 * in this process to the values pthread_setspecific() stored, for a key
 * in the first block and one past it.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "unwind/glibc_tsd.h"

#define LIBC "/lib/x86_64-linux-gnu/libc.so.6"

/* What gdb prints for @expr over libc's debug info. */
static long gdb_value(const char *expr)
{
	char cmd[512], line[256];
	long v = -1;
	FILE *f;

	snprintf(cmd, sizeof(cmd),
		 "gdb -batch -nx -ex 'print (long)(%s)' " LIBC " 2>/dev/null",
		 expr);
	f = popen(cmd, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		if (line[0] == '$')
			v = strtol(strchr(line, '=') + 1, NULL, 10);
	pclose(f);
	assert_true(v >= 0);
	return v;
}

#define GDB_OFFSET(field) gdb_value("&((struct pthread *)0)->" field)

static void test_descriptors_of_libc(void **state)
{
	struct as_tsd_layout l, mine;
	char path[PATH_MAX];
	struct stat got, want;

	(void)state;
	assert_int_equal(glibc_tsd__read(LIBC, &l), 0);
	assert_int_equal(l.sizeof_pthread, gdb_value("sizeof(struct pthread)"));
	assert_int_equal(l.specific, GDB_OFFSET("specific"));
	assert_int_equal(l.specific_count,
			 gdb_value("sizeof(((struct pthread *)0)->specific) / "
				   "sizeof(void *)"));
	assert_int_equal(l.key_data_size,
			 gdb_value("sizeof(struct pthread_key_data)"));
	assert_int_equal(l.key_data_data,
			 gdb_value("&((struct pthread_key_data *)0)->data"));
	/* PTHREAD_KEY_2NDLEVEL_SIZE, the first block's size */
	assert_int_equal(l.level2_count,
			 gdb_value("sizeof(((struct pthread *)0)->"
				   "specific_1stblock) / "
				   "sizeof(struct pthread_key_data)"));
	/* the process's own, through /proc */
	assert_int_equal(
	    glibc_tsd__of_process(getpid(), &mine, path, sizeof(path)), 0);
	assert_memory_equal(&mine, &l, sizeof(l));
	assert_int_equal(stat(path, &got), 0);
	assert_int_equal(stat(LIBC, &want), 0);
	assert_true(got.st_dev == want.st_dev && got.st_ino == want.st_ino);
	/* not glibc */
	assert_int_equal(glibc_tsd__read("/bin/true", &l), -ENOENT);
	assert_int_equal(glibc_tsd__read("/nonexistent", &l), -ENOENT);
}

static void test_self_measured(void **state)
{
	struct as_tsd_self self;

	(void)state;
	glibc_tsd__self(&self);
	assert_true(self.known);
	assert_int_equal(self.first, GDB_OFFSET("specific_1stblock") +
					 self.layout.key_data_data);
}

/* The value the place @p of a key gives in this thread, read as the BPF
 * side reads it. */
static const void *follow(const struct as_tsd_place *p)
{
	const uint8_t *tp = (const uint8_t *)pthread_self();
	const uint8_t *v;

	memcpy(&v, tp + p->off, sizeof(v));
	if (p->indirect && v)
		memcpy(&v, v + p->l2, sizeof(v));
	return v;
}

static void test_places_followed(void **state)
{
	static const int marks[48];
	struct as_tsd_layout other;
	struct as_tsd_place p;
	struct as_tsd_self self;
	pthread_key_t keys[48];

	(void)state;
	glibc_tsd__self(&self);
	for (int i = 0; i < 48; i++) {
		assert_int_equal(pthread_key_create(&keys[i], NULL), 0);
		assert_int_equal(pthread_setspecific(keys[i], &marks[i]), 0);
	}
	assert_true(keys[47] >= 32);
	for (int i = 0; i < 48; i++) {
		assert_int_equal(
		    glibc_tsd__place(&self, &self.layout, keys[i], &p), 0);
		/* one read in the first block of the same glibc */
		assert_int_equal(p.indirect, keys[i] >= 32);
		assert_ptr_equal(follow(&p), &marks[i]);
	}
	/* another glibc's layout: through specific[] for every key (the
	 * first block is specific[0]'s) */
	other = self.layout;
	other.sizeof_pthread += 64;
	assert_int_equal(glibc_tsd__place(&self, &other, keys[3], &p), 0);
	assert_true(p.indirect);
	assert_int_equal(p.off, self.layout.specific);
	assert_ptr_equal(follow(&p), &marks[3]);
	/* no layout: the first block only, taken to be this glibc's */
	assert_int_equal(glibc_tsd__place(&self, NULL, keys[3], &p), 0);
	assert_false(p.indirect);
	assert_ptr_equal(follow(&p), &marks[3]);
	assert_int_equal(glibc_tsd__place(&self, NULL, keys[40], &p), -ENOTSUP);
	/* past specific[] (PTHREAD_KEYS_MAX is 1024) */
	assert_int_equal(glibc_tsd__place(&self, &self.layout, 1024, &p),
			 -ENOTSUP);
	for (int i = 0; i < 48; i++)
		pthread_key_delete(keys[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_descriptors_of_libc),
	    cmocka_unit_test(test_self_measured),
	    cmocka_unit_test(test_places_followed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
