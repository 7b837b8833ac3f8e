// SPDX-License-Identifier: MIT
/*
 * python_offsets.c - CPython layouts per minor version, as the
 * interpreters' own DWARF gives them (gdb `ptype /o` on Debian's 3.11 with
 * python3.11-dbg and on 3.10, 3.11, 3.12, 3.13 built by pyenv: the same
 * within a minor version).
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include <linux/types.h>

#include "allocsnoop.h"
#include "unwind/python_offsets.h"

/* Fields every 3.10+ shares: PyVarObject, the str and bytes headers. */
#define PY_OBJECTS                                                             \
	.str_length = 0x10, .str_state = 0x20, .bytes_size = 0x10,             \
	.bytes_data = 0x20

/* The code object's names and table, where every 3.11+ has them. */
#define PY_COMMON                                                              \
	.co_filename = 0x70, .co_name = 0x78, .co_qualname = 0x80,             \
	.co_linetable = 0x88, PY_OBJECTS

static const struct as_py_layout layouts[] = {
    {
	/* frames are PyFrameObjects, each run by its own eval loop call */
	.minor = 10,
	.runtime_tss = 0x248, /* gilstate.autoTSSkey */
	.ts_frame = 0x18,     /* frame */
	.cf_frame = AS_PY_NO_CFRAME,
	.fr_code = 0x20,
	.fr_previous = 0x18, /* f_back */
	.fr_instr = 0x60,    /* f_lasti */
	.fr_owner = 0,	     /* none */
	.fr_entry = AS_PY_NO_ENTRY,
	.owner_cstack = AS_PY_NO_OWNER,
	.flags = AS_PY_F_LASTI | AS_PY_F_EACH_RUN,
	.co_filename = 0x68,
	.co_name = 0x70,
	.co_qualname = 0x70, /* none: co_name */
	.co_linetable = 0x78,
	.co_firstlineno = 0x28,
	.co_code_adaptive = 0, /* none: co_code is a bytes object */
	.str_ascii_data = 48,  /* sizeof(PyASCIIObject), with wstr */
	.str_compact_data = 72,
	PY_OBJECTS,
    },
    {
	.minor = 11,
	.runtime_tss = 0x250, /* gilstate.autoTSSkey */
	.ts_frame = 0x38,     /* cframe */
	.cf_frame = 0x08,
	.fr_code = 0x20,
	.fr_previous = 0x30,
	.fr_instr = 0x38, /* prev_instr */
	.fr_owner = 0x45,
	.fr_entry = 0x44,
	.owner_cstack = AS_PY_NO_OWNER, /* 3.11 has no shim frames */
	.co_firstlineno = 0x48,
	.co_code_adaptive = 0xb8,
	.str_ascii_data = 48, /* sizeof(PyASCIIObject), with wstr */
	.str_compact_data = 72,
	PY_COMMON,
    },
    {
	.minor = 12,
	.runtime_tss = 0x608,
	.ts_frame = 0x38, /* cframe */
	.cf_frame = 0x00,
	.fr_code = 0x00,
	.fr_previous = 0x08,
	.fr_instr = 0x38, /* prev_instr */
	.fr_owner = 0x46,
	.fr_entry = AS_PY_NO_ENTRY,
	.owner_cstack = 3, /* FRAME_OWNED_BY_CSTACK */
	.co_firstlineno = 0x44,
	.co_code_adaptive = 0xc0,
	.str_ascii_data = 40,
	.str_compact_data = 56,
	PY_COMMON,
    },
    {
	.minor = 13,
	.runtime_tss = 0x870,
	.ts_frame = 0x48, /* current_frame */
	.cf_frame = AS_PY_NO_CFRAME,
	.fr_code = 0x00, /* f_executable */
	.fr_previous = 0x08,
	.fr_instr = 0x38, /* instr_ptr */
	.fr_owner = 0x46,
	.fr_entry = AS_PY_NO_ENTRY,
	.owner_cstack = 3,
	.co_firstlineno = 0x44,
	.co_code_adaptive = 0xc8,
	.str_ascii_data = 40,
	.str_compact_data = 56,
	PY_COMMON,
    },
};

int python_offsets__get(int minor, struct as_py_layout *out)
{
	for (unsigned i = 0; i < sizeof(layouts) / sizeof(layouts[0]); i++) {
		if (layouts[i].minor != minor)
			continue;
		*out = layouts[i];
		out->source = "built-in table";
		return 0;
	}
	return -ENOTSUP;
}

uint16_t python_offsets__last(const uint16_t *offs, size_t n)
{
	uint16_t last = 0;

	for (size_t i = 0; i < n; i++)
		if (offs[i] > last)
			last = offs[i];
	return last;
}

/* The field at byte @off of _Py_DebugOffsets: an offset of 16 bits. */
static int debug_field(const uint8_t *buf, size_t off, uint16_t *out)
{
	uint64_t v;

	memcpy(&v, buf + off, sizeof(v));
	if (v > 0xffff)
		return -EINVAL;
	*out = (uint16_t)v;
	return 0;
}

int python_offsets__from_debug(const uint8_t *buf, size_t len,
			       struct as_py_layout *out)
{
	/* where 3.13's _Py_DebugOffsets keeps each offset (its
	 * thread_state, interpreter_frame, code_object, bytes_object and
	 * unicode_object parts) */
	static const struct {
		size_t at;
		size_t field;
	} map[] = {
	    {184, offsetof(struct as_py_layout, ts_frame)},
	    {232, offsetof(struct as_py_layout, fr_previous)},
	    {240, offsetof(struct as_py_layout, fr_code)},
	    {248, offsetof(struct as_py_layout, fr_instr)},
	    {264, offsetof(struct as_py_layout, fr_owner)},
	    {280, offsetof(struct as_py_layout, co_filename)},
	    {288, offsetof(struct as_py_layout, co_name)},
	    {296, offsetof(struct as_py_layout, co_qualname)},
	    {304, offsetof(struct as_py_layout, co_linetable)},
	    {312, offsetof(struct as_py_layout, co_firstlineno)},
	    {344, offsetof(struct as_py_layout, co_code_adaptive)},
	    {520, offsetof(struct as_py_layout, bytes_size)},
	    {528, offsetof(struct as_py_layout, bytes_data)},
	    {544, offsetof(struct as_py_layout, str_state)},
	    {552, offsetof(struct as_py_layout, str_length)},
	    {560, offsetof(struct as_py_layout, str_ascii_data)},
	};
	struct as_py_layout l = *out;
	uint64_t version, free_threaded;

	if (len < AS_PY_DEBUG_OFFSETS_SIZE || memcmp(buf, "xdebugpy", 8))
		return -EINVAL;
	memcpy(&version, buf + 8, sizeof(version));
	memcpy(&free_threaded, buf + 16, sizeof(free_threaded));
	if ((version >> 24) != 3 || (version >> 16 & 0xff) != 13 ||
	    free_threaded)
		return -ENOTSUP;
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (debug_field(buf, map[i].at,
				(uint16_t *)((char *)&l + map[i].field)))
			return -EINVAL;
	/* PyCompactUnicodeObject: PyASCIIObject, utf8_length, utf8 */
	l.str_compact_data = l.str_ascii_data + 16;
	l.minor = 13;
	l.cf_frame = AS_PY_NO_CFRAME;
	l.fr_entry = AS_PY_NO_ENTRY;
	l.source = "_Py_DebugOffsets";
	*out = l;
	return 0;
}
