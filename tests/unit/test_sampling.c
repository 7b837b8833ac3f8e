// SPDX-License-Identifier: MIT
/*
 * Unit tests for the sampling tables and the integer weight the
 * BPF programs compute from them (as_sample_weight, allocsnoop.h), against
 * the exact formulas in floating point.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "trace/sampling.h"

static __u64 draws[AS_SAMPLE_DRAWS], gain[AS_SAMPLE_GAIN_N + 1];

static void test_rejects_bad_intervals(void **state)
{
	(void)state;
	assert_int_equal(sampling__tables(0, draws, gain), -EINVAL);
	assert_int_equal(sampling__tables(AS_SAMPLE_BYTES_MAX + 1, draws, gain),
			 -EINVAL);
	assert_int_equal(sampling__tables(AS_SAMPLE_BYTES_MAX, draws, gain), 0);
}

/* The countdowns are Exp(N): mean N, and P(draw <= s) = 1 - e^(-s/N). */
static void test_draws_are_exponential(void **state)
{
	const uint64_t n = 65536;
	double sum = 0, s, below;
	int i, k;

	(void)state;
	assert_int_equal(sampling__tables(n, draws, gain), 0);
	for (i = 0; i < AS_SAMPLE_DRAWS; i++) {
		assert_true(draws[i] >= 1);
		if (i)
			assert_true(draws[i] >= draws[i - 1]);
		sum += (double)draws[i];
	}
	/* slice means: the table's mean is N up to rounding to bytes */
	assert_true(fabs(sum / AS_SAMPLE_DRAWS - n) < 0.5);
	for (s = n / 64.0; s < 8.0 * n; s *= 1.5) {
		for (k = 0, below = 0; k < AS_SAMPLE_DRAWS; k++)
			below += draws[k] <= s;
		assert_true(fabs(below / AS_SAMPLE_DRAWS - -expm1(-s / n)) <=
			    1.0 / AS_SAMPLE_DRAWS);
	}
	/* the smallest slice mean is about N / (2 * 4096) */
	assert_int_equal(draws[0], 8);
}

static void test_small_interval_draws_stay_positive(void **state)
{
	int i;

	(void)state;
	assert_int_equal(sampling__tables(1, draws, gain), 0);
	for (i = 0; i < AS_SAMPLE_DRAWS; i++)
		assert_true(draws[i] >= 1);
	assert_int_equal(draws[AS_SAMPLE_DRAWS - 1], 9); /* 1 + ln 8192 */
}

static void test_gain_table(void **state)
{
	int i;

	(void)state;
	assert_int_equal(sampling__tables(4096, draws, gain), 0);
	assert_int_equal(gain[0], 1ULL << AS_SAMPLE_GAIN_SHIFT); /* g(0) = 1 */
	/* g(1) = 1 / (1 - 1/e) at index 128 */
	assert_int_equal(
	    gain[128], llround(ldexp(1 / -expm1(-1.0), AS_SAMPLE_GAIN_SHIFT)));
	for (i = 1; i <= AS_SAMPLE_GAIN_N; i++)
		assert_true(gain[i] > gain[i - 1]);
}

/* S / (1 - e^(-S/N)) */
static double exact_weight(double s, double n)
{
	return s / -expm1(-s / n);
}

static void check_weights(uint64_t n)
{
	double s, w, ex;

	assert_int_equal(sampling__tables(n, draws, gain), 0);
	for (s = 1; s < AS_SAMPLE_X_EXACT * (double)n;
	     s = floor(s * 1.01) + 1) {
		w = (double)as_sample_weight(gain, n, (uint64_t)s);
		ex = exact_weight(s, (double)n);
		/* interpolation within 2e-6, plus a byte of rounding */
		assert_true(fabs(w - ex) <= 2e-6 * ex + 1);
		/* a sample never stands for less than itself */
		assert_true(w >= s);
	}
}

static void test_weights_match_formula(void **state)
{
	(void)state;
	check_weights(1);
	check_weights(4096);
	check_weights(65536);
	check_weights(1 << 20);
	check_weights(AS_SAMPLE_BYTES_MAX);
}

static void test_weights_far_above_interval_are_exact(void **state)
{
	(void)state;
	assert_int_equal(sampling__tables(65536, draws, gain), 0);
	assert_int_equal(as_sample_weight(gain, 65536, 2 << 20), 2 << 20);
	assert_int_equal(as_sample_weight(gain, 65536, 64 << 20), 64 << 20);
	assert_int_equal(as_sample_weight(gain, 65536, 1ULL << 40), 1ULL << 40);
	/* just below 32 N: e^-32 of 2 MiB is far below a byte */
	assert_int_equal(as_sample_weight(gain, 65536, (2 << 20) - 1),
			 (2 << 20) - 1);
	/* a tiny block stands for about N + s/2 bytes */
	assert_int_equal(as_sample_weight(gain, 65536, 16), 65544);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rejects_bad_intervals),
	    cmocka_unit_test(test_draws_are_exponential),
	    cmocka_unit_test(test_small_interval_draws_stay_positive),
	    cmocka_unit_test(test_gain_table),
	    cmocka_unit_test(test_weights_match_formula),
	    cmocka_unit_test(test_weights_far_above_interval_are_exact),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
