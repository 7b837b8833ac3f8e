// SPDX-License-Identifier: MIT
/*
 * cbext: a C extension that calls back into Python, allocating on the
 * way, so that a stack holds two runs of the eval loop with C between
 * them (tests/e2e/test_python.py builds it for each interpreter; not a
 * workload program, so not in the Makefile).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

/* not static: the compiler must not drop a malloc whose block is kept */
void *cbext_kept[16];
size_t cbext_nkept;

/* call_back(fn): keeps a malloc'd block of its own, then returns fn(). */
static PyObject *call_back(PyObject *self, PyObject *fn)
{
	(void)self;
	if (cbext_nkept < sizeof(cbext_kept) / sizeof(cbext_kept[0]))
		cbext_kept[cbext_nkept++] = malloc(654321); /* @cb_c_malloc */
	return PyObject_CallObject(fn, NULL);		    /* @cb_c_call */
}

static PyMethodDef methods[] = {
    {"call_back", call_back, METH_O, "fn() called from C"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "cbext", NULL, -1, methods,
};

PyMODINIT_FUNC PyInit_cbext(void)
{
	return PyModule_Create(&module);
}
