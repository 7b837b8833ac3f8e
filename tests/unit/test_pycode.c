// SPDX-License-Identifier: MIT
/*
 * Unit tests for pycode: a location table that Debian's python3.11 made
 * (co_linetable of the function in gen_source, with the line of every code
 * unit from co_positions()) decodes to the same lines, and so do line
 * tables that pyenv's python3.10 made (with the lines of co_lines());
 * code objects laid out as CPython 3.11 and 3.10 do, built in this
 * process, read back through process_vm_readv with their ASCII and
 * Latin-1 names.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "symbolize/pycode.h"
#include "unwind/python_offsets.h"

/*
 * From python3.11 on:
 *   def f(xs):                 # line 2
 *       total = 0
 *       for x in xs:
 *           if x > 3:
 *               total += (x *
 *                         2)
 *           else:
 *               total -= 1
 *       (19 blank lines)
 *           y = [i for i in range(3)]   # line 29
 *       return total
 * Short forms (codes 0-3), one-line forms (10, 11) and long forms (14,
 * with negative and 20-line deltas).
 */
static const uint8_t table[] = {
    0x80, 0x00, 0xd8, 0x0c, 0x0d, 0x80, 0x45, 0xd8, 0x0d, 0x0f, 0xf0,
    0x00, 0x19, 0x05, 0x22, 0xf0, 0x00, 0x19, 0x05, 0x22, 0x88, 0x01,
    0xd8, 0x0b, 0x0c, 0x88, 0x71, 0x8a, 0x35, 0x88, 0x35, 0xd8, 0x0c,
    0x11, 0x90, 0x61, 0xd8, 0x16, 0x17, 0xf1, 0x03, 0x01, 0x17, 0x18,
    0xf1, 0x00, 0x01, 0x0d, 0x19, 0x88, 0x45, 0x88, 0x45, 0xf0, 0x06,
    0x00, 0x0d, 0x12, 0x90, 0x51, 0x89, 0x4a, 0x88, 0x45, 0xf0, 0x28,
    0x00, 0x0d, 0x22, 0xd0, 0x0c, 0x21, 0x9d, 0x05, 0x98, 0x61, 0x99,
    0x08, 0x9c, 0x08, 0xd0, 0x0c, 0x21, 0xd1, 0x0c, 0x21, 0xd4, 0x0c,
    0x21, 0x88, 0x01, 0x88, 0x01, 0xd8, 0x0b, 0x10, 0x80, 0x4c};
static const int lines[] = {
    2,	3,  3,	4,  4,	4,  4,	5,  5,	5,  5,	5,  5,	6,  6,	7,  6,	6,  6,
    6,	6,  6,	9,  9,	9,  9,	9,  29, 29, 29, 29, 29, 29, 29, 29, 29, 29, 29,
    29, 29, 29, 29, 29, 29, 29, 29, 29, 29, 29, 29, 29, 29, 29, 30, 30};

static void test_every_code_unit(void **state)
{
	(void)state;
	for (uint32_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		assert_int_equal(pycode__line(table, sizeof(table), 2, i),
				 lines[i]);
	/* past the end, and an empty table: unknown */
	assert_int_equal(pycode__line(table, sizeof(table), 2, 55), 0);
	assert_int_equal(pycode__line(table, 0, 2, 0), 0);
}

static void test_other_forms(void **state)
{
	/* 13: no columns, delta -3 (svarint 7); 15: no location; then a
	 * short form, still at the line of the entry before the 15 */
	static const uint8_t t[] = {0xe8, 0x07, 0xf9, 0x81, 0x00};
	/* a continuation byte where an entry must start: corrupt */
	static const uint8_t bad[] = {0x05, 0x80};

	(void)state;
	assert_int_equal(pycode__line(t, sizeof(t), 10, 0), 7);
	assert_int_equal(pycode__line(t, sizeof(t), 10, 1), 0);
	assert_int_equal(pycode__line(t, sizeof(t), 10, 2), 0);
	assert_int_equal(pycode__line(t, sizeof(t), 10, 3), 7);
	assert_int_equal(pycode__line(t, sizeof(t), 10, 4), 7);
	assert_int_equal(pycode__line(bad, sizeof(bad), 10, 0), 0);
}

/*
 * From python3.10 on (co_linetable; the lines from co_lines()):
 *   def f(xs):                         # line 1
 *       total = 0
 *       try:
 *           for x in xs:
 *           (140 blank lines)
 *               total += x             # line 145
 *       except ValueError as e:
 *           total = -1
 *       (150 blank lines)
 *       y = [i for i in range(3)]      # line 298
 *       return total + len(y)
 * Line deltas over 127 (split by empty ranges) both ways, -1, and the
 * range without a line (-128) of the handler that deletes e.
 */
static const uint8_t table310[] = {
    0x04, 0x01, 0x02, 0x01, 0x08, 0x01, 0x00, 0x7f, 0x0a, 0x0e,
    0x00, 0x81, 0x04, 0xf2, 0x00, 0x7f, 0x0e, 0x0f, 0x10, 0x01,
    0x08, 0x80, 0x02, 0xff, 0x00, 0x7f, 0x12, 0x19, 0x0c, 0x01};
static const int lines310[] = {2,   2,	 3,   4,   4,	4,   4,	  145, 145, 145,
			       145, 145, 4,   4,   146, 146, 146, 146, 146, 146,
			       146, 147, 147, 147, 147, 147, 147, 147, 147, 0,
			       0,   0,	 0,   146, 298, 298, 298, 298, 298, 298,
			       298, 298, 298, 299, 299, 299, 299, 299, 299};

static void test_310_every_code_unit(void **state)
{
	(void)state;
	for (int i = 0; i < (int)(sizeof(lines310) / sizeof(lines310[0])); i++)
		assert_int_equal(
		    pycode__line_310(table310, sizeof(table310), 1, i),
		    lines310[i]);
	/* before the first instruction: the def line, as 3.10 says */
	assert_int_equal(pycode__line_310(table310, sizeof(table310), 1, -1),
			 1);
	/* past the end, an empty table, an odd byte left: unknown */
	assert_int_equal(pycode__line_310(table310, sizeof(table310), 1, 49),
			 0);
	assert_int_equal(pycode__line_310(table310, 0, 1, 0), 0);
	assert_int_equal(pycode__line_310(table310, 1, 1, 0), 0);
}

static void test_310_long_range(void **state)
{
	/*
	 * def f(n):                                  # line 1
	 *     a = n
	 *     b = (a+a+...+a)    # 150 a's: 600 bytes of code on line 3
	 *     return b
	 * from python3.10: the range of line 3 cut at 254 bytes, twice
	 */
	static const uint8_t t[] = {0x04, 0x01, 0xfe, 0x01, 0xfe,
				    0x00, 0x5c, 0x00, 0x04, 0x01};

	(void)state;
	for (int i = 0; i < 304; i++)
		assert_int_equal(pycode__line_310(t, sizeof(t), 1, i), i < 2 ? 2
								       : i < 302
									   ? 3
									   : 4);
	assert_int_equal(pycode__line_310(t, sizeof(t), 1, 304), 0);
}

/* A compact str as CPython 3.11 lays it out: header, then the data. */
static uint8_t *make_str(const struct as_py_layout *l, const char *latin1,
			 int ascii)
{
	size_t n = strlen(latin1);
	uint16_t data = ascii ? l->str_ascii_data : l->str_compact_data;
	uint8_t *o = calloc(1, data + n + 1);
	/* kind 1, compact, ascii as asked */
	uint32_t state = 1 << 2 | 1 << 5 | (ascii ? 1 << 6 : 0);
	uint64_t len = n;

	assert_non_null(o);
	memcpy(o + l->str_length, &len, sizeof(len));
	memcpy(o + l->str_state, &state, sizeof(state));
	memcpy(o + data, latin1, n);
	return o;
}

static void put_ptr(uint8_t *o, uint16_t off, const void *p)
{
	uint64_t v = (uint64_t)(uintptr_t)p;

	memcpy(o + off, &v, sizeof(v));
}

/* A code object laid out as 3.@minor does, with its names and table;
 * the str and bytes it points to are in *@parts (3 of them). */
static uint8_t *make_code(int minor, struct as_py_layout *l, uint8_t **parts)
{
	uint64_t n = minor == 10 ? sizeof(table310) : sizeof(table);
	int32_t first = minor == 10 ? 1 : 2;
	uint8_t *code;

	assert_int_equal(python_offsets__get(minor, l), 0);
	parts[0] = make_str(l, "/srv/app/orders.py", 1);
	parts[1] = make_str(l, "Order.na\xefve", 0); /* Latin-1 i-diaeresis */
	parts[2] = calloc(1, l->bytes_data + n);
	/* up to its last field read (3.10 has no co_code_adaptive) */
	code = calloc(1, l->co_linetable + 8);
	assert_non_null(parts[2]);
	assert_non_null(code);
	memcpy(parts[2] + l->bytes_size, &n, sizeof(n));
	memcpy(parts[2] + l->bytes_data, minor == 10 ? table310 : table, n);
	put_ptr(code, l->co_filename, parts[0]);
	put_ptr(code, l->co_qualname, parts[1]);
	put_ptr(code, l->co_linetable, parts[2]);
	memcpy(code + l->co_firstlineno, &first, sizeof(first));
	return code;
}

static void read_own_process(int minor)
{
	struct as_py_layout l;
	struct as_pycode c, head;
	uint8_t *parts[3], *code = make_code(minor, &l, parts);
	uint64_t addr = (uint64_t)(uintptr_t)code;

	assert_int_equal(pycode__read(getpid(), &l, addr, &c), 0);
	assert_string_equal(c.filename, "/srv/app/orders.py");
	assert_string_equal(c.qualname, "Order.na\xc3\xafve");
	if (minor == 10) {
		assert_int_equal(c.firstlineno, 1);
		assert_int_equal(c.linetable_len, sizeof(table310));
		assert_int_equal(pycode__line_310(c.linetable, c.linetable_len,
						  c.firstlineno, 7),
				 145);
	} else {
		assert_int_equal(c.firstlineno, 2);
		assert_int_equal(c.linetable_len, sizeof(table));
		assert_int_equal(pycode__line(c.linetable, c.linetable_len,
					      c.firstlineno, 27),
				 29);
	}
	assert_int_equal(pycode__read_head(getpid(), &l, addr, &head), 0);
	assert_true(head.qualname_ptr == c.qualname_ptr);
	pycode__clear(&c);
	/* a string that is not compact is refused */
	memset(parts[1] + l.str_state, 0, 4);
	assert_int_equal(pycode__read(getpid(), &l, addr, &c), -EFAULT);
	/* an unmapped address */
	assert_int_equal(pycode__read(getpid(), &l, 8, &c), -EFAULT);
	free(code);
	for (int i = 0; i < 3; i++)
		free(parts[i]);
}

static void test_read_own_process(void **state)
{
	struct as_py_layout l;

	(void)state;
	assert_int_equal(python_offsets__get(9, &l), -ENOTSUP);
	read_own_process(11);
}

/* 3.10: no co_qualname, co_name is the name read */
static void test_read_own_process_310(void **state)
{
	struct as_py_layout l;

	(void)state;
	assert_int_equal(python_offsets__get(10, &l), 0);
	assert_int_equal(l.co_qualname, l.co_name);
	read_own_process(10);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_every_code_unit),
	    cmocka_unit_test(test_other_forms),
	    cmocka_unit_test(test_310_every_code_unit),
	    cmocka_unit_test(test_310_long_range),
	    cmocka_unit_test(test_read_own_process),
	    cmocka_unit_test(test_read_own_process_310),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
