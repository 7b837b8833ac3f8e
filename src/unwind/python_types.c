// SPDX-License-Identifier: MIT
/*
 * python_types.c - the code object, str and bytes layouts from CPython's
 * type objects, read from the process (PyTypeObject and PyMemberDef as
 * Include/cpython/object.h and descrobject.h / structmember.h lay them
 * out in 3.10 to 3.13).
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <sys/uio.h>

#include "symbolize/elfsym.h"
#include "symbolize/procmaps.h"
#include "unwind/python_types.h"

/* PyTypeObject, after its PyVarObject head (ob_size is its last word). */
#define TP_NAME	     0	 /* const char *tp_name */
#define TP_BASICSIZE 8	 /* Py_ssize_t tp_basicsize */
#define TP_MEMBERS   216 /* PyMemberDef *tp_members */
#define TP_READ	     (TP_MEMBERS + 8)

/* PyMemberDef: name, int type, Py_ssize_t offset, int flags, doc. */
struct member_def {
	uint64_t name;
	int32_t type;
	int32_t pad;
	int64_t offset;
	int32_t flags;
	int32_t pad2;
	uint64_t doc;
};

#define T_INT	    1  /* Py_T_INT */
#define T_OBJECT    6  /* _Py_T_OBJECT */
#define T_OBJECT_EX 16 /* Py_T_OBJECT_EX */
#define MEMBERS_MAX 64 /* code objects have about 20 */

static int peek(pid_t pid, uint64_t addr, void *buf, size_t len)
{
	struct iovec local = {buf, len};
	struct iovec remote = {(void *)(uintptr_t)addr, len};
	ssize_t n = process_vm_readv(pid, &local, 1, &remote, 1, 0);

	if (n == (ssize_t)len)
		return 0;
	return n < 0 && errno == ESRCH ? -ESRCH : -EFAULT;
}

/* Is the NUL-terminated string at @addr @want? */
static bool str_is(pid_t pid, uint64_t addr, const char *want)
{
	char buf[32];
	size_t len = strlen(want) + 1;

	return len <= sizeof(buf) && addr && peek(pid, addr, buf, len) == 0 &&
	       memcmp(buf, want, len) == 0;
}

/* A type object: its head after @head bytes of PyObject, checked by its
 * name. */
struct type_view {
	uint64_t basicsize, members;
};

static int type_read(pid_t pid, uint64_t at, unsigned head, const char *name,
		     struct type_view *out)
{
	uint8_t buf[TP_READ];
	uint64_t name_ptr;
	int err;

	/* the head ends with ob_size, the 8 bytes after PyObject */
	err = peek(pid, at + head + 8, buf, sizeof(buf));
	if (err)
		return err;
	memcpy(&name_ptr, buf + TP_NAME, 8);
	memcpy(&out->basicsize, buf + TP_BASICSIZE, 8);
	memcpy(&out->members, buf + TP_MEMBERS, 8);
	return str_is(pid, name_ptr, name) ? 0 : -EPROTO;
}

/*
 * sizeof(PyObject), found as the one that makes PyBaseObject_Type read as
 * "object" of that size: 16, or 32 with Py_TRACE_REFS's two list links.
 */
static int object_head(pid_t pid, uint64_t object, unsigned *head)
{
	static const unsigned heads[] = {16, 32};
	struct type_view t;
	int err = -EPROTO;

	for (unsigned i = 0; i < sizeof(heads) / sizeof(heads[0]); i++) {
		err = type_read(pid, object, heads[i], "object", &t);
		if (err == -ESRCH)
			return err;
		if (!err && t.basicsize == heads[i]) {
			*head = heads[i];
			return 0;
		}
	}
	return -EPROTO;
}

/* The code object fields taken from tp_members, by name. */
static const struct {
	const char *name;
	int type;
	size_t field;
	bool optional; /* co_qualname is 3.11+ */
} code_fields[] = {
    {"co_filename", T_OBJECT, offsetof(struct as_py_layout, co_filename)},
    {"co_name", T_OBJECT, offsetof(struct as_py_layout, co_name)},
    {"co_qualname", T_OBJECT, offsetof(struct as_py_layout, co_qualname), true},
    {"co_linetable", T_OBJECT, offsetof(struct as_py_layout, co_linetable)},
    {"co_firstlineno", T_INT, offsetof(struct as_py_layout, co_firstlineno)},
};
#define N_CODE_FIELDS (sizeof(code_fields) / sizeof(code_fields[0]))

static uint16_t *field_of(struct as_py_layout *l, size_t field)
{
	return (uint16_t *)((char *)l + field);
}

/* Takes one member @m (its name at m->name) if it is a field wanted. */
static void member_take(pid_t pid, const struct member_def *m,
			struct as_py_layout *l, bool *found)
{
	int type = m->type == T_OBJECT_EX ? T_OBJECT : m->type;

	for (size_t i = 0; i < N_CODE_FIELDS; i++) {
		if (found[i] || type != code_fields[i].type || m->offset < 0 ||
		    m->offset > 0xffff ||
		    !str_is(pid, m->name, code_fields[i].name))
			continue;
		*field_of(l, code_fields[i].field) = (uint16_t)m->offset;
		found[i] = true;
		return;
	}
}

/* The code object fields from the PyMemberDef array at @members. */
static int code_members(pid_t pid, uint64_t members, struct as_py_layout *l)
{
	bool found[N_CODE_FIELDS] = {false};
	struct member_def m;
	int err;

	for (unsigned i = 0; members && i < MEMBERS_MAX; i++) {
		err = peek(pid, members + i * sizeof(m), &m, sizeof(m));
		if (err)
			return err;
		if (!m.name)
			break; /* the sentinel */
		member_take(pid, &m, l, found);
	}
	for (size_t i = 0; i < N_CODE_FIELDS; i++)
		if (!found[i] && !(code_fields[i].optional && l->minor < 11))
			return -EPROTO;
	return 0;
}

/*
 * The str and bytes fields, from the sizes of the objects: PyASCIIObject
 * is PyObject, length, hash, state; PyCompactUnicodeObject adds
 * utf8_length and utf8 (and wstr_length before 3.12); PyUnicodeObject
 * adds the data pointer to it. The bytes type's basic size counts
 * ob_sval's first byte (PyBytesObject_SIZE).
 */
static void string_fields(unsigned head, uint64_t str_size, uint64_t bytes_size,
			  struct as_py_layout *l)
{
	l->str_length = l->bytes_size = (uint16_t)head;
	l->str_state = (uint16_t)(head + 16);
	l->str_compact_data = (uint16_t)(str_size - 8);
	l->str_ascii_data =
	    (uint16_t)(l->str_compact_data - (l->minor < 12 ? 24 : 16));
	l->bytes_data = (uint16_t)(bytes_size - 1);
}

int python_types__read(pid_t pid, const struct as_py_types_at *at,
		       struct as_py_layout *out)
{
	struct as_py_layout l = *out;
	struct type_view code, str, bytes;
	unsigned head;
	int err;

	err = object_head(pid, at->object, &head);
	err = err ?: type_read(pid, at->code, head, "code", &code);
	err = err ?: type_read(pid, at->str, head, "str", &str);
	err = err ?: type_read(pid, at->bytes, head, "bytes", &bytes);
	err = err ?: code_members(pid, code.members, &l);
	if (err)
		return err;
	if (code.basicsize > 0xffff || str.basicsize < 64 ||
	    str.basicsize > 0xffff || bytes.basicsize < 1 ||
	    bytes.basicsize > 0xffff)
		return -EPROTO;
	/* 3.11+: the basic size ends where the bytecode starts (the type's
	 * tp_basicsize is offsetof(PyCodeObject, co_code_adaptive)) */
	if (l.minor >= 11)
		l.co_code_adaptive = (uint16_t)code.basicsize;
	string_fields(head, str.basicsize, bytes.basicsize, &l);
	l.source = "type objects";
	*out = l;
	return 0;
}

int python_types__locate(pid_t pid, const char *path, dev_t dev, ino_t ino,
			 struct as_py_types_at *out)
{
	static const char *const names[] = {"PyCode_Type", "PyUnicode_Type",
					    "PyBytes_Type",
					    "PyBaseObject_Type"};
	uint64_t *addrs[] = {&out->code, &out->str, &out->bytes, &out->object};
	struct as_elfsym s;
	int err;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		err = elfsym__lookup_object(path, names[i], &s);
		err = err
			  ?: procmaps__file_addr(pid, dev, ino, s.file_offset,
						 addrs[i]);
		if (err)
			return err == -ESRCH ? err : -ENOENT;
	}
	return 0;
}

const char *python_types__differs(const struct as_py_layout *types,
				  const struct as_py_layout *table,
				  unsigned *got, unsigned *want)
{
	static const struct {
		const char *name;
		size_t field;
	} fields[] = {
	    {"PyCodeObject.co_filename",
	     offsetof(struct as_py_layout, co_filename)},
	    {"PyCodeObject.co_name", offsetof(struct as_py_layout, co_name)},
	    {"PyCodeObject.co_qualname",
	     offsetof(struct as_py_layout, co_qualname)},
	    {"PyCodeObject.co_linetable",
	     offsetof(struct as_py_layout, co_linetable)},
	    {"PyCodeObject.co_firstlineno",
	     offsetof(struct as_py_layout, co_firstlineno)},
	    {"PyCodeObject.co_code_adaptive",
	     offsetof(struct as_py_layout, co_code_adaptive)},
	    {"PyASCIIObject.length", offsetof(struct as_py_layout, str_length)},
	    {"PyASCIIObject.state", offsetof(struct as_py_layout, str_state)},
	    {"sizeof(PyASCIIObject)",
	     offsetof(struct as_py_layout, str_ascii_data)},
	    {"sizeof(PyCompactUnicodeObject)",
	     offsetof(struct as_py_layout, str_compact_data)},
	    {"PyBytesObject.ob_size",
	     offsetof(struct as_py_layout, bytes_size)},
	    {"PyBytesObject.ob_sval",
	     offsetof(struct as_py_layout, bytes_data)},
	};
	uint16_t a, b;

	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		memcpy(&a, (const char *)types + fields[i].field, sizeof(a));
		memcpy(&b, (const char *)table + fields[i].field, sizeof(b));
		if (a != b) {
			*got = a;
			*want = b;
			return fields[i].name;
		}
	}
	return NULL;
}
