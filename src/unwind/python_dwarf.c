// SPDX-License-Identifier: MIT
/*
 * python_dwarf.c - CPython's layouts from the interpreter's own DWARF
 * (libdw): the types are looked up by name once, in one pass over the
 * compilation units, and their members' offsets read.
 */
#include <dwarf.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>

#include <linux/types.h>

#include "allocsnoop.h"
#include "unwind/python_offsets.h"

/* The types read, by their typedef or struct names. */
enum py_type {
	T_RUNTIME,
	T_TSTATE,
	T_CFRAME,
	T_FRAME,
	T_FRAMEOBJ,
	T_CODE,
	T_ASCII,
	T_COMPACT,
	T_BYTES,
	T_COUNT,
};

static const char *const type_names[T_COUNT] = {
    [T_RUNTIME] = "_PyRuntimeState",
    [T_TSTATE] = "PyThreadState",
    [T_CFRAME] = "_PyCFrame",
    [T_FRAME] = "_PyInterpreterFrame",
    [T_FRAMEOBJ] = "_frame", /* PyFrameObject */
    [T_CODE] = "PyCodeObject",
    [T_ASCII] = "PyASCIIObject",
    [T_COMPACT] = "PyCompactUnicodeObject",
    [T_BYTES] = "PyBytesObject",
};

struct py_types {
	bool found[T_COUNT];
	Dwarf_Die die[T_COUNT]; /* the struct, typedefs peeled */
};

static const Dwfl_Callbacks callbacks = {
    .find_elf = dwfl_build_id_find_elf,
    .find_debuginfo = dwfl_standard_find_debuginfo,
    .section_address = dwfl_offline_section_address,
};

/* A complete struct @die is (through typedefs) of, into @out. */
static bool complete_struct(Dwarf_Die *die, Dwarf_Die *out)
{
	Dwarf_Die child;

	if (dwarf_peel_type(die, out) != 0 ||
	    dwarf_tag(out) != DW_TAG_structure_type ||
	    !dwarf_hasattr(out, DW_AT_byte_size))
		return false;
	return dwarf_child(out, &child) == 0;
}

/* Looks at the top-level DIEs of @cu for the types not found yet. */
static int scan_cu(Dwarf_Die *cu, struct py_types *t)
{
	Dwarf_Die die, s;
	const char *name;
	int tag, left = 0;

	if (dwarf_child(cu, &die) != 0)
		return 0;
	do {
		tag = dwarf_tag(&die);
		if (tag != DW_TAG_typedef && tag != DW_TAG_structure_type)
			continue;
		name = dwarf_diename(&die);
		for (int i = 0; name && i < T_COUNT; i++)
			if (!t->found[i] && strcmp(name, type_names[i]) == 0 &&
			    complete_struct(&die, &s)) {
				t->die[i] = s;
				t->found[i] = true;
			}
	} while (dwarf_siblingof(&die, &die) == 0);
	for (int i = 0; i < T_COUNT; i++)
		left += !t->found[i];
	return left;
}

/*
 * The offset of member @path ("a.b": member b of member a) of struct @s;
 * -1 when there is none.
 */
static long member_offset(Dwarf_Die *s, const char *path)
{
	const char *dot = strchr(path, '.');
	size_t len = dot ? (size_t)(dot - path) : strlen(path);
	Dwarf_Attribute mem;
	Dwarf_Die child, type;
	Dwarf_Word off;
	const char *name;
	long rest;

	if (dwarf_child(s, &child) != 0)
		return -1;
	do {
		name = dwarf_diename(&child);
		if (dwarf_tag(&child) != DW_TAG_member || !name ||
		    strlen(name) != len || strncmp(name, path, len) != 0)
			continue;
		if (dwarf_formudata(
			dwarf_attr(&child, DW_AT_data_member_location, &mem),
			&off) != 0)
			return -1;
		if (!dot)
			return (long)off;
		if (!dwarf_attr(&child, DW_AT_type, &mem) ||
		    !dwarf_formref_die(&mem, &type) ||
		    dwarf_peel_type(&type, &type) != 0)
			return -1;
		rest = member_offset(&type, dot + 1);
		return rest < 0 ? -1 : (long)off + rest;
	} while (dwarf_siblingof(&child, &child) == 0);
	return -1;
}

/* The first of @a, @b (NULL: none) that @s has, into *@out. */
static int field(Dwarf_Die *s, const char *a, const char *b, uint16_t *out)
{
	long off = member_offset(s, a);

	if (off < 0 && b)
		off = member_offset(s, b);
	if (off < 0 || off > 0xffff)
		return -ENOENT;
	*out = (uint16_t)off;
	return 0;
}

static int struct_size(Dwarf_Die *s, uint16_t *out)
{
	Dwarf_Word size;
	Dwarf_Attribute mem;

	if (dwarf_formudata(dwarf_attr(s, DW_AT_byte_size, &mem), &size) != 0 ||
	    size > 0xffff)
		return -ENOENT;
	*out = (uint16_t)size;
	return 0;
}

/* 3.10: the thread state's frame is a PyFrameObject, with f_lasti. */
static int frames_310(struct py_types *t, struct as_py_layout *l)
{
	int err;

	l->cf_frame = AS_PY_NO_CFRAME;
	l->fr_owner = 0;
	l->owner_cstack = AS_PY_NO_OWNER;
	l->fr_entry = AS_PY_NO_ENTRY;
	l->flags |= AS_PY_F_LASTI | AS_PY_F_EACH_RUN;
	err = field(&t->die[T_TSTATE], "frame", NULL, &l->ts_frame);
	err = err ?: field(&t->die[T_FRAMEOBJ], "f_code", NULL, &l->fr_code);
	err =
	    err ?: field(&t->die[T_FRAMEOBJ], "f_back", NULL, &l->fr_previous);
	return err ?: field(&t->die[T_FRAMEOBJ], "f_lasti", NULL, &l->fr_instr);
}

/* 3.11+: _PyInterpreterFrame, reached through _PyCFrame before 3.13. */
static int frames_311(struct py_types *t, struct as_py_layout *l)
{
	int err;

	l->flags &= ~(AS_PY_F_LASTI | AS_PY_F_EACH_RUN);
	err = field(&t->die[T_TSTATE], "cframe", "current_frame", &l->ts_frame);
	l->cf_frame = AS_PY_NO_CFRAME;
	if (!err && t->found[T_CFRAME] &&
	    member_offset(&t->die[T_TSTATE], "cframe") >= 0)
		err = field(&t->die[T_CFRAME], "current_frame", NULL,
			    &l->cf_frame);
	err = err
		  ?: field(&t->die[T_FRAME], "f_code", "f_executable",
			   &l->fr_code);
	err = err ?: field(&t->die[T_FRAME], "previous", NULL, &l->fr_previous);
	err = err
		  ?: field(&t->die[T_FRAME], "prev_instr", "instr_ptr",
			   &l->fr_instr);
	err = err ?: field(&t->die[T_FRAME], "owner", NULL, &l->fr_owner);
	/* 3.11 marks a run's outermost frame; 3.12+ push a shim frame */
	if (field(&t->die[T_FRAME], "is_entry", NULL, &l->fr_entry))
		l->fr_entry = AS_PY_NO_ENTRY;
	return err;
}

/* The code object, str and bytes layouts; 3.10's code has no
 * co_qualname (co_name stands for it) nor co_code_adaptive. */
static int objects(struct py_types *t, struct as_py_layout *l)
{
	bool v310 = l->flags & AS_PY_F_LASTI;
	int err;

	err = field(&t->die[T_CODE], "co_filename", NULL, &l->co_filename);
	err = err ?: field(&t->die[T_CODE], "co_name", NULL, &l->co_name);
	err = err
		  ?: field(&t->die[T_CODE], v310 ? "co_name" : "co_qualname",
			   NULL, &l->co_qualname);
	err = err
		  ?: field(&t->die[T_CODE], "co_linetable", NULL,
			   &l->co_linetable);
	err = err
		  ?: field(&t->die[T_CODE], "co_firstlineno", NULL,
			   &l->co_firstlineno);
	l->co_code_adaptive = 0;
	if (!v310)
		err = err
			  ?: field(&t->die[T_CODE], "co_code_adaptive", NULL,
				   &l->co_code_adaptive);
	err = err ?: field(&t->die[T_ASCII], "state", NULL, &l->str_state);
	err = err ?: field(&t->die[T_ASCII], "length", NULL, &l->str_length);
	err = err ?: struct_size(&t->die[T_ASCII], &l->str_ascii_data);
	err = err ?: struct_size(&t->die[T_COMPACT], &l->str_compact_data);
	err = err
		  ?: field(&t->die[T_BYTES], "ob_base.ob_size", NULL,
			   &l->bytes_size);
	return err ?: field(&t->die[T_BYTES], "ob_sval", NULL, &l->bytes_data);
}

/* The layout from the types found, over the table's @l. */
static int layout_from(struct py_types *t, struct as_py_layout *l)
{
	uint16_t tss = 0;
	bool v310 = !t->found[T_FRAME];
	int err;

	/* 3.13 has no _PyCFrame; 3.10 no _PyInterpreterFrame, its frames
	 * are PyFrameObjects, with f_lasti */
	for (int i = 0; i < T_COUNT; i++)
		if (!t->found[i] && i != T_CFRAME && i != T_FRAME &&
		    i != T_FRAMEOBJ)
			return -ENOENT;
	if (v310 && (!t->found[T_FRAMEOBJ] ||
		     member_offset(&t->die[T_FRAMEOBJ], "f_lasti") < 0))
		return -ENOENT;
	err = field(&t->die[T_RUNTIME], "autoTSSkey", "gilstate.autoTSSkey",
		    &tss);
	err = err ?: (v310 ? frames_310(t, l) : frames_311(t, l));
	err = err ?: objects(t, l);
	l->runtime_tss = tss;
	return err;
}

int python_offsets__from_dwarf(const char *path, struct as_py_layout *out)
{
	struct py_types *t = calloc(1, sizeof(*t));
	struct as_py_layout l = *out;
	Dwfl_Module *mod;
	Dwarf_Die *cu = NULL;
	Dwarf_Addr bias;
	Dwfl *dwfl;
	int err = -ENOENT;

	dwfl = t ? dwfl_begin(&callbacks) : NULL;
	if (!dwfl) {
		free(t);
		return -ENOMEM;
	}
	dwfl_report_begin(dwfl);
	mod = dwfl_report_offline(dwfl, path, path, -1);
	dwfl_report_end(dwfl, NULL, NULL);
	while (mod && (cu = dwfl_module_nextcu(mod, cu, &bias)) != NULL)
		if (scan_cu(cu, t) == 0)
			break;
	if (mod)
		err = layout_from(t, &l);
	if (!err) {
		l.source = "interpreter's DWARF";
		*out = l;
	}
	dwfl_end(dwfl);
	free(t);
	return err;
}
