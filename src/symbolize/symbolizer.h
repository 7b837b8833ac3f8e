/* SPDX-License-Identifier: MIT */
/*
 * symbolizer.h - file offset in an object file -> function, file:line.
 *
 * Owned by the symbolizer module (libdw). Results are cached by build-id
 * (or path when there is none) + file offset, so each distinct frame is
 * resolved once; debug info is found next to the file, through
 * .gnu_debuglink, or under /usr/lib/debug/.build-id. Inlined frames are
 * expanded and C++ names demangled.
 */
#ifndef ALLOCSNOOP_SYMBOLIZER_H
#define ALLOCSNOOP_SYMBOLIZER_H

#include <stdint.h>

#include "profile/model.h"
#include "symbolize/procmaps.h"

struct as_symbol {
	uint32_t nlines;
	const struct as_line
	    *lines; /* innermost first; owned by the symbolizer */
};

struct as_symbolizer;

int symbolizer__new(struct as_symbolizer **out);
void symbolizer__free(struct as_symbolizer *s);

/*
 * Resolves @file_offset in @file. @is_return_address: the offset is a
 * return address, so the call instruction before it is looked up.
 * Without debug info the result is one line with function
 * "symbol+0xoff" (or NULL function when no symbol covers it), file NULL.
 * Returns 0 (out->nlines may be 0 when nothing is known) or a negative
 * errno for a failure worth reporting once.
 */
int symbolizer__resolve(struct as_symbolizer *s,
			const struct as_module_file *file, uint64_t file_offset,
			bool is_return_address, struct as_symbol *out);

#endif
