// SPDX-License-Identifier: MIT
/* Unit tests for ages and timeline: the time bookkeeping of the collector. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "collect/ages.h"
#include "collect/timeline.h"

#define S 1000000000ULL

static void test_ages_per_key(void **state)
{
	const struct as_ages_entry *e;
	struct as_ages *a;

	(void)state;
	/* now = 100 s; "old" is older than 30 s */
	assert_int_equal(ages__new(100 * S, 30 * S, &a), 0);
	assert_int_equal(ages__add(a, 7, 0, 0, 1, 10 * S, 1000, 1),
			 0); /* 90 s */
	assert_int_equal(ages__add(a, 7, 0, 0, 1, 90 * S, 500, 1),
			 0); /* 10 s */
	assert_int_equal(ages__add(a, 7, 0, 0, 1, 60 * S, 200, 2),
			 0);					      /* 40 s */
	assert_int_equal(ages__add(a, 7, 1, 0, 1, 99 * S, 64, 1), 0); /* 1 s */
	/* a pymalloc block of the same stack is a key of its own */
	assert_int_equal(ages__add(a, 7, 0, 1, 1, 50 * S, 16, 1), 0); /* 50 s */
	/* a block newer than the clock read counts as 0 s old */
	assert_int_equal(ages__add(a, 8, 0, 0, 1, 101 * S, 32, 1), 0);
	e = ages__get(a, 7, 0, 0, 1);
	assert_non_null(e);
	assert_int_equal(e->oldest_ns, 90 * S);
	assert_int_equal(e->old_size, 1200);
	assert_int_equal(e->old_count, 3);
	assert_int_equal(hist__total(&e->hist), 4);
	assert_int_equal(hist__count(&e->hist, hist__bucket(90 * S)), 1);
	assert_int_equal(hist__count(&e->hist, hist__bucket(40 * S)), 2);
	e = ages__get(a, 7, 0, 1, 1);
	assert_int_equal(e->oldest_ns, 50 * S);
	assert_int_equal(e->old_size, 16);
	e = ages__get(a, 7, 1, 0, 1);
	assert_int_equal(e->old_count, 0);
	assert_int_equal(e->oldest_ns, S);
	e = ages__get(a, 8, 0, 0, 1);
	assert_int_equal(e->oldest_ns, 0);
	assert_null(ages__get(a, 9, 0, 0, 1));
	ages__free(a);
}

static void test_timeline_bounded(void **state)
{
	const struct as_timeline_point *p;
	struct as_timeline *t;
	struct as_timeline_point pt = {0};
	size_t n, i;

	(void)state;
	assert_int_equal(timeline__new(&t), 0);
	for (i = 0; i < 3 * AS_TIMELINE_POINTS; i++) {
		pt.t_ms = (int64_t)i * 100;
		pt.current = (int64_t)i;
		assert_int_equal(timeline__add(t, 7, &pt), 0);
	}
	pt.t_ms = 5;
	assert_int_equal(timeline__add(t, 8, &pt), 0);
	p = timeline__get(t, 7, &n);
	assert_true(n <= AS_TIMELINE_POINTS && n > AS_TIMELINE_POINTS / 2);
	/* the whole span is kept, in order, at a coarser step */
	assert_int_equal(p[0].t_ms, 0);
	assert_true(p[n - 1].t_ms >= (3 * AS_TIMELINE_POINTS - 4) * 100);
	for (i = 1; i < n; i++)
		assert_true(p[i].t_ms > p[i - 1].t_ms);
	p = timeline__get(t, 8, &n);
	assert_int_equal(n, 1);
	timeline__forget(t, 7);
	timeline__get(t, 7, &n);
	assert_int_equal(n, 0);
	timeline__free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ages_per_key),
	    cmocka_unit_test(test_timeline_bounded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
