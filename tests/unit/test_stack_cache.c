// SPDX-License-Identifier: MIT
/* Unit tests for stack_cache: frames kept per stack hash, in one pool. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "collect/stack_cache.h"

static void test_add_then_get(void **state)
{
	struct as_stack_cache *sc;
	__u64 ips[3] = {0x401000, 0x402000, 0x403000};
	const __u64 *got, *kept;
	uint32_t nr = 99;

	(void)state;
	assert_int_equal(stack_cache__new(&sc), 0);
	assert_null(stack_cache__get(sc, 7, &nr));
	assert_int_equal(nr, 99);
	assert_int_equal(stack_cache__add(sc, 7, ips, 3, &kept), 0);
	/* a copy: the caller's buffer is reused for the next stack */
	ips[0] = 0;
	got = stack_cache__get(sc, 7, &nr);
	assert_ptr_equal(got, kept);
	assert_int_equal(nr, 3);
	assert_int_equal(got[0], 0x401000);
	assert_int_equal(got[2], 0x403000);
	assert_null(stack_cache__get(sc, 8, &nr));
	stack_cache__free(sc);
}

/* An empty stack is cached too: found, with no frames. */
static void test_empty_stack(void **state)
{
	struct as_stack_cache *sc;
	const __u64 *kept;
	uint32_t nr = 99;

	(void)state;
	assert_int_equal(stack_cache__new(&sc), 0);
	assert_int_equal(stack_cache__add(sc, 1, NULL, 0, &kept), 0);
	assert_non_null(kept);
	assert_non_null(stack_cache__get(sc, 1, &nr));
	assert_int_equal(nr, 0);
	stack_cache__free(sc);
}

static void test_depth_limit(void **state)
{
	static __u64 ips[STACK_CACHE_MAX_DEPTH + 1];
	struct as_stack_cache *sc;
	const __u64 *kept;
	uint32_t nr;

	(void)state;
	assert_int_equal(stack_cache__new(&sc), 0);
	ips[STACK_CACHE_MAX_DEPTH - 1] = 42;
	assert_int_equal(
	    stack_cache__add(sc, 1, ips, STACK_CACHE_MAX_DEPTH + 1, &kept),
	    -EINVAL);
	assert_null(stack_cache__get(sc, 1, &nr));
	assert_int_equal(
	    stack_cache__add(sc, 2, ips, STACK_CACHE_MAX_DEPTH, &kept), 0);
	assert_non_null(stack_cache__get(sc, 2, &nr));
	assert_int_equal(nr, STACK_CACHE_MAX_DEPTH);
	assert_int_equal(kept[STACK_CACHE_MAX_DEPTH - 1], 42);
	stack_cache__free(sc);
}

/* Thousands of stacks of every depth: the pool grows, every stack keeps
 * its own frames. */
static void test_many_stacks(void **state)
{
	struct as_stack_cache *sc;
	__u64 ips[64];
	const __u64 *kept, *got;
	uint32_t i, j, nr;

	(void)state;
	assert_int_equal(stack_cache__new(&sc), 0);
	for (i = 0; i < 20000; i++) {
		for (j = 0; j < i % 65; j++)
			ips[j] = (uint64_t)i << 16 | j;
		assert_int_equal(
		    stack_cache__add(sc, 0x9e3779b97f4a7c15ULL * (i + 1), ips,
				     i % 65, &kept),
		    0);
	}
	for (i = 0; i < 20000; i++) {
		got =
		    stack_cache__get(sc, 0x9e3779b97f4a7c15ULL * (i + 1), &nr);
		assert_non_null(got);
		assert_int_equal(nr, i % 65);
		for (j = 0; j < nr; j++)
			assert_int_equal(got[j], (uint64_t)i << 16 | j);
	}
	stack_cache__free(sc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_add_then_get),
	    cmocka_unit_test(test_empty_stack),
	    cmocka_unit_test(test_depth_limit),
	    cmocka_unit_test(test_many_stacks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
