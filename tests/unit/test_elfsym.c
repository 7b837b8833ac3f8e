// SPDX-License-Identifier: MIT
/*
 * Unit tests for elfsym: every lookup is checked against where the dynamic
 * linker actually put the symbol in this process (dlsym/dladdr1), and the
 * bytes read from the file against the code in memory.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "symbolize/elfsym.h"

/* Global, so it is a GLOBAL FUNC in the test binary's .symtab only. */
__attribute__((noinline, used)) int elfsym_test_target(int x);
__attribute__((noinline, used)) int elfsym_test_target(int x)
{
	return x * 3 + 1;
}

/* The file and load bias of the object that holds @addr. */
static void where(const void *addr, char *path, size_t len, uintptr_t *bias)
{
	struct link_map *lm = NULL;
	Dl_info info;

	assert_int_not_equal(
	    dladdr1(addr, &info, (void **)&lm, RTLD_DL_LINKMAP), 0);
	assert_non_null(lm);
	/* The main program's link_map has an empty name. */
	if (!lm->l_name[0])
		snprintf(path, len, "/proc/self/exe");
	else
		snprintf(path, len, "%s", lm->l_name);
	*bias = lm->l_addr;
}

/* Looks up @name in the file that holds @addr, checks the answer. */
static void check_symbol(const void *addr, const char *name)
{
	struct as_elfsym sym;
	uintptr_t bias;
	char path[4096];
	uint8_t *buf;
	size_t i;

	where(addr, path, sizeof(path), &bias);
	assert_int_equal(elfsym__lookup(path, name, &sym), 0);
	assert_int_equal(sym.vaddr, (uintptr_t)addr - bias);
	assert_true(sym.size > 0);
	buf = malloc(sym.size);
	assert_non_null(buf);
	assert_int_equal(elfsym__read(path, sym.file_offset, buf, sym.size), 0);
	/* Equal bytes, except where a tracer running on this machine (maybe
	 * allocsnoop itself) has put a uprobe: memory then shows int3. */
	for (i = 0; i < sym.size; i++)
		if (((const uint8_t *)addr)[i] != 0xcc)
			assert_int_equal(buf[i], ((const uint8_t *)addr)[i]);
	free(buf);
}

static void *libc_handle(void)
{
	void *h = dlopen("libc.so.6", RTLD_LAZY | RTLD_NOLOAD);

	assert_non_null(h);
	return h;
}

static void test_symtab_function(void **state)
{
	(void)state;
	assert_int_equal(elfsym_test_target(2), 7);
	check_symbol((const void *)elfsym_test_target, "elfsym_test_target");
}

static void test_dynsym_global_and_weak(void **state)
{
	void *h = libc_handle();

	(void)state;
	check_symbol(dlsym(h, "malloc"), "malloc"); /* GLOBAL */
	check_symbol(dlsym(h, "calloc"), "calloc"); /* WEAK */
	check_symbol(dlsym(h, "free"), "free");
	dlclose(h);
}

/* pthread_cond_init@GLIBC_2.2.5 comes first in .dynsym; the default
 * @@GLIBC_2.3.2 must win, as it does for dlsym. */
static void test_default_version_wins(void **state)
{
	void *h = libc_handle();
	void *def = dlsym(h, "pthread_cond_init");
	void *old = dlvsym(h, "pthread_cond_init", "GLIBC_2.2.5");

	(void)state;
	assert_non_null(def);
	assert_non_null(old);
	assert_ptr_not_equal(def, old);
	check_symbol(def, "pthread_cond_init");
	dlclose(h);
}

static void test_not_functions(void **state)
{
	char path[4096];
	struct as_elfsym sym;
	uintptr_t bias;
	void *h = libc_handle();

	(void)state;
	where(dlsym(h, "malloc"), path, sizeof(path), &bias);
	assert_int_equal(elfsym__lookup(path, "no_such_function_xyz", &sym),
			 -ENOENT);
	assert_int_equal(elfsym__lookup(path, "mallo", &sym), -ENOENT);
	assert_int_equal(elfsym__lookup(path, "stdout", &sym), -ENOENT);
	/* The default memcpy is an IFUNC; the old plain-FUNC version next
	 * to it must not be taken instead. */
	assert_int_equal(elfsym__lookup(path, "memcpy", &sym), -ENOENT);
	assert_int_equal(elfsym__lookup(path, "strlen", &sym), -ENOENT);
	/* Only referenced (undefined) in the test binary. */
	assert_int_equal(
	    elfsym__lookup("/proc/self/exe", "_cmocka_run_group_tests", &sym),
	    -ENOENT);
	dlclose(h);
}

/*
 * Debian's python3.11 is stripped and built with LTO: pymalloc's static
 * _PyObject_Malloc is found as _PyObject_Malloc.lto_priv.0 in its debug
 * file (python3.11-dbg, which install-deps installs), at the bytes the
 * executable maps (lea rax, [rsi - 1]: the size is its second argument).
 */
static void test_lto_copy_from_debug_file(void **state)
{
	static const uint8_t lea[] = {0x48, 0x8d, 0x46, 0xff};
	const char *py = "/usr/bin/python3.11";
	struct as_elfsym sym, pub;
	uint8_t code[sizeof(lea)];

	(void)state;
	assert_int_equal(elfsym__lookup(py, "_PyObject_Malloc", &sym), -ENOENT);
	assert_int_equal(elfsym__lookup_lto(py, "_PyObject_Malloc", &sym), 0);
	assert_int_equal(elfsym__lookup(py, "PyObject_Malloc", &pub), 0);
	assert_true(sym.size > 0 && sym.vaddr != pub.vaddr);
	assert_int_equal(elfsym__read(py, sym.file_offset, code, sizeof(code)),
			 0);
	assert_memory_equal(code, lea, sizeof(lea));
	assert_int_equal(elfsym__lookup_lto(py, "_PyObject_Free", &sym), 0);
	/* a global, or a name with no copy, is not one */
	assert_int_equal(elfsym__lookup_lto(py, "PyObject_Malloc", &sym),
			 -ENOENT);
	assert_int_equal(elfsym__lookup_lto(py, "_PyObject_Mall", &sym),
			 -ENOENT);
}

static void test_bad_files(void **state)
{
	char path[] = "/tmp/test_elfsym.XXXXXX";
	struct as_elfsym sym;
	uint8_t buf[8];
	int fd;

	(void)state;
	assert_int_equal(elfsym__lookup("/nonexistent/lib.so", "malloc", &sym),
			 -ENOENT);
	assert_int_equal(elfsym__lookup("/proc/self/exe", NULL, &sym), -EINVAL);
	assert_int_equal(elfsym__lookup("/proc/self/exe", "", &sym), -EINVAL);

	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(elfsym__lookup(path, "malloc", &sym), -ENOEXEC);
	assert_int_equal(write(fd, "not an ELF file\n", 16), 16);
	assert_int_equal(elfsym__lookup(path, "malloc", &sym), -ENOEXEC);
	assert_int_equal(elfsym__read(path, 4, buf, 3), 0);
	assert_memory_equal(buf, "an ", 3);
	assert_int_equal(elfsym__read(path, 10, buf, 8), -EIO);
	assert_int_equal(elfsym__read(path, 16, buf, 0), 0);
	assert_int_equal(elfsym__read("/nonexistent/x", 0, buf, 1), -ENOENT);
	close(fd);
	unlink(path);
}

static void test_read_elf_header(void **state)
{
	uint8_t buf[4];

	(void)state;
	assert_int_equal(elfsym__read("/proc/self/exe", 0, buf, 4), 0);
	assert_memory_equal(buf, "\177ELF", 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_symtab_function),
	    cmocka_unit_test(test_dynsym_global_and_weak),
	    cmocka_unit_test(test_default_version_wins),
	    cmocka_unit_test(test_not_functions),
	    cmocka_unit_test(test_lto_copy_from_debug_file),
	    cmocka_unit_test(test_bad_files),
	    cmocka_unit_test(test_read_elf_header),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
