// SPDX-License-Identifier: MIT
/* Unit tests for purge_rules: which records of which image a purge takes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "collect/purge_rules.h"

static void test_nothing_pending(void **state)
{
	struct as_purge_rules *pr;

	(void)state;
	assert_int_equal(purge_rules__new(&pr), 0);
	assert_false(purge_rules__pending(pr));
	assert_false(purge_rules__doomed(pr, 1, 0));
	assert_false(purge_rules__doomed(pr, 1, UINT32_MAX));
	purge_rules__free(pr);
}

/* After an exec into image 2, images 0 and 1 go, 2 stays. */
static void test_exec_dooms_older_images(void **state)
{
	struct as_purge_rules *pr;

	(void)state;
	assert_int_equal(purge_rules__new(&pr), 0);
	assert_int_equal(purge_rules__mark_exec(pr, 5, 2), 0);
	assert_true(purge_rules__pending(pr));
	assert_true(purge_rules__doomed(pr, 5, 0));
	assert_true(purge_rules__doomed(pr, 5, 1));
	assert_false(purge_rules__doomed(pr, 5, 2));
	assert_false(purge_rules__doomed(pr, 5, 3));
	assert_false(purge_rules__doomed(pr, 6, 0));
	/* a second exec before the purge raises the bound */
	assert_int_equal(purge_rules__mark_exec(pr, 5, 3), 0);
	assert_true(purge_rules__doomed(pr, 5, 2));
	assert_false(purge_rules__doomed(pr, 5, 3));
	/* the events may come out of order: the bound never drops */
	assert_int_equal(purge_rules__mark_exec(pr, 5, 1), 0);
	assert_true(purge_rules__doomed(pr, 5, 2));
	purge_rules__done(pr);
	assert_false(purge_rules__pending(pr));
	assert_false(purge_rules__doomed(pr, 5, 0));
	purge_rules__free(pr);
}

/* An exit takes every image, even one exec'd into just before. */
static void test_exit_dooms_everything(void **state)
{
	struct as_purge_rules *pr;

	(void)state;
	assert_int_equal(purge_rules__new(&pr), 0);
	assert_int_equal(purge_rules__mark_exec(pr, 7, 4), 0);
	assert_int_equal(purge_rules__mark_exit(pr, 7), 0);
	assert_true(purge_rules__doomed(pr, 7, 4));
	assert_true(purge_rules__doomed(pr, 7, UINT32_MAX));
	assert_int_equal(purge_rules__mark_exec(pr, 7, 9), 0);
	assert_true(purge_rules__doomed(pr, 7, 9));
	assert_false(purge_rules__doomed(pr, 8, 0));
	purge_rules__free(pr);
}

/* Counters carry the image in their key, live blocks in their value. */
static void test_record_kinds(void **state)
{
	struct as_purge_rules *pr;
	struct as_stat_key sk = {.tgid = 5, .gen = 1, .stack = 77};
	struct as_alloc_key ak = {.tgid = 5, .addr = 0x1000};
	struct as_alloc_val av = {.size = 8, .gen = 2};

	(void)state;
	assert_int_equal(purge_rules__new(&pr), 0);
	assert_int_equal(purge_rules__mark_exec(pr, 5, 2), 0);
	assert_true(purge_rules__stat_doomed(pr, &sk));
	assert_false(purge_rules__alloc_doomed(pr, &ak, &av));
	av.gen = 1;
	assert_true(purge_rules__alloc_doomed(pr, &ak, &av));
	sk.gen = 2;
	assert_false(purge_rules__stat_doomed(pr, &sk));
	sk.tgid = 6;
	sk.gen = 0;
	assert_false(purge_rules__stat_doomed(pr, &sk));
	purge_rules__free(pr);
}

/* Reports skip the records of an image the process has left. */
static void test_replaced_images(void **state)
{
	struct as_purge_rules *pr;

	(void)state;
	assert_int_equal(purge_rules__new(&pr), 0);
	assert_false(purge_rules__replaced(pr, 5, 0));
	assert_int_equal(purge_rules__set_gen(pr, 5, 2), 0);
	assert_true(purge_rules__replaced(pr, 5, 1));
	assert_false(purge_rules__replaced(pr, 5, 2));
	assert_false(purge_rules__replaced(pr, 6, 1));
	assert_int_equal(purge_rules__set_gen(pr, 5, 3), 0);
	assert_true(purge_rules__replaced(pr, 5, 2));
	purge_rules__clear_gens(pr);
	assert_false(purge_rules__replaced(pr, 5, 2));
	purge_rules__free(pr);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_nothing_pending),
	    cmocka_unit_test(test_exec_dooms_older_images),
	    cmocka_unit_test(test_exit_dooms_everything),
	    cmocka_unit_test(test_record_kinds),
	    cmocka_unit_test(test_replaced_images),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
