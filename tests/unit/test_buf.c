// SPDX-License-Identifier: MIT
/* Unit tests for buf: array growth and the string builder. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util/buf.h"

static void test_reserve_doubles_and_keeps(void **state)
{
	int *a = NULL;
	size_t cap = 0, i;

	(void)state;
	assert_int_equal(BUF_RESERVE(a, cap, 1), 0);
	assert_int_equal(cap, 16);
	for (i = 0; i < 16; i++)
		a[i] = (int)i;
	assert_int_equal(BUF_RESERVE(a, cap, 16), 0);
	assert_int_equal(cap, 16);
	assert_int_equal(BUF_RESERVE(a, cap, 17), 0);
	assert_int_equal(cap, 32);
	assert_int_equal(BUF_RESERVE(a, cap, 1000), 0);
	assert_int_equal(cap, 1024);
	for (i = 0; i < 16; i++)
		assert_int_equal(a[i], (int)i);
	free(a);
}

static void test_reserve_overflow_fails_cleanly(void **state)
{
	char *a = malloc(16);
	size_t cap = 16;

	(void)state;
	assert_non_null(a);
	assert_int_equal(buf__reserve((void **)&a, &cap, SIZE_MAX, 8, 16),
			 -ENOMEM);
	assert_int_equal(cap, 16);
	free(a);
}

static void test_strbuf(void **state)
{
	struct as_strbuf sb = {0};

	(void)state;
	assert_int_equal(strbuf__reset(&sb), 0);
	assert_string_equal(sb.s, "");
	assert_int_equal(strbuf__add(&sb, "a.c"), 0);
	assert_int_equal(strbuf__addc(&sb, ':'), 0);
	assert_int_equal(strbuf__add_i64(&sb, -42), 0);
	assert_int_equal(strbuf__addc(&sb, ' '), 0);
	assert_int_equal(strbuf__add_u64(&sb, 0x1c, true, false), 0);
	assert_int_equal(strbuf__addc(&sb, ' '), 0);
	assert_int_equal(strbuf__add_i64(&sb, INT64_MIN), 0);
	assert_string_equal(sb.s, "a.c:-42 0x1c -9223372036854775808");
	assert_int_equal(sb.len, strlen(sb.s));
	assert_int_equal(strbuf__reset(&sb), 0);
	assert_int_equal(strbuf__addn(&sb, "xyz", 2), 0);
	assert_string_equal(sb.s, "xy");
	strbuf__free(&sb);
	assert_null(sb.s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_reserve_doubles_and_keeps),
	    cmocka_unit_test(test_reserve_overflow_fails_cleanly),
	    cmocka_unit_test(test_strbuf),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
