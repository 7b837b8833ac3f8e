// SPDX-License-Identifier: MIT
/* Unit tests for loc_index: locations by (pid, address), re-reads once. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "collect/loc_index.h"

static void test_by_pid_and_address(void **state)
{
	struct as_loc_index *li;
	uint32_t loc = 99;

	(void)state;
	assert_int_equal(loc_index__new(&li), 0);
	assert_false(loc_index__get(li, 1, 0x1000, &loc));
	assert_int_equal(loc, 99);
	assert_int_equal(loc_index__set(li, 1, 0x1000, 5), 0);
	/* one address, two processes: two locations */
	assert_int_equal(loc_index__set(li, 2, 0x1000, 6), 0);
	assert_true(loc_index__get(li, 1, 0x1000, &loc));
	assert_int_equal(loc, 5);
	assert_true(loc_index__get(li, 2, 0x1000, &loc));
	assert_int_equal(loc, 6);
	assert_true(loc_index__get(li, 1, 0x1000, &loc));
	assert_int_equal(loc, 5);
	assert_false(loc_index__get(li, 1, 0x1001, &loc));
	assert_false(loc_index__get(li, 3, 0x1000, &loc));
	/* a process seen last, then asked for after another */
	assert_int_equal(loc_index__set(li, 3, 0x2000, 7), 0);
	assert_false(loc_index__get(li, 2, 0x2000, &loc));
	assert_true(loc_index__get(li, 3, 0x2000, &loc));
	assert_int_equal(loc, 7);
	assert_int_equal(loc_index__set(li, 3, 0x2000, 8), 0);
	assert_true(loc_index__get(li, 3, 0x2000, &loc));
	assert_int_equal(loc, 8);
	loc_index__free(li);
}

/* Hundreds of processes, interleaved as a stats map mixes them. */
static void test_many_processes(void **state)
{
	struct as_loc_index *li;
	uint32_t pid, a, loc;

	(void)state;
	assert_int_equal(loc_index__new(&li), 0);
	for (a = 0; a < 100; a++)
		for (pid = 1; pid <= 300; pid++)
			assert_int_equal(loc_index__set(li, pid, 0x400000 + a,
							pid * 1000 + a),
					 0);
	for (pid = 300; pid >= 1; pid--)
		for (a = 0; a < 100; a++) {
			assert_true(
			    loc_index__get(li, pid, 0x400000 + a, &loc));
			assert_int_equal(loc, pid * 1000 + a);
		}
	loc_index__free(li);
}

static void test_first_refresh(void **state)
{
	struct as_loc_index *li;

	(void)state;
	assert_int_equal(loc_index__new(&li), 0);
	assert_int_equal(loc_index__first_refresh(li, 10), 1);
	assert_int_equal(loc_index__first_refresh(li, 10), 0);
	assert_int_equal(loc_index__first_refresh(li, 11), 1);
	assert_int_equal(loc_index__first_refresh(li, 10), 0);
	loc_index__free(li);
	/* a new collect: every process may be re-read again */
	assert_int_equal(loc_index__new(&li), 0);
	assert_int_equal(loc_index__first_refresh(li, 10), 1);
	loc_index__free(li);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_by_pid_and_address),
	    cmocka_unit_test(test_many_processes),
	    cmocka_unit_test(test_first_refresh),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
