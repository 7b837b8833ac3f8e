// SPDX-License-Identifier: MIT
/*
 * Unit tests for python_offsets: the built-in table per minor version,
 * 3.13's _Py_DebugOffsets parsed from a buffer laid out as CPython 3.13.0
 * lays it out, and the layouts read from the DWARF of Debian's
 * python3.11 (python3.11-dbg, by build-id) and of every pyenv build of
 * 3.10 to 3.13 present equal to the table's.
 */
#include <errno.h>
#include <glob.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
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
	assert_int_equal(python_offsets__get(9, &l), -ENOTSUP);
	assert_int_equal(python_offsets__get(14, &l), -ENOTSUP);
	/* 3.10: PyFrameObjects from the thread state, f_lasti an index */
	assert_int_equal(python_offsets__get(10, &l), 0);
	assert_int_equal(l.flags, AS_PY_F_LASTI | AS_PY_F_EACH_RUN);
	assert_int_equal(l.fr_entry, AS_PY_NO_ENTRY);
	assert_int_equal(l.cf_frame, AS_PY_NO_CFRAME);
	assert_int_equal(l.owner_cstack, AS_PY_NO_OWNER);
	assert_int_equal(l.co_qualname, l.co_name);
	assert_int_equal(python_offsets__get(11, &l), 0);
	assert_int_equal(l.flags, 0);
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

/* Reads @path's DWARF over a layout of 3.@minor wiped of what DWARF must
 * give again, and checks it against the table. */
static void dwarf_is_table(const char *path, int minor)
{
	struct as_py_layout l, table;

	assert_int_equal(python_offsets__get(minor, &table), 0);
	l = table;
	l.runtime_tss = 0;
	l.ts_frame = l.cf_frame = l.fr_code = l.fr_previous = 0;
	l.fr_instr = l.fr_owner = l.co_filename = l.co_qualname = 0;
	l.co_linetable = l.co_firstlineno = l.co_code_adaptive = 0;
	l.str_state = l.str_ascii_data = l.str_compact_data = 0;
	l.bytes_size = l.bytes_data = 0;
	l.fr_entry = 0;
	l.flags = minor == 10 ? 0 : AS_PY_F_LASTI | AS_PY_F_EACH_RUN;
	if (minor == 10)
		l.owner_cstack = 3;
	assert_int_equal(python_offsets__from_dwarf(path, &l), 0);
	assert_string_equal(l.source, "interpreter's DWARF");
	l.source = table.source;
	assert_memory_equal(&l, &table, sizeof(l));
}

static void test_dwarf_debian_python(void **state)
{
	struct as_py_layout l;

	(void)state;
	/* scripts/install-deps installs python3.11-dbg */
	dwarf_is_table("/usr/bin/python3.11", 11);
	assert_int_equal(python_offsets__get(11, &l), 0);
	assert_int_equal(python_offsets__from_dwarf("/bin/true", &l), -ENOENT);
}

/* The pyenv builds (with their DWARF) of each version the table has. */
static void test_dwarf_pyenv_builds(void **state)
{
	const char *root = getenv("PYENV_ROOT");
	char pattern[512];
	unsigned found = 0;
	glob_t g;

	(void)state;
	for (int minor = 10; minor <= 13; minor++) {
		snprintf(pattern, sizeof(pattern),
			 "%s/versions/3.%d.*/lib/libpython3.%d.so.1.0",
			 root ? root : "/root/.pyenv", minor, minor);
		if (glob(pattern, 0, NULL, &g) != 0)
			continue;
		for (size_t i = 0; i < g.gl_pathc; i++, found++) {
			fprintf(stderr, "  DWARF of %s\n", g.gl_pathv[i]);
			dwarf_is_table(g.gl_pathv[i], minor);
		}
		globfree(&g);
	}
	if (!found)
		skip(); /* no pyenv on this machine: the e2e tests skip too */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_table),
	    cmocka_unit_test(test_debug_offsets),
	    cmocka_unit_test(test_dwarf_debian_python),
	    cmocka_unit_test(test_dwarf_pyenv_builds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
