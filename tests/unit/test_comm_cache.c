// SPDX-License-Identifier: MIT
/* Unit tests for comm_cache: process names by pid, kept and replaced. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "collect/comm_cache.h"

static void test_set_get_replace(void **state)
{
	struct as_comm_cache *cc;

	(void)state;
	assert_int_equal(comm_cache__new(&cc), 0);
	assert_null(comm_cache__get(cc, 42));
	assert_int_equal(comm_cache__set(cc, 42, "orders"), 0);
	assert_string_equal(comm_cache__get(cc, 42), "orders");
	/* exec: the new image's name */
	assert_int_equal(comm_cache__set(cc, 42, "threads"), 0);
	assert_string_equal(comm_cache__get(cc, 42), "threads");
	assert_int_equal(comm_cache__set(cc, 43, ""), 0);
	assert_string_equal(comm_cache__get(cc, 43), "");
	assert_null(comm_cache__get(cc, 44));
	comm_cache__free(cc);
}

static void test_long_name_is_cut(void **state)
{
	struct as_comm_cache *cc;

	(void)state;
	assert_int_equal(comm_cache__new(&cc), 0);
	assert_int_equal(comm_cache__set(cc, 1, "a-very-long-process-name"), 0);
	assert_int_equal(strlen(comm_cache__get(cc, 1)), COMM_CACHE_MAX_LEN);
	assert_string_equal(comm_cache__get(cc, 1), "a-very-long-pro");
	comm_cache__free(cc);
}

/* A system-wide trace sees thousands of processes. */
static void test_many(void **state)
{
	struct as_comm_cache *cc;
	char name[16];
	uint32_t pid;

	(void)state;
	assert_int_equal(comm_cache__new(&cc), 0);
	for (pid = 1; pid <= 5000; pid++) {
		snprintf(name, sizeof(name), "p%u", pid);
		assert_int_equal(comm_cache__set(cc, pid, name), 0);
	}
	for (pid = 5000; pid >= 1; pid--) {
		snprintf(name, sizeof(name), "p%u", pid);
		assert_string_equal(comm_cache__get(cc, pid), name);
	}
	comm_cache__free(cc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_set_get_replace),
	    cmocka_unit_test(test_long_name_is_cut),
	    cmocka_unit_test(test_many),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
