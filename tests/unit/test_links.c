// SPDX-License-Identifier: MIT
/*
 * Unit tests for session: which errors send the tracer back to classic
 * probes, and the arguments rejected before any syscall.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "trace/links.h"

static void test_unsupported_errors(void **state)
{
	(void)state;
	/* a kernel before 6.13 (unknown attach type), or no uprobe_multi */
	assert_true(links__session_unsupported(-EINVAL));
	assert_true(links__session_unsupported(-EOPNOTSUPP));
	assert_true(
	    links__session_unsupported(-524)); /* the kernel's ENOTSUPP */
	/* failures classic uprobes would hit too: reported, not hidden */
	assert_false(links__session_unsupported(-EPERM));
	assert_false(links__session_unsupported(-EACCES));
	assert_false(links__session_unsupported(-ESRCH));
	assert_false(links__session_unsupported(-ENOENT));
	assert_false(links__session_unsupported(-EBADF));
	assert_false(links__session_unsupported(-ENOMEM));
	assert_false(links__session_unsupported(0));
	assert_false(links__session_unsupported(3));
}

static void test_bad_arguments(void **state)
{
	uint64_t off = 0x1000, cookie = 7;

	(void)state;
	assert_int_equal(links__session(-1, "/bin/true", &off, &cookie, 1, 0),
			 -EINVAL);
	assert_int_equal(links__session(3, NULL, &off, &cookie, 1, 0), -EINVAL);
	assert_int_equal(links__session(3, "/bin/true", NULL, &cookie, 1, 0),
			 -EINVAL);
	assert_int_equal(links__session(3, "/bin/true", &off, &cookie, 0, 0),
			 -EINVAL);
	/* -1 is libbpf's "every process"; uprobe_multi wants 0 */
	assert_int_equal(links__session(3, "/bin/true", &off, &cookie, 1, -1),
			 -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_unsupported_errors),
	    cmocka_unit_test(test_bad_arguments),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
