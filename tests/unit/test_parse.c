// SPDX-License-Identifier: MIT
/* Unit tests for parse: counts, byte sizes and durations. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "cli/parse.h"

static void test_uint(void **state)
{
	uint64_t v;

	(void)state;
	assert_int_equal(parse__uint("42", 100, &v), 0);
	assert_int_equal(v, 42);
	assert_int_equal(parse__uint("0", 100, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(parse__uint("101", 100, &v), -EINVAL);
	assert_int_equal(parse__uint("-1", 100, &v), -EINVAL);
	assert_int_equal(parse__uint("+1", 100, &v), -EINVAL);
	assert_int_equal(parse__uint(" 1", 100, &v), -EINVAL);
	assert_int_equal(parse__uint("1x", 100, &v), -EINVAL);
	assert_int_equal(parse__uint("", 100, &v), -EINVAL);
	assert_int_equal(parse__uint(NULL, 100, &v), -EINVAL);
	assert_int_equal(parse__uint("99999999999999999999999", UINT64_MAX, &v),
			 -EINVAL);
}

static void test_bytes(void **state)
{
	uint64_t v;

	(void)state;
	assert_int_equal(parse__bytes("4096", UINT64_MAX, &v), 0);
	assert_int_equal(v, 4096);
	assert_int_equal(parse__bytes("64K", UINT64_MAX, &v), 0);
	assert_int_equal(v, 65536);
	assert_int_equal(parse__bytes("64k", UINT64_MAX, &v), 0);
	assert_int_equal(v, 65536);
	assert_int_equal(parse__bytes("1MiB", UINT64_MAX, &v), 0);
	assert_int_equal(v, 1 << 20);
	assert_int_equal(parse__bytes("2G", UINT64_MAX, &v), 0);
	assert_int_equal(v, 2ULL << 30);
	assert_int_equal(parse__bytes("512B", UINT64_MAX, &v), 0);
	assert_int_equal(v, 512);
	assert_int_equal(parse__bytes("1T", UINT64_MAX, &v), -EINVAL);
	assert_int_equal(parse__bytes("1KB", UINT64_MAX, &v), -EINVAL);
	assert_int_equal(parse__bytes("K", UINT64_MAX, &v), -EINVAL);
	assert_int_equal(parse__bytes("5G", 4ULL << 30, &v), -EINVAL);
	assert_int_equal(parse__bytes("4G", 4ULL << 30, &v), 0);
	assert_int_equal(parse__bytes("-1", UINT64_MAX, &v), -EINVAL);
}

static void test_duration(void **state)
{
	double v;

	(void)state;
	assert_int_equal(parse__duration("5", 1e9, &v), 0);
	assert_true(v == 5);
	assert_int_equal(parse__duration("1.5", 1e9, &v), 0);
	assert_true(v == 1.5);
	assert_int_equal(parse__duration("30s", 1e9, &v), 0);
	assert_true(v == 30);
	assert_int_equal(parse__duration("500ms", 1e9, &v), 0);
	assert_true(v == 0.5);
	assert_int_equal(parse__duration("250us", 1e9, &v), 0);
	assert_true(v > 0.000249 && v < 0.000251);
	assert_int_equal(parse__duration("2m", 1e9, &v), 0);
	assert_true(v == 120);
	assert_int_equal(parse__duration("1h", 1e9, &v), 0);
	assert_true(v == 3600);
	assert_int_equal(parse__duration(".5s", 1e9, &v), 0);
	assert_true(v == 0.5);
	assert_int_equal(parse__duration("2h", 3600, &v), -EINVAL);
	assert_int_equal(parse__duration("-1", 1e9, &v), -EINVAL);
	assert_int_equal(parse__duration("5x", 1e9, &v), -EINVAL);
	assert_int_equal(parse__duration("s", 1e9, &v), -EINVAL);
	assert_int_equal(parse__duration("inf", 1e9, &v), -EINVAL);
	assert_int_equal(parse__duration("nan", 1e9, &v), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_uint),
	    cmocka_unit_test(test_bytes),
	    cmocka_unit_test(test_duration),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
