/* SPDX-License-Identifier: MIT */
/*
 * pycode.h - CPython code objects read from another process, and the
 * line of an instruction from their location table.
 *
 * Owned by the pycode module. It reads with process_vm_readv, knows the
 * str and bytes object layouts (python_offsets.h) and decodes the 3.11+
 * location table (CPython's Objects/locations.md) and 3.10's line table
 * (its Objects/lnotab_notes.txt). It keeps nothing.
 */
#ifndef ALLOCSNOOP_PYCODE_H
#define ALLOCSNOOP_PYCODE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "unwind/python_offsets.h"

/* What a code object says about where it is; owned by the caller. */
struct as_pycode {
	uint64_t addr;
	uint64_t filename_ptr, qualname_ptr, linetable_ptr; /* to validate */
	int firstlineno;
	char *filename; /* UTF-8 */
	char *qualname; /* 3.10: the name */
	uint8_t *linetable;
	size_t linetable_len;
};

/*
 * The source line of code unit @index of a code object whose first line
 * is @firstlineno and whose location table is @table; 0 when the table
 * gives none (or ends before the index).
 */
int pycode__line(const uint8_t *table, size_t len, int firstlineno,
		 uint32_t index);

/*
 * The same for 3.10's line table (co_linetable) and instruction @lasti
 * (f_lasti: in code units of 2 bytes, -1 before the first instruction,
 * which is at @firstlineno).
 */
int pycode__line_310(const uint8_t *table, size_t len, int firstlineno,
		     int lasti);

/*
 * Reads the header fields of the code object at @addr in @pid (pointers
 * and first line only, no strings) into @out. Returns 0 or a negative
 * errno (-ESRCH: the process is gone, -EFAULT: not readable).
 */
int pycode__read_head(pid_t pid, const struct as_py_layout *l, uint64_t addr,
		      struct as_pycode *out);

/* Reads the head and the strings and table it points to. 0 or -errno;
 * on failure @out holds nothing to free. */
int pycode__read(pid_t pid, const struct as_py_layout *l, uint64_t addr,
		 struct as_pycode *out);

void pycode__clear(struct as_pycode *c);

#endif
