// SPDX-License-Identifier: MIT
/* Unit tests for hist: buckets as the kernel side counts them, sparse. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <linux/types.h>

#include "allocsnoop.h"
#include "profile/hist.h"

static void test_buckets_match_the_kernel_side(void **state)
{
	static const uint64_t ns[] = {0,
				      999,
				      1000,
				      1999,
				      2000,
				      3999,
				      4000,
				      1000000,
				      1048575999,
				      1048576000,
				      5000000000ULL,
				      (1ULL << 31) * 1000,
				      (1ULL << 32) * 1000,
				      UINT64_MAX};
	size_t i;

	(void)state;
	assert_int_equal(AS_HIST_BUCKETS, AS_LIFE_BUCKETS);
	for (i = 0; i < sizeof(ns) / sizeof(ns[0]); i++)
		assert_int_equal(hist__bucket(ns[i]), as_life_bucket(ns[i]));
	assert_int_equal(hist__bucket(1999), 0);
	assert_int_equal(hist__bucket(2000), 1);
	assert_int_equal(hist__bucket(1000000), 9); /* 1 ms: [512, 1024) us */
	assert_int_equal(hist__bucket(UINT64_MAX), AS_HIST_BUCKETS - 1);
	for (i = 1; i < AS_HIST_BUCKETS; i++) {
		assert_int_equal(hist__bucket(hist__bucket_start(i)), i);
		assert_int_equal(hist__bucket(hist__bucket_start(i) - 1),
				 i - 1);
	}
}

static void test_sparse_bins(void **state)
{
	struct as_hist h = {0}, g = {0}, c;

	(void)state;
	assert_int_equal(hist__add(&h, 9, 3), 0);
	assert_int_equal(hist__add(&h, 2, 1), 0);
	assert_int_equal(hist__add(&h, 9, 4), 0);
	assert_int_equal(hist__add(&h, 31, 1), 0);
	assert_int_equal(hist__add(&h, 5, 0), 0);
	assert_int_equal(hist__add(&h, 32, 1), -EINVAL);
	assert_int_equal(h.n, 3);
	assert_int_equal(hist__bin_bucket(&h, 0), 2);
	assert_int_equal(hist__bin_bucket(&h, 1), 9);
	assert_int_equal(hist__bin_count(&h, 1), 7);
	assert_int_equal(hist__count(&h, 9), 7);
	assert_int_equal(hist__count(&h, 5), 0);
	assert_int_equal(hist__total(&h), 9);
	assert_int_equal(hist__add(&g, 5, 2), 0);
	assert_int_equal(hist__merge(&g, &h), 0);
	assert_int_equal(g.n, 4);
	assert_int_equal(hist__total(&g), 11);
	assert_int_equal(hist__copy(&c, &g), 0);
	assert_int_equal(hist__count(&c, 31), 1);
	hist__free(&c);
	hist__free(&g);
	hist__free(&h);
	assert_null(h.bins);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_buckets_match_the_kernel_side),
	    cmocka_unit_test(test_sparse_bins),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
