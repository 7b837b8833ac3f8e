// SPDX-License-Identifier: MIT
/*
 * Unit tests for runtime_files: the kernel's dev_t in the BPF key, the
 * loaded set, library paths next to libc, unwind map entries.
 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/sysmacros.h>

#include <cmocka.h>

#include "unwind/runtime_files.h"

static void test_key_uses_the_kernel_dev_t(void **state)
{
	struct as_rt_file_key k;

	(void)state;
	/* not glibc's dev_t layout: the kernel's, major above bit 20 */
	k = runtime_files__key(makedev(259, 3), 1234);
	assert_int_equal(k.dev, (259ULL << 20) | 3);
	assert_int_equal(k.ino, 1234);
	k = runtime_files__key(makedev(8, 0x12345), 1);
	assert_int_equal(k.dev, (8ULL << 20) | 0x12345);
}

static void test_loaded_set(void **state)
{
	struct as_runtime_files rf = {0};
	struct as_rt_file_key a = {.dev = 1, .ino = 2};
	struct as_rt_file_key b = {.dev = 1, .ino = 3};
	int i;

	(void)state;
	assert_false(runtime_files__loaded(&rf, &a));
	assert_int_equal(runtime_files__next_module(&rf), 0);
	runtime_files__add(&rf, &a);
	assert_true(runtime_files__loaded(&rf, &a));
	assert_false(runtime_files__loaded(&rf, &b));
	assert_int_equal(runtime_files__next_module(&rf), 1);
	for (i = 1; i < RUNTIME_FILES_MAX; i++) {
		b.ino = 100 + (uint64_t)i;
		assert_int_equal(runtime_files__next_module(&rf), i);
		runtime_files__add(&rf, &b);
	}
	assert_int_equal(runtime_files__next_module(&rf), -ENOSPC);
	assert_true(runtime_files__loaded(&rf, &b));
}

static void test_libs_beside_libc(void **state)
{
	char buf[PATH_MAX], small[24];
	size_t i, n = runtime_files__nlibs();
	bool stdcxx = false, gcc_s = false;

	(void)state;
	assert_true(n >= 2);
	for (i = 0; i < n; i++) {
		assert_int_equal(runtime_files__beside_libc(
				     i, "/usr/lib/x86_64-linux-gnu/libc.so.6",
				     buf, sizeof(buf)),
				 0);
		assert_int_equal(strncmp(buf, "/usr/lib/x86_64-linux-gnu/", 26),
				 0);
		/* found mapped by the same prefix */
		assert_int_equal(strncmp(buf + 26, runtime_files__lib(i),
					 strlen(runtime_files__lib(i))),
				 0);
		stdcxx |= strcmp(buf + 26, "libstdc++.so.6") == 0;
		gcc_s |= strcmp(buf + 26, "libgcc_s.so.1") == 0;
	}
	assert_true(stdcxx);
	assert_true(gcc_s);
	assert_int_equal(
	    runtime_files__beside_libc(0, "libc.so.6", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "./libstdc++.so.6");
	assert_int_equal(
	    runtime_files__beside_libc(0, "/libc.so.6", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "//libstdc++.so.6");
	assert_int_equal(
	    runtime_files__beside_libc(0, "/usr/lib/x86_64-linux-gnu/libc.so.6",
				       small, sizeof(small)),
	    -ENAMETOOLONG);
}

static void test_unwind_entries(void **state)
{
	const struct as_cfi_entry e[2] = {
	    {.ret_offset = 0x1234,
	     .cfa_off = 16,
	     .rbp_off = -16,
	     .cfa_reg = AS_UNWIND_CFA_RSP},
	    {.ret_offset = 0x5678,
	     .cfa_off = -40000,
	     .rbp_off = 0,
	     .cfa_reg = AS_UNWIND_CFA_RBP},
	};
	struct as_unwind_key keys[2];
	struct as_unwind_val vals[2];

	(void)state;
	memset(keys, 0xff, sizeof(keys));
	memset(vals, 0xff, sizeof(vals));
	runtime_files__unwind_entries(e, 2, 7, keys, vals);
	assert_int_equal(keys[0].module, 7);
	assert_int_equal(keys[0].offset, 0x1234);
	/* padding is zero: the BPF side looks the key up whole */
	assert_int_equal(keys[0].pad, 0);
	assert_int_equal(keys[1].offset, 0x5678);
	assert_int_equal(vals[0].cfa_off, 16);
	assert_int_equal(vals[0].rbp_off, -16);
	assert_int_equal(vals[0].cfa_reg, AS_UNWIND_CFA_RSP);
	assert_int_equal(vals[0].pad, 0);
	assert_int_equal(vals[1].cfa_off, -40000);
	assert_int_equal(vals[1].rbp_off, 0);
	assert_int_equal(vals[1].cfa_reg, AS_UNWIND_CFA_RBP);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_key_uses_the_kernel_dev_t),
	    cmocka_unit_test(test_loaded_set),
	    cmocka_unit_test(test_libs_beside_libc),
	    cmocka_unit_test(test_unwind_entries),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
