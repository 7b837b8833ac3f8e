// SPDX-License-Identifier: MIT
/*
 * Unit tests for python_offsets: the built-in table per minor version,
 * 3.13's _Py_DebugOffsets parsed from a buffer laid out as CPython 3.13.0
 * lays it out, and the layouts read from the DWARF of Debian's
 * python3.11 (python3.11-dbg, by build-id) equal to the table's.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <linux/types.h>

#include "allocsnoop.h"
#include "unwind/python_offsets.h"

static void put(uint8_t *buf, size_t at, uint64_t v)
{
	memcpy(buf + at, &v, sizeof(v));
}

static void test_table(void **state)
{
	struct as_py_layout l;

	(void)state;
	assert_int_equal(python_offsets__get(10, &l), -ENOTSUP);
	assert_int_equal(python_offsets__get(14, &l), -ENOTSUP);
	assert_int_equal(python_offsets__get(11, &l), 0);
	assert_int_equal(l.owner_cstack, AS_PY_NO_OWNER);
	assert_int_not_equal(l.cf_frame, AS_PY_NO_CFRAME);
	assert_int_equal(python_offsets__get(13, &l), 0);
	assert_int_equal(l.cf_frame, AS_PY_NO_CFRAME);
	assert_int_equal(l.owner_cstack, 3);
}

static void test_debug_offsets(void **state)
{
	uint8_t buf[AS_PY_DEBUG_OFFSETS_SIZE] = {0};
	struct as_py_layout l, table;

	(void)state;
	assert_int_equal(python_offsets__get(13, &table), 0);
	memcpy(buf, "xdebugpy", 8);
	put(buf, 8, 0x030d00f0); /* 3.13.0 */
	put(buf, 184, 0x48);	 /* thread_state.current_frame */
	put(buf, 232, 0x08);	 /* interpreter_frame.previous */
	put(buf, 240, 0x00);	 /* .executable */
	put(buf, 248, 0x38);	 /* .instr_ptr */
	put(buf, 264, 0x46);	 /* .owner */
	put(buf, 280, 0x70);	 /* code_object.filename */
	put(buf, 288, 0x78);
	put(buf, 296, 0x80);
	put(buf, 304, 0x88);
	put(buf, 312, 0x44);
	put(buf, 344, 0xc8); /* .co_code_adaptive */
	put(buf, 520, 0x10); /* bytes_object.ob_size */
	put(buf, 528, 0x20);
	put(buf, 544, 0x20); /* unicode_object.state */
	put(buf, 552, 0x10);
	put(buf, 560, 40); /* .asciiobject_size */
	l = table;
	assert_int_equal(python_offsets__from_debug(buf, sizeof(buf), &l), 0);
	assert_string_equal(l.source, "_Py_DebugOffsets");
	l.source = table.source;
	/* what 3.13.0 says is what the table holds */
	assert_memory_equal(&l, &table, sizeof(l));

	put(buf, 344, 0x10000); /* no offset is that big */
	assert_int_equal(python_offsets__from_debug(buf, sizeof(buf), &l),
			 -EINVAL);
	put(buf, 8, 0x030e00f0); /* 3.14 has another layout */
	assert_int_equal(python_offsets__from_debug(buf, sizeof(buf), &l),
			 -ENOTSUP);
	put(buf, 8, 0x030d00f0);
	put(buf, 16, 1); /* free-threaded */
	assert_int_equal(python_offsets__from_debug(buf, sizeof(buf), &l),
			 -ENOTSUP);
	buf[0] = 'y';
	assert_int_equal(python_offsets__from_debug(buf, sizeof(buf), &l),
			 -EINVAL);
	assert_int_equal(python_offsets__from_debug(buf, 100, &l), -EINVAL);
}

static void test_dwarf_debian_python(void **state)
{
	struct as_py_layout l, table;

	(void)state;
	assert_int_equal(python_offsets__get(11, &table), 0);
	l = table;
	/* what DWARF must give again */
	l.runtime_tss = 0;
	l.ts_frame = l.cf_frame = l.fr_code = l.fr_previous = 0;
	l.fr_instr = l.fr_owner = l.co_filename = l.co_qualname = 0;
	l.co_linetable = l.co_firstlineno = l.co_code_adaptive = 0;
	l.str_state = l.str_ascii_data = l.str_compact_data = 0;
	l.bytes_size = l.bytes_data = 0;
	/* scripts/install-deps installs python3.11-dbg */
	assert_int_equal(python_offsets__from_dwarf("/usr/bin/python3.11", &l),
			 0);
	assert_string_equal(l.source, "interpreter's DWARF");
	l.source = table.source;
	assert_memory_equal(&l, &table, sizeof(l));
	assert_int_equal(python_offsets__from_dwarf("/bin/true", &l), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_table),
	    cmocka_unit_test(test_debug_offsets),
	    cmocka_unit_test(test_dwarf_debian_python),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
