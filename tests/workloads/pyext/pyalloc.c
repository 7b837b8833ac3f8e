// SPDX-License-Identifier: MIT
/*
 * pyalloc.c - a CPython extension module for the tests: it calls
 * CPython's allocator through its exported entry points, as extension
 * modules do (numpy, pandas), so each call is made at the Python line
 * calling it; and it counts every call of the object and mem domains with
 * an allocator hook (PyMem_SetAllocator), which needs no probe: the share
 * of calls the probes see is measured against it.
 *
 * Blocks are kept in slots of a static table, so that a call allocates
 * nothing of its own (no result object, no argument tuple: METH_FASTCALL,
 * the sizes are the caller's constants).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#define SLOTS 65536
/* what pymalloc serves from its arenas: 1..512 bytes */
#define SMALL_MAX 512

static void *slots[SLOTS];

/* Argument @i of @args as a size or slot number, -1 with an error set. */
static Py_ssize_t arg_at(PyObject *const *args, Py_ssize_t nargs, Py_ssize_t i)
{
	if (i >= nargs) {
		PyErr_SetString(PyExc_TypeError, "too few arguments");
		return -1;
	}
	return PyLong_AsSsize_t(args[i]);
}

static PyObject *slot_result(Py_ssize_t slot, void *p)
{
	if (!p)
		return PyErr_NoMemory();
	slots[slot] = p;
	Py_RETURN_NONE;
}

static int slot_ok(Py_ssize_t slot)
{
	if (slot >= 0 && slot < SLOTS)
		return 1;
	if (!PyErr_Occurred())
		PyErr_SetString(PyExc_IndexError, "no such slot");
	return 0;
}

/* obj_malloc(slot, n): PyObject_Malloc(n) kept in slot. */
static PyObject *obj_malloc(PyObject *m, PyObject *const *a, Py_ssize_t n)
{
	Py_ssize_t slot = arg_at(a, n, 0), size = arg_at(a, n, 1);

	(void)m;
	if (!slot_ok(slot) || size < 0)
		return NULL;
	return slot_result(slot, PyObject_Malloc((size_t)size));
}

/* obj_calloc(slot, count, n): PyObject_Calloc(count, n). */
static PyObject *obj_calloc(PyObject *m, PyObject *const *a, Py_ssize_t n)
{
	Py_ssize_t slot = arg_at(a, n, 0), cnt = arg_at(a, n, 1),
		   size = arg_at(a, n, 2);

	(void)m;
	if (!slot_ok(slot) || cnt < 0 || size < 0)
		return NULL;
	return slot_result(slot, PyObject_Calloc((size_t)cnt, (size_t)size));
}

/* obj_realloc(slot, n): the slot's block resized with PyObject_Realloc. */
static PyObject *obj_realloc(PyObject *m, PyObject *const *a, Py_ssize_t n)
{
	Py_ssize_t slot = arg_at(a, n, 0), size = arg_at(a, n, 1);

	(void)m;
	if (!slot_ok(slot) || size < 0)
		return NULL;
	return slot_result(slot, PyObject_Realloc(slots[slot], (size_t)size));
}

/* obj_free(slot): PyObject_Free of the slot's block. */
static PyObject *obj_free(PyObject *m, PyObject *const *a, Py_ssize_t n)
{
	Py_ssize_t slot = arg_at(a, n, 0);

	(void)m;
	if (!slot_ok(slot))
		return NULL;
	PyObject_Free(slots[slot]);
	slots[slot] = NULL;
	Py_RETURN_NONE;
}

/* mem_malloc(slot, n): PyMem_Malloc(n) kept in slot. */
static PyObject *mem_malloc(PyObject *m, PyObject *const *a, Py_ssize_t n)
{
	Py_ssize_t slot = arg_at(a, n, 0), size = arg_at(a, n, 1);

	(void)m;
	if (!slot_ok(slot) || size < 0)
		return NULL;
	return slot_result(slot, PyMem_Malloc((size_t)size));
}

/* mem_free(slot): PyMem_Free of the slot's block. */
static PyObject *mem_free(PyObject *m, PyObject *const *a, Py_ssize_t n)
{
	Py_ssize_t slot = arg_at(a, n, 0);

	(void)m;
	if (!slot_ok(slot))
		return NULL;
	PyMem_Free(slots[slot]);
	slots[slot] = NULL;
	Py_RETURN_NONE;
}

/* --- counting every call of the object and mem domains ---------------- */

struct counter {
	PyMemAllocatorEx orig; /* the allocator the hook calls on to */
	unsigned long long small, large;
};

static struct counter counters[2]; /* PYMEM_DOMAIN_MEM, PYMEM_DOMAIN_OBJ */
static int counting;

static void count(struct counter *c, size_t size)
{
	if (size >= 1 && size <= SMALL_MAX)
		c->small++;
	else
		c->large++;
}

static void *hook_malloc(void *ctx, size_t size)
{
	struct counter *c = ctx;

	count(c, size);
	return c->orig.malloc(c->orig.ctx, size);
}

static void *hook_calloc(void *ctx, size_t nelem, size_t elsize)
{
	struct counter *c = ctx;

	count(c, nelem * elsize);
	return c->orig.calloc(c->orig.ctx, nelem, elsize);
}

static void *hook_realloc(void *ctx, void *ptr, size_t size)
{
	struct counter *c = ctx;

	count(c, size);
	return c->orig.realloc(c->orig.ctx, ptr, size);
}

static void hook_free(void *ctx, void *ptr)
{
	struct counter *c = ctx;

	c->orig.free(c->orig.ctx, ptr);
}

static const PyMemAllocatorDomain domains[2] = {PYMEM_DOMAIN_MEM,
						PYMEM_DOMAIN_OBJ};

/* count_start(): count every allocation call from now on. */
static PyObject *count_start(PyObject *m, PyObject *unused)
{
	PyMemAllocatorEx hook;
	int i;

	(void)m;
	(void)unused;
	if (counting)
		Py_RETURN_NONE;
	for (i = 0; i < 2; i++) {
		counters[i].small = counters[i].large = 0;
		PyMem_GetAllocator(domains[i], &counters[i].orig);
		hook = (PyMemAllocatorEx){&counters[i], hook_malloc,
					  hook_calloc, hook_realloc, hook_free};
		PyMem_SetAllocator(domains[i], &hook);
	}
	counting = 1;
	Py_RETURN_NONE;
}

/* count_stop() -> (small, large): the calls counted, hooks removed. */
static PyObject *count_stop(PyObject *m, PyObject *unused)
{
	unsigned long long small = 0, large = 0;
	int i;

	(void)m;
	(void)unused;
	for (i = 0; counting && i < 2; i++) {
		PyMem_SetAllocator(domains[i], &counters[i].orig);
		small += counters[i].small;
		large += counters[i].large;
	}
	counting = 0;
	return Py_BuildValue("(KK)", small, large);
}

static PyMethodDef methods[] = {
    {"obj_malloc", (PyCFunction)(void (*)(void))obj_malloc, METH_FASTCALL,
     "obj_malloc(slot, n)"},
    {"obj_calloc", (PyCFunction)(void (*)(void))obj_calloc, METH_FASTCALL,
     "obj_calloc(slot, count, n)"},
    {"obj_realloc", (PyCFunction)(void (*)(void))obj_realloc, METH_FASTCALL,
     "obj_realloc(slot, n)"},
    {"obj_free", (PyCFunction)(void (*)(void))obj_free, METH_FASTCALL,
     "obj_free(slot)"},
    {"mem_malloc", (PyCFunction)(void (*)(void))mem_malloc, METH_FASTCALL,
     "mem_malloc(slot, n)"},
    {"mem_free", (PyCFunction)(void (*)(void))mem_free, METH_FASTCALL,
     "mem_free(slot)"},
    {"count_start", count_start, METH_NOARGS, "count_start()"},
    {"count_stop", count_stop, METH_NOARGS, "count_stop() -> (small, large)"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "pyalloc", NULL, -1, methods, NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit_pyalloc(void)
{
	return PyModule_Create(&module);
}
