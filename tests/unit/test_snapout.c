// SPDX-License-Identifier: MIT
/* Unit tests for snapout: -o patterns and the check before tracing. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "cli/snapout.h"

static void test_expand(void **state)
{
	char buf[256], want[64];
	struct tm tm;
	time_t now = time(NULL);

	(void)state;
	snapout__expand("snap-%n-%p.pb.gz", "4242", 7, buf, sizeof(buf));
	assert_string_equal(buf, "snap-7-4242.pb.gz");
	snapout__expand("%%x%q%", "all", 1, buf, sizeof(buf));
	assert_string_equal(buf, "%xq%");
	snapout__expand("t-%t", "all", 1, buf, sizeof(buf));
	localtime_r(&now, &tm);
	strftime(want, sizeof(want), "t-%Y%m%d-", &tm);
	assert_memory_equal(buf, want, strlen(want));
	assert_int_equal(strlen(buf), strlen("t-YYYYmmdd-HHMMSS"));
	/* never past the buffer */
	snapout__expand("abcdefgh%n", "all", 123456, buf, 6);
	assert_string_equal(buf, "abcde");
}

static void test_check(void **state)
{
	struct as_snapout *so;
	char dir[] = "/tmp/snapout-XXXXXX", pat[128], file[160];
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(pat, sizeof(pat), "%s/s-%%n.pb.gz", dir);
	assert_int_equal(snapout__new(pat, "all", false, &so), 0);
	assert_int_equal(snapout__check(so), 0);
	assert_int_equal(snapout__lost(so), 0);
	snapout__free(so);

	snprintf(pat, sizeof(pat), "%s/missing/s.pb.gz", dir);
	assert_int_equal(snapout__new(pat, "all", false, &so), 0);
	assert_int_equal(snapout__check(so), -ENOENT);
	snapout__free(so);

	/* a file where the directory should be */
	snprintf(file, sizeof(file), "%s/plain", dir);
	f = fopen(file, "w");
	assert_non_null(f);
	fclose(f);
	snprintf(pat, sizeof(pat), "%s/plain/s.pb.gz", dir);
	assert_int_equal(snapout__new(pat, "all", false, &so), 0);
	assert_int_equal(snapout__check(so), -ENOTDIR);
	snapout__free(so);
	unlink(file);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_expand),
	    cmocka_unit_test(test_check),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
