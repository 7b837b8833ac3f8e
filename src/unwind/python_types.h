/* SPDX-License-Identifier: MIT */
/*
 * python_types.h - CPython's code object, str and bytes layouts from the
 * type objects' own introspection data, read from a running process.
 *
 * Owned by the python_types module. PyCode_Type.tp_members names the code
 * object's fields with their offsets (what Python's own attribute access
 * uses), PyCode_Type.tp_basicsize is where the bytecode starts (3.11+),
 * and the str, bytes and object types' tp_basicsize give the string and
 * bytes headers. They are read from the process's memory, where the
 * loader has relocated their pointers. The frame and thread-state layouts
 * are not in any type: they stay the caller's (python_offsets.h). Keeps
 * no state.
 */
#ifndef ALLOCSNOOP_PYTHON_TYPES_H
#define ALLOCSNOOP_PYTHON_TYPES_H

#include <stdint.h>
#include <sys/types.h>

#include "unwind/python_offsets.h"

/* Run-time addresses of the type objects read, in the process. */
struct as_py_types_at {
	uint64_t code;	 /* PyCode_Type */
	uint64_t str;	 /* PyUnicode_Type */
	uint64_t bytes;	 /* PyBytes_Type */
	uint64_t object; /* PyBaseObject_Type */
};

/*
 * Where @pid has the type objects of the interpreter file @path (which it
 * maps as file @dev, @ino). 0, -ENOENT when a symbol is missing or not
 * mapped (yet), -ESRCH when the process is gone.
 */
int python_types__locate(pid_t pid, const char *path, dev_t dev, ino_t ino,
			 struct as_py_types_at *out);

/*
 * Over @out (the layout of the version out->minor, whose frame and
 * thread-state fields stay), the code object, str and bytes fields the
 * type objects at @at in @pid give. 0; -EPROTO when they are not type
 * objects laid out as this module knows them (or a field is missing);
 * -ESRCH, -EFAULT when they cannot be read.
 */
int python_types__read(pid_t pid, const struct as_py_types_at *at,
		       struct as_py_layout *out);

/*
 * The name of the first field the type objects give ("PyCodeObject.
 * co_filename") where @types and @table differ, its offsets in each into
 * *@got and *@want; NULL when they agree.
 */
const char *python_types__differs(const struct as_py_layout *types,
				  const struct as_py_layout *table,
				  unsigned *got, unsigned *want);

#endif
