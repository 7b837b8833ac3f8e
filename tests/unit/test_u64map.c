// SPDX-License-Identifier: MIT
/* Unit tests for u64map: against a brute-force reference. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

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

/* Hashed keys: words whose hashes are forced to collide. */
static const char *const words[] = {"alpha", "beta", "gamma", "delta"};

static bool word_is(uint64_t value, const void *ctx)
{
	return strcmp(words[value], ctx) == 0;
}

static void test_hashed_keys_share_a_hash(void **state)
{
	struct as_u64map *m;
	uint64_t v = 99, i;

	(void)state;
	assert_int_equal(u64map__new(&m), 0);
	/* every word under one key: find must tell them apart */
	for (i = 0; i < 4; i++)
		assert_int_equal(u64map__add(m, 42, i), 0);
	assert_int_equal(u64map__count(m), 4);
	for (i = 0; i < 4; i++) {
		assert_true(u64map__find(m, 42, word_is, words[i], &v));
		assert_int_equal(v, i);
	}
	assert_false(u64map__find(m, 42, word_is, "epsilon", &v));
	assert_false(u64map__find(m, 43, word_is, "alpha", &v));
	u64map__free(m);
}

static void test_hashes(void **state)
{
	const char a[] = "0123456789abcdefX", b[] = "0123456789abcdefY";

	(void)state;
	assert_int_not_equal(u64map__hash_str(1, NULL),
			     u64map__hash_str(1, ""));
	assert_int_not_equal(u64map__hash_str(1, "ab"),
			     u64map__hash_str(1, "ba"));
	assert_int_equal(u64map__hash_bytes(a, 16), u64map__hash_bytes(b, 16));
	assert_int_not_equal(u64map__hash_bytes(a, 17),
			     u64map__hash_bytes(b, 17));
	assert_int_not_equal(u64map__hash_bytes(a, 3),
			     u64map__hash_bytes(a, 4));
	assert_int_not_equal(u64map__hash_u64(7, 1), u64map__hash_u64(7, 2));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_set_get_del),
	    cmocka_unit_test(test_many_with_churn),
	    cmocka_unit_test(test_hashed_keys_share_a_hash),
	    cmocka_unit_test(test_hashes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
