// SPDX-License-Identifier: MIT
/*
 * Unit tests for python_types: the layouts read from the type objects of
 * live interpreters (Debian's python3.11, each pyenv 3.10 to 3.13 there
 * is) equal to what their DWARF and the built-in table say; type objects
 * laid out here, in this process, read back, refused when they are not
 * what they claim, and told apart from the table field by field.
 */
#include <errno.h>
#include <glob.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "unwind/python_offsets.h"
#include "unwind/python_types.h"

/* --- type objects laid out here ---------------------------------------- */

struct fake_member {
	const char *name;
	int type;
	long offset;
	int flags;
	const char *doc;
};

/* A PyTypeObject's first words after a PyObject of 16 bytes. */
struct fake_type {
	uint64_t refcnt, type, size;
	const char *name;
	long basicsize;
	uint64_t skip[25];
	struct fake_member *members;
};

struct fakes {
	struct fake_member members[8];
	struct fake_type code, str, bytes, object;
	struct as_py_types_at at;
};

static void fakes_init(struct fakes *f, long filename_at)
{
	const struct fake_member m[] = {
	    {"co_argcount", 1, 0x10, 1, NULL},
	    {"co_filename", 6, filename_at, 1, NULL},
	    {"co_name", 6, 0x78, 1, NULL},
	    {"co_qualname", 6, 0x80, 1, NULL},
	    {"co_firstlineno", 1, 0x48, 1, NULL},
	    {"co_linetable", 6, 0x88, 1, NULL},
	    {NULL, 0, 0, 0, NULL},
	};

	memset(f, 0, sizeof(*f));
	memcpy(f->members, m, sizeof(m));
	f->code = (struct fake_type){.name = "code", .basicsize = 0xb8};
	f->code.members = f->members;
	f->str = (struct fake_type){.name = "str", .basicsize = 80};
	f->bytes = (struct fake_type){.name = "bytes", .basicsize = 33};
	f->object = (struct fake_type){.name = "object", .basicsize = 16};
	f->at = (struct as_py_types_at){(uintptr_t)&f->code, (uintptr_t)&f->str,
					(uintptr_t)&f->bytes,
					(uintptr_t)&f->object};
}

static void test_fake_types(void **state)
{
	struct as_py_layout table, l;
	struct fakes f;
	unsigned got, want;

	(void)state;
	_Static_assert(offsetof(struct fake_type, members) == 240,
		       "tp_members is at 240");
	assert_int_equal(python_offsets__get(11, &table), 0);
	fakes_init(&f, 0x70);
	l = table;
	assert_int_equal(python_types__read(getpid(), &f.at, &l), 0);
	assert_string_equal(l.source, "type objects");
	assert_null(python_types__differs(&l, &table, &got, &want));
	/* 3.11's table, as these types say it */
	l.source = table.source;
	assert_memory_equal(&l, &table, sizeof(l));

	/* a build whose code objects have another layout: told */
	fakes_init(&f, 0x90);
	l = table;
	assert_int_equal(python_types__read(getpid(), &f.at, &l), 0);
	assert_string_equal(python_types__differs(&l, &table, &got, &want),
			    "PyCodeObject.co_filename");
	assert_int_equal(got, 0x90);
	assert_int_equal(want, 0x70);

	/* a bigger str: its data starts later */
	fakes_init(&f, 0x70);
	f.str.basicsize = 96;
	l = table;
	assert_int_equal(python_types__read(getpid(), &f.at, &l), 0);
	assert_string_equal(python_types__differs(&l, &table, &got, &want),
			    "sizeof(PyASCIIObject)");

	/* not a type object of that name */
	fakes_init(&f, 0x70);
	f.bytes.name = "bytearray";
	assert_int_equal(python_types__read(getpid(), &f.at, &l), -EPROTO);
	/* a member missing */
	fakes_init(&f, 0x70);
	f.members[5].name = NULL;
	assert_int_equal(python_types__read(getpid(), &f.at, &l), -EPROTO);
	/* of another type than the field's */
	fakes_init(&f, 0x70);
	f.members[4].type = 6;
	assert_int_equal(python_types__read(getpid(), &f.at, &l), -EPROTO);
	/* PyObject not 16 (nor 32) bytes */
	fakes_init(&f, 0x70);
	f.object.basicsize = 24;
	assert_int_equal(python_types__read(getpid(), &f.at, &l), -EPROTO);
}

/* --- live interpreters ------------------------------------------------- */

/* Starts @python, which says "ready" once initialised and then waits. */
static pid_t start_python(const char *python, int *to_child, int *from_child)
{
	int in[2], out[2];
	char buf[8] = {0};
	pid_t pid;

	assert_int_equal(pipe(in), 0);
	assert_int_equal(pipe(out), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(in[1]);
		close(out[0]);
		dup2(in[0], 0);
		dup2(out[1], 1);
		execl(python, python, "-c",
		      "import sys; print('ready', flush=True); "
		      "sys.stdin.read()",
		      (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	assert_int_equal(read(out[0], buf, 5), 5);
	assert_string_equal(buf, "ready");
	*to_child = in[1];
	*from_child = out[0];
	return pid;
}

/* The types of @python (whose interpreter file is @file) read live, over
 * the table of its version, into @l. */
static void read_live(const char *python, const char *file, int minor,
		      struct as_py_layout *l)
{
	struct as_py_types_at at;
	struct stat st;
	int to_child, from_child, status;
	pid_t pid;

	assert_int_equal(python_offsets__get(minor, l), 0);
	assert_int_equal(stat(file, &st), 0);
	pid = start_python(python, &to_child, &from_child);
	assert_int_equal(
	    python_types__locate(pid, file, st.st_dev, st.st_ino, &at), 0);
	/* what the types give must be given by them: not left from the
	 * table */
	l->co_filename = l->co_name = l->co_linetable = 0;
	l->co_firstlineno = l->str_length = l->str_state = 0;
	l->str_ascii_data = l->str_compact_data = 0;
	l->bytes_size = l->bytes_data = 0;
	if (minor >= 11)
		l->co_qualname = l->co_code_adaptive = 0;
	assert_int_equal(python_types__read(pid, &at, l), 0);
	close(to_child);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	close(from_child);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_string_equal(l->source, "type objects");
}

/* The types of @python equal its DWARF's layout and the table's. */
static void check_live(const char *python, const char *file, int minor)
{
	struct as_py_layout types, dwarf, table;
	unsigned got, want;
	const char *diff;

	print_message("  %s (%s)\n", python, file);
	read_live(python, file, minor, &types);
	assert_int_equal(python_offsets__get(minor, &table), 0);
	dwarf = table;
	assert_int_equal(python_offsets__from_dwarf(file, &dwarf), 0);
	diff = python_types__differs(&types, &dwarf, &got, &want);
	if (diff)
		fail_msg("%s: %s is 0x%x by the types, 0x%x by DWARF", python,
			 diff, got, want);
	assert_null(python_types__differs(&types, &table, &got, &want));
	/* the frame layout is the table's still */
	types.source = dwarf.source = table.source;
	assert_memory_equal(&types, &table, sizeof(types));
}

static void test_debian_python(void **state)
{
	(void)state;
	/* scripts/install-deps installs python3.11 and its -dbg */
	check_live("/usr/bin/python3.11", "/usr/bin/python3.11", 11);
}

/* Each pyenv build of a version the table knows. */
static void test_pyenv_pythons(void **state)
{
	struct as_py_layout l;
	char pattern[128], python[PATH_MAX], lib[PATH_MAX];
	size_t checked = 0;
	glob_t g;

	(void)state;
	for (int minor = 10; minor <= 13; minor++) {
		if (python_offsets__get(minor, &l))
			continue;
		snprintf(pattern, sizeof(pattern),
			 "/root/.pyenv/versions/3.%d.*/bin/python3.%d", minor,
			 minor);
		if (glob(pattern, 0, NULL, &g))
			continue;
		for (size_t i = 0; i < g.gl_pathc; i++) {
			snprintf(python, sizeof(python), "%s", g.gl_pathv[i]);
			snprintf(lib, sizeof(lib),
				 "%.*s/lib/libpython3.%d.so.1.0",
				 (int)(strrchr(python, '/') - python - 4),
				 python, minor);
			check_live(python, lib, minor);
			checked++;
		}
		globfree(&g);
	}
	print_message("  %zu pyenv builds checked\n", checked);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fake_types),
	    cmocka_unit_test(test_debian_python),
	    cmocka_unit_test(test_pyenv_pythons),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
