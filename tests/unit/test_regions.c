// SPDX-License-Identifier: MIT
/* Unit tests for regions: mmap'd regions cut, moved and charged exactly. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "collect/regions.h"

#define K 4096ULL
#define A 0x7f0000000000ULL

static const struct as_region_stat *stat_of(const struct as_regions *r,
					    uint64_t stack)
{
	const struct as_region_stat *st;
	size_t n, i;

	st = regions__stats(r, &n);
	for (i = 0; i < n; i++)
		if (st[i].stack == stack)
			return &st[i];
	fail_msg("no stat for stack %llu", (unsigned long long)stack);
	return NULL;
}

static void expect(const struct as_regions *r, uint64_t stack, int64_t size,
		   int64_t count, uint64_t alloc_size, uint64_t alloc_count)
{
	const struct as_region_stat *s = stat_of(r, stack);

	assert_int_equal(s->size, size);
	assert_int_equal(s->count, count);
	assert_int_equal(s->alloc_size, alloc_size);
	assert_int_equal(s->alloc_count, alloc_count);
}

static void test_partial_unmaps(void **state)
{
	struct as_regions *r;

	(void)state;
	assert_int_equal(regions__new(&r), 0);
	assert_int_equal(regions__map(r, 7, 0, 1, A, 16 * K, 0), 0);
	expect(r, 1, 16 * K, 1, 16 * K, 1);
	/* head, tail, then the middle: still one region, in two pieces */
	assert_int_equal(regions__unmap(r, 7, A, 2 * K), 0);
	expect(r, 1, 14 * K, 1, 16 * K, 1);
	assert_int_equal(regions__unmap(r, 7, A + 14 * K, 2 * K), 0);
	expect(r, 1, 12 * K, 1, 16 * K, 1);
	assert_int_equal(regions__unmap(r, 7, A + 6 * K, 4 * K), 0);
	expect(r, 1, 8 * K, 1, 16 * K, 1);
	/* a range over the hole and both pieces' edges */
	assert_int_equal(regions__unmap(r, 7, A + 5 * K, 6 * K), 0);
	expect(r, 1, 6 * K, 1, 16 * K, 1);
	/* untracked ranges and other processes change nothing */
	assert_int_equal(regions__unmap(r, 7, A + 100 * K, K), 0);
	assert_int_equal(regions__unmap(r, 8, A, 16 * K), 0);
	expect(r, 1, 6 * K, 1, 16 * K, 1);
	assert_int_equal(regions__proc(r, 7)->current, 6 * K);
	assert_int_equal(regions__proc(r, 7)->peak, 16 * K);
	/* the rest goes in one call: the region ends */
	assert_int_equal(regions__unmap(r, 7, A, 16 * K), 0);
	expect(r, 1, 0, 0, 16 * K, 1);
	assert_int_equal(regions__proc(r, 7)->current, 0);
	assert_int_equal(regions__proc(r, 7)->unmaps, 1);
	assert_null(regions__proc(r, 9));
	regions__free(r);
}

static void test_remap_moves_and_grows(void **state)
{
	struct as_regions *r;

	(void)state;
	assert_int_equal(regions__new(&r), 0);
	assert_int_equal(regions__map(r, 7, 0, 1, A, 8 * K, 0), 0);
	/* grown and moved: the grown part is allocated by its stack */
	assert_int_equal(regions__remap(r, 7, A, 8 * K, A + 64 * K, 12 * K), 0);
	expect(r, 1, 12 * K, 1, 12 * K, 1);
	/* the old place is empty, the new one tracked */
	assert_int_equal(regions__unmap(r, 7, A, 8 * K), 0);
	expect(r, 1, 12 * K, 1, 12 * K, 1);
	/* shrunk in place */
	assert_int_equal(
	    regions__remap(r, 7, A + 64 * K, 12 * K, A + 64 * K, 4 * K), 0);
	expect(r, 1, 4 * K, 1, 12 * K, 1);
	assert_int_equal(regions__proc(r, 7)->peak, 12 * K);
	/* an untracked source is nobody's */
	assert_int_equal(regions__remap(r, 7, A + 512 * K, K, A, 2 * K), 0);
	assert_int_equal(regions__unmap(r, 7, A + 64 * K, 4 * K), 0);
	expect(r, 1, 0, 0, 12 * K, 1);
	regions__free(r);
}

static void test_fixed_map_replaces(void **state)
{
	struct as_regions *r;

	(void)state;
	assert_int_equal(regions__new(&r), 0);
	assert_int_equal(regions__map(r, 7, 0, 1, A, 8 * K, 0), 0);
	assert_int_equal(regions__map(r, 7, 0, 2, A + 4 * K, 8 * K, 0), 0);
	expect(r, 1, 4 * K, 1, 8 * K, 1);
	expect(r, 2, 8 * K, 1, 8 * K, 1);
	assert_int_equal(regions__proc(r, 7)->current, 12 * K);
	assert_int_equal(regions__map(r, 7, 0, 2, A, 16 * K, 0), 0);
	expect(r, 1, 0, 0, 8 * K, 1);
	expect(r, 2, 16 * K, 1, 16 * K + 8 * K, 2);
	assert_int_equal(regions__map(r, 7, 0, 3, A, 0, 0), -EINVAL);
	regions__free(r);
}

struct seen {
	uint64_t bytes[4], firsts[4], ts[4]; /* by stack */
};

static int see(const struct as_region_piece *pc, void *ctx)
{
	struct seen *s = ctx;

	s->bytes[pc->stack] += pc->bytes;
	s->firsts[pc->stack] += pc->first;
	s->ts[pc->stack] = pc->ts_ns;
	return 0;
}

/* A region cut in two is met as two pieces, first once, with its time. */
static void test_pieces_carry_their_region_s_time(void **state)
{
	struct as_regions *r;
	struct seen s = {0};
	int pass;

	(void)state;
	assert_int_equal(regions__new(&r), 0);
	assert_int_equal(regions__map(r, 7, 0, 1, A, 16 * K, 1000), 0);
	assert_int_equal(regions__map(r, 7, 0, 2, A + 64 * K, 4 * K, 2000), 0);
	assert_int_equal(regions__unmap(r, 7, A + 4 * K, 4 * K), 0);
	for (pass = 1; pass <= 2; pass++) {
		assert_int_equal(regions__for_each_piece(r, see, &s), 0);
		assert_int_equal(s.bytes[1], pass * 12 * K);
		assert_int_equal(s.firsts[1], pass);
		assert_int_equal(s.ts[1], 1000);
		assert_int_equal(s.bytes[2], pass * 4 * K);
		assert_int_equal(s.firsts[2], pass);
		assert_int_equal(s.ts[2], 2000);
	}
	regions__free(r);
}

static void test_forget_images(void **state)
{
	struct as_regions *r;

	(void)state;
	assert_int_equal(regions__new(&r), 0);
	assert_int_equal(regions__map(r, 7, 0, 1, A, 8 * K, 0), 0);
	assert_int_equal(regions__map(r, 7, 1, 2, A + 64 * K, 4 * K, 0), 0);
	/* exec: the first image's regions are gone with it */
	regions__forget(r, 7, 1);
	expect(r, 1, 0, 0, 0, 0);
	expect(r, 2, 4 * K, 1, 4 * K, 1);
	assert_int_equal(regions__proc(r, 7)->current, 4 * K);
	/* many regions churned reuse their slots */
	for (int i = 0; i < 1000; i++) {
		assert_int_equal(regions__map(r, 7, 1, 3, A + 128 * K, K, 0),
				 0);
		assert_int_equal(regions__unmap(r, 7, A + 128 * K, K), 0);
	}
	expect(r, 3, 0, 0, 1000 * K, 1000);
	regions__forget(r, 7, UINT32_MAX);
	assert_int_equal(regions__proc(r, 7)->current, 0);
	regions__free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_partial_unmaps),
	    cmocka_unit_test(test_remap_moves_and_grows),
	    cmocka_unit_test(test_fixed_map_replaces),
	    cmocka_unit_test(test_forget_images),
	    cmocka_unit_test(test_pieces_carry_their_region_s_time),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
