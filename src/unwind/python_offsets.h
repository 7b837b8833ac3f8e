/* SPDX-License-Identifier: MIT */
/*
 * python_offsets.h - where CPython keeps what a frame walk and a code
 * object reader need, per interpreter version (x86-64, release builds).
 *
 * Owned by the python_offsets module: a table per minor version (3.10 to
 * 3.13), whose frame and thread-state layouts do not change within a
 * minor version. Read by the CPython support (python.h) and the code
 * object reader (pycode.h).
 */
#ifndef ALLOCSNOOP_PYTHON_OFFSETS_H
#define ALLOCSNOOP_PYTHON_OFFSETS_H

#include <stddef.h>
#include <stdint.h>

struct as_py_layout {
	int minor;	      /* 3.minor */
	uint32_t runtime_tss; /* _PyRuntime: autoTSSkey (Py_tss_t) */
	/* frames (struct as_py_proc's meaning) */
	uint16_t ts_frame, cf_frame, fr_code, fr_previous, fr_instr, fr_owner;
	uint16_t fr_entry; /* 3.11's is_entry, or AS_PY_NO_ENTRY */
	uint8_t owner_cstack;
	uint8_t flags; /* AS_PY_F_* */
	/* PyCodeObject (3.10 has no co_qualname: co_name stands for it, and
	 * no co_code_adaptive: 0) */
	uint16_t co_filename, co_name, co_qualname, co_linetable;
	uint16_t co_firstlineno, co_code_adaptive;
	/* str: the state bits, the length, where compact data starts */
	uint16_t str_length, str_state, str_ascii_data, str_compact_data;
	/* bytes: ob_size and ob_sval */
	uint16_t bytes_size, bytes_data;
	const char *source; /* where these came from, for -v */
};

/* The layout of CPython 3.@minor; -ENOTSUP for a version not known. */
int python_offsets__get(int minor, struct as_py_layout *out);

/* The last of @n field offsets: where the span that holds them ends, but
 * for that field's size. */
uint16_t python_offsets__last(const uint16_t *offs, size_t n);

/* Bytes of 3.13's _Py_DebugOffsets, at the start of _PyRuntime. */
#define AS_PY_DEBUG_OFFSETS_SIZE 584

/*
 * Takes the frame, code object, str and bytes layouts from @buf, the
 * _Py_DebugOffsets at the start of a 3.13 _PyRuntime (its cookie
 * "xdebugpy"), over the table's @out (which keeps the TSS key's place,
 * not in it). -ENOTSUP for another version or a free-threaded build,
 * -EINVAL when @buf is not one.
 */
int python_offsets__from_debug(const uint8_t *buf, size_t len,
			       struct as_py_layout *out);

/*
 * Takes the layouts from the DWARF of the interpreter file @path (or its
 * debug file, found by build-id) over the table's @out: structs
 * _PyRuntimeState, PyThreadState, _PyCFrame, _PyInterpreterFrame (3.10:
 * PyFrameObject), PyCodeObject, PyASCIIObject and PyBytesObject. -ENOENT
 * when it has no such DWARF.
 */
int python_offsets__from_dwarf(const char *path, struct as_py_layout *out);

#endif
