/* SPDX-License-Identifier: MIT */
/*
 * python.h - CPython processes: recognised, their frames walked in BPF,
 * their code objects resolved to Python file:line.
 *
 * Owned by the python module. A process is CPython when it maps a
 * libpython3.X or a python3.X executable; its version comes from the
 * Py_Version symbol (else the file name), its layouts from
 * python_offsets.h, the table's checked against its type objects
 * (python_types.h) once it runs. Once the interpreter has made its
 * thread-state TSS key (read from _PyRuntime), the process's entry in the BPF
 * map py_procs says where each thread's PyThreadState is: in glibc's
 * thread-specific data, as the process's own glibc lays it out (glibc_tsd.h).
 * Code objects are read (pycode.h) and kept per (process, address),
 * checked against the process at every use while it lives.
 */
#ifndef ALLOCSNOOP_PYTHON_H
#define ALLOCSNOOP_PYTHON_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct as_python;

/* @py_procs_fd: the BPF map py_procs. */
int python__new(int py_procs_fd, bool verbose, struct as_python **out);
void python__free(struct as_python *py);

/*
 * Looks at @pid's mappings: a CPython 3.10+ gets its py_procs entry now,
 * or once its TSS key exists (python__poll). 0 when it is not CPython or
 * was set up; a negative errno when it is one we cannot walk (said with
 * -v).
 */
int python__scan(struct as_python *py, pid_t pid);
/* python__scan() of every process there is (system-wide tracing). */
int python__scan_all(struct as_python *py);
/* True while a CPython process recognised in the last 10 s waits for its
 * TSS key or its DWARF check: the caller then polls often. */
bool python__pending(const struct as_python *py);
/*
 * A CPython process walked for a second whose interpreter file (libpython
 * or the executable) was not handed out yet: its path, which this process
 * can open, and *@pid; NULL when there is none. The caller loads the
 * file's unwind table then, which takes a second or so: not while the
 * interpreter starts.
 */
const char *python__take_interpreter(struct as_python *py, pid_t *pid);
/* True when a CPython process's frames are walked. */
bool python__any(const struct as_python *py);
/* Sets up the waiting processes whose key now exists. */
void python__poll(struct as_python *py);
/* @pid exec'd or exited: its entry and code objects are dropped. */
void python__forget(struct as_python *py, pid_t pid);

/* A Python frame of @pid, from a tagged stack entry (AS_PY_TAG). */
struct as_py_frame {
	const char *function; /* co_qualname (3.10: co_name); owned by the
				 module */
	const char *file;     /* co_filename */
	int line;	      /* 0 when unknown */
};

/*
 * Reads the code object of @entry of @pid unless it was read before; with
 * @check, also when what was read before is not at that address any more
 * (a new stack: the address may be a freed code object's).
 */
void python__prefetch(struct as_python *py, pid_t pid, uint64_t entry,
		      bool check);

/* 0, or -ENOENT when the code object cannot be read (nor was before). */
int python__resolve(struct as_python *py, pid_t pid, uint64_t entry,
		    struct as_py_frame *out);

#endif
