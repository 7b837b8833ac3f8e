// SPDX-License-Identifier: MIT
/* Unit tests for u64map: against a brute-force reference. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "util/u64map.h"

static void test_set_get_del(void **state)
{
	struct as_u64map *m;
	uint64_t v = 0;

	(void)state;
	assert_int_equal(u64map__new(&m), 0);
	assert_false(u64map__get(m, 0, &v));
	assert_int_equal(u64map__set(m, 0, 7), 0);
	assert_int_equal(u64map__set(m, 0x7fff00001000ULL, 8), 0);
	assert_true(u64map__get(m, 0, &v));
	assert_int_equal(v, 7);
	assert_int_equal(u64map__set(m, 0, 9), 0);
	assert_true(u64map__get(m, 0, &v));
	assert_int_equal(v, 9);
	assert_int_equal(u64map__count(m), 2);
	assert_true(u64map__del(m, 0));
	assert_false(u64map__del(m, 0));
	assert_false(u64map__get(m, 0, NULL));
	assert_true(u64map__get(m, 0x7fff00001000ULL, &v));
	assert_int_equal(v, 8);
	assert_int_equal(u64map__count(m), 1);
	u64map__free(m);
}

static void sum_cb(uint64_t k, uint64_t v, void *ctx)
{
	uint64_t *sum = ctx;

	*sum += k ^ v;
}

static void test_many_with_churn(void **state)
{
	enum { N = 200000 };
	struct as_u64map *m;
	uint64_t i, v, sum = 0, want = 0;

	(void)state;
	assert_int_equal(u64map__new(&m), 0);
	for (i = 0; i < N; i++)
		assert_int_equal(u64map__set(m, i * 16 + 0x1000, i), 0);
	/* delete every other key, then reinsert a different half */
	for (i = 0; i < N; i += 2)
		assert_true(u64map__del(m, i * 16 + 0x1000));
	for (i = N; i < N + N / 2; i++)
		assert_int_equal(u64map__set(m, i * 16 + 0x1000, i), 0);
	assert_int_equal(u64map__count(m), N / 2 + N / 2);
	for (i = 0; i < N + N / 2; i++) {
		bool live = (i >= N) || (i & 1);

		assert_int_equal(u64map__get(m, i * 16 + 0x1000, &v), live);
		if (live) {
			assert_int_equal(v, i);
			want += (i * 16 + 0x1000) ^ i;
		}
	}
	u64map__for_each(m, sum_cb, &sum);
	assert_int_equal(sum, want);
	u64map__clear(m);
	assert_int_equal(u64map__count(m), 0);
	assert_false(u64map__get(m, 0x1010, NULL));
	u64map__free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_set_get_del),
	    cmocka_unit_test(test_many_with_churn),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
