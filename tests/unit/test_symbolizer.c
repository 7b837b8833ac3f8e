// SPDX-License-Identifier: MIT
/*
 * Unit tests for the symbolizer: small programs are compiled into a
 * temporary directory at run time, and the file offsets of known
 * instructions (from nm/objdump and the ELF program headers) must resolve
 * to the exact functions, full source paths and lines.
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* cmocka needs the headers above */
#include <cmocka.h>

#include "helpers.h"

#include "symbolize/symbolizer.h"

static const char c_source[] =
    "#include <stdlib.h>\n"
    "static inline __attribute__((always_inline)) void *leaf(size_t n)\n"
    "{\n"
    "\treturn malloc(n); /* LEAF_CALL */\n"
    "}\n"
    "static inline __attribute__((always_inline)) void *middle(size_t n)\n"
    "{\n"
    "\treturn leaf(n + 1); /* MIDDLE_CALL */\n"
    "}\n"
    "static inline __attribute__((always_inline)) void *single(size_t n)\n"
    "{\n"
    "\treturn malloc(n + 2); /* SINGLE_CALL */\n"
    "}\n"
    "__attribute__((noinline)) void *outer(size_t n)\n"
    "{\n"
    "\treturn middle(n); /* OUTER_CALL */\n"
    "}\n"
    "__attribute__((noinline)) void *twice(size_t n)\n"
    "{\n"
    "\treturn single(n); /* TWICE_CALL */\n"
    "}\n"
    "__attribute__((noinline)) void *plain(size_t n)\n"
    "{ /* PLAIN_ENTRY */\n"
    "\treturn malloc(n); /* PLAIN_CALL */\n"
    "}\n"
    "int main(int argc, char **argv)\n"
    "{\n"
    "\t(void)argv;\n"
    "\tfree(plain((size_t)argc));\n"
    "\tfree(outer((size_t)argc));\n"
    "\tfree(twice((size_t)argc));\n"
    "\treturn 0;\n"
    "}\n";

static const char cxx_source[] =
    "namespace ns {\n"
    "struct Klass {\n"
    "\tint method(int x);\n"
    "};\n"
    "__attribute__((noinline)) int Klass::method(int x)\n"
    "{ /* METHOD_ENTRY */\n"
    "\treturn x + 1;\n"
    "}\n"
    "}\n"
    "int main(int argc, char **)\n"
    "{\n"
    "\tns::Klass k;\n"
    "\treturn k.method(argc);\n"
    "}\n";

struct fixture {
	char dir[PATH_MAX];
	char src[PATH_MAX]; /* full path of prog.c */
	char prog[PATH_MAX], stripped[PATH_MAX], nodebug[PATH_MAX];
	char cxx[PATH_MAX], cxx_src[PATH_MAX], cxx_nodebug[PATH_MAX];
	char text[PATH_MAX], truncated[PATH_MAX];
};

static int write_file(const char *path, const char *text, size_t len)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -1;
	if (fwrite(text, 1, len, f) != len) {
		fclose(f);
		return -1;
	}
	return fclose(f);
}

/* 1-based line of @src that contains @marker. */
static int line_of(const char *src, const char *marker)
{
	const char *p = strstr(src, marker);
	int line = 1;

	assert_non_null(p);
	for (const char *q = src; q < p; q++)
		line += *q == '\n';
	return line;
}

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	char tmpl[] = "/tmp/test_symbolizer.XXXXXX";

	if (!fx || !mkdtemp(tmpl))
		return -1;
	/* DWARF holds the physical directory: compare against that. */
	if (!realpath(tmpl, fx->dir))
		return -1;
	snprintf(fx->src, sizeof(fx->src), "%s/prog.c", fx->dir);
	snprintf(fx->prog, sizeof(fx->prog), "%s/prog", fx->dir);
	snprintf(fx->stripped, sizeof(fx->stripped), "%s/prog.stripped",
		 fx->dir);
	snprintf(fx->nodebug, sizeof(fx->nodebug), "%s/prog.nodebug", fx->dir);
	snprintf(fx->cxx_src, sizeof(fx->cxx_src), "%s/klass.cc", fx->dir);
	snprintf(fx->cxx, sizeof(fx->cxx), "%s/klass", fx->dir);
	snprintf(fx->cxx_nodebug, sizeof(fx->cxx_nodebug), "%s/klass.nodebug",
		 fx->dir);
	snprintf(fx->text, sizeof(fx->text), "%s/notelf.txt", fx->dir);
	snprintf(fx->truncated, sizeof(fx->truncated), "%s/prog.truncated",
		 fx->dir);
	if (write_file(fx->src, c_source, strlen(c_source)) ||
	    write_file(fx->cxx_src, cxx_source, strlen(cxx_source)) ||
	    write_file(fx->text, "not an ELF file\n", 16))
		return -1;
	/* A relative source name checks the join with DW_AT_comp_dir. */
	if (helpers__run("cd '%s' && cc -g -O0 -rdynamic -o prog prog.c",
			 fx->dir) ||
	    helpers__run("strip -o '%s' '%s'", fx->stripped, fx->prog) ||
	    helpers__run("strip --strip-debug -o '%s' '%s'", fx->nodebug,
			 fx->prog) ||
	    helpers__run("head -c 3000 '%s' > '%s'", fx->prog, fx->truncated) ||
	    helpers__run("cd '%s' && g++ -g -O0 -o klass klass.cc", fx->dir) ||
	    helpers__run("strip --strip-debug -o '%s' '%s'", fx->cxx_nodebug,
			 fx->cxx))
		return -1;
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	if (fx && fx->dir[0])
		helpers__run("rm -rf '%s'", fx->dir);
	free(fx);
	return 0;
}

/* Address of symbol @name from nm. */
static uint64_t sym_addr(const char *prog, const char *name)
{
	char cmd[PATH_MAX + 32], line[512], sym[256], type;
	unsigned long long addr, found = 0;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "nm '%s'", prog);
	p = popen(cmd, "r");
	assert_non_null(p);
	while (fgets(line, sizeof(line), p))
		if (sscanf(line, "%llx %c %255s", &addr, &type, sym) == 3 &&
		    strcmp(sym, name) == 0)
			found = addr;
	pclose(p);
	assert_true(found != 0);
	return found;
}

/* Return address of the first call to malloc@plt inside @func. */
static uint64_t call_return_addr(const char *prog, const char *func)
{
	char cmd[PATH_MAX + 64], line[512], want[300];
	unsigned long long addr, ret = 0;
	bool in_func = false, after_call = false;
	FILE *p;

	snprintf(want, sizeof(want), "<%s>:", func);
	snprintf(cmd, sizeof(cmd), "objdump -d --no-show-raw-insn '%s'", prog);
	p = popen(cmd, "r");
	assert_non_null(p);
	while (fgets(line, sizeof(line), p)) {
		if (strchr(line, '<') && strstr(line, ">:")) {
			in_func = strstr(line, want) != NULL;
			continue;
		}
		if (!in_func || sscanf(line, " %llx:", &addr) != 1)
			continue;
		if (after_call && !ret)
			ret = addr;
		if (strstr(line, "call") && strstr(line, "<malloc@plt>"))
			after_call = true;
	}
	pclose(p);
	assert_true(ret != 0);
	return ret;
}

static void file_open(struct as_module_file *f, const char *path,
		      bool with_build_id)
{
	struct stat st;

	memset(f, 0, sizeof(*f));
	f->path = strdup(path);
	f->fd = open(path, O_RDONLY);
	assert_true(f->fd >= 0);
	assert_int_equal(fstat(f->fd, &st), 0);
	f->dev = st.st_dev;
	f->ino = st.st_ino;
	if (with_build_id) {
		f->build_id = helpers__readelf_build_id(path);
		assert_non_null(f->build_id);
	}
}

static void file_close(struct as_module_file *f)
{
	if (f->fd >= 0)
		close(f->fd);
	free(f->path);
	free(f->build_id);
}

static void assert_line(const struct as_line *l, const char *function,
			const char *file, int64_t line)
{
	if (function)
		assert_string_equal(l->function, function);
	else
		assert_null(l->function);
	if (file)
		assert_string_equal(l->file, file);
	else
		assert_null(l->file);
	assert_int_equal(l->line, line);
}

static void test_plain_function(void **state)
{
	struct fixture *fx = *state;
	struct as_symbolizer *s;
	struct as_module_file f;
	struct as_symbol sym;
	uint64_t entry =
	    helpers__vaddr_to_offset(fx->prog, sym_addr(fx->prog, "plain"));
	uint64_t ret = helpers__vaddr_to_offset(
	    fx->prog, call_return_addr(fx->prog, "plain"));

	file_open(&f, fx->prog, true);
	assert_int_equal(symbolizer__new(&s), 0);

	assert_int_equal(symbolizer__resolve(s, &f, entry, false, &sym), 0);
	assert_int_equal(sym.nlines, 1);
	assert_line(&sym.lines[0], "plain", fx->src,
		    line_of(c_source, "PLAIN_ENTRY"));

	/* A return address is charged to the line of its call. */
	assert_int_equal(symbolizer__resolve(s, &f, ret, true, &sym), 0);
	assert_int_equal(sym.nlines, 1);
	assert_line(&sym.lines[0], "plain", fx->src,
		    line_of(c_source, "PLAIN_CALL"));

	symbolizer__free(s);
	file_close(&f);
}

static void test_inlined(void **state)
{
	struct fixture *fx = *state;
	struct as_symbolizer *s;
	struct as_module_file f;
	struct as_symbol sym, again;
	uint64_t ret3 = helpers__vaddr_to_offset(
	    fx->prog, call_return_addr(fx->prog, "outer"));
	uint64_t ret2 = helpers__vaddr_to_offset(
	    fx->prog, call_return_addr(fx->prog, "twice"));

	file_open(&f, fx->prog, true);
	assert_int_equal(symbolizer__new(&s), 0);

	/* One level: single() inlined into twice(). */
	assert_int_equal(symbolizer__resolve(s, &f, ret2, true, &sym), 0);
	assert_int_equal(sym.nlines, 2);
	assert_line(&sym.lines[0], "single", fx->src,
		    line_of(c_source, "SINGLE_CALL"));
	assert_line(&sym.lines[1], "twice", fx->src,
		    line_of(c_source, "TWICE_CALL"));

	/* Two levels: leaf() in middle() in outer(), innermost first. */
	assert_int_equal(symbolizer__resolve(s, &f, ret3, true, &sym), 0);
	assert_int_equal(sym.nlines, 3);
	assert_line(&sym.lines[0], "leaf", fx->src,
		    line_of(c_source, "LEAF_CALL"));
	assert_line(&sym.lines[1], "middle", fx->src,
		    line_of(c_source, "MIDDLE_CALL"));
	assert_line(&sym.lines[2], "outer", fx->src,
		    line_of(c_source, "OUTER_CALL"));

	/* Cached: the same lines come back. */
	assert_int_equal(symbolizer__resolve(s, &f, ret3, true, &again), 0);
	assert_ptr_equal(again.lines, sym.lines);
	assert_int_equal(again.nlines, 3);

	symbolizer__free(s);
	file_close(&f);
}

static void test_without_debug_info(void **state)
{
	struct fixture *fx = *state;
	struct as_symbolizer *s;
	struct as_module_file full, nodebug;
	struct as_symbol sym;
	uint64_t plain = sym_addr(fx->prog, "plain");
	uint64_t ret = call_return_addr(fx->prog, "plain");
	uint64_t ret3 = call_return_addr(fx->prog, "outer");
	uint64_t outer = sym_addr(fx->prog, "outer");
	char want[64];

	/* .symtab only */
	file_open(&nodebug, fx->nodebug, false);
	assert_int_equal(symbolizer__new(&s), 0);
	assert_int_equal(
	    symbolizer__resolve(s, &nodebug,
				helpers__vaddr_to_offset(fx->prog, ret), true,
				&sym),
	    0);
	assert_int_equal(sym.nlines, 1);
	snprintf(want, sizeof(want), "plain+0x%llx",
		 (unsigned long long)(ret - plain));
	assert_line(&sym.lines[0], want, NULL, 0);
	assert_int_equal(
	    symbolizer__resolve(s, &nodebug,
				helpers__vaddr_to_offset(fx->prog, ret3), true,
				&sym),
	    0);
	assert_int_equal(sym.nlines, 1);
	snprintf(want, sizeof(want), "outer+0x%llx",
		 (unsigned long long)(ret3 - outer));
	assert_line(&sym.lines[0], want, NULL, 0);
	symbolizer__free(s);
	file_close(&nodebug);

	/* Fully stripped: -rdynamic left plain() in .dynsym. */
	file_open(&nodebug, fx->stripped, true);
	assert_int_equal(symbolizer__new(&s), 0);
	assert_int_equal(
	    symbolizer__resolve(s, &nodebug,
				helpers__vaddr_to_offset(fx->prog, plain),
				false, &sym),
	    0);
	assert_int_equal(sym.nlines, 1);
	assert_line(&sym.lines[0], "plain+0x0", NULL, 0);

	/*
	 * Keyed by build-id: once the unstripped file with the same build-id
	 * was seen, its debug info serves the stripped copy too.
	 */
	symbolizer__free(s);
	assert_int_equal(symbolizer__new(&s), 0);
	file_open(&full, fx->prog, true);
	assert_string_equal(full.build_id, nodebug.build_id);
	assert_int_equal(
	    symbolizer__resolve(
		s, &full, helpers__vaddr_to_offset(fx->prog, ret), true, &sym),
	    0);
	assert_int_equal(
	    symbolizer__resolve(s, &nodebug,
				helpers__vaddr_to_offset(fx->prog, ret), true,
				&sym),
	    0);
	assert_int_equal(sym.nlines, 1);
	assert_line(&sym.lines[0], "plain", fx->src,
		    line_of(c_source, "PLAIN_CALL"));
	symbolizer__free(s);
	file_close(&full);
	file_close(&nodebug);
}

static void test_cxx_demangled(void **state)
{
	struct fixture *fx = *state;
	struct as_symbolizer *s;
	struct as_module_file f, nodebug;
	struct as_symbol sym;
	uint64_t entry = helpers__vaddr_to_offset(
	    fx->cxx, sym_addr(fx->cxx, "_ZN2ns5Klass6methodEi"));

	file_open(&f, fx->cxx, true);
	file_open(&nodebug, fx->cxx_nodebug, false);
	assert_int_equal(symbolizer__new(&s), 0);

	assert_int_equal(symbolizer__resolve(s, &f, entry, false, &sym), 0);
	assert_int_equal(sym.nlines, 1);
	assert_line(&sym.lines[0], "ns::Klass::method(int)", fx->cxx_src,
		    line_of(cxx_source, "METHOD_ENTRY"));

	assert_int_equal(symbolizer__resolve(s, &nodebug, entry, false, &sym),
			 0);
	assert_int_equal(sym.nlines, 1);
	assert_line(&sym.lines[0], "ns::Klass::method(int)+0x0", NULL, 0);

	symbolizer__free(s);
	file_close(&f);
	file_close(&nodebug);
}

/*
 * libc through procmaps: its lines come from the separate debug file
 * under /usr/lib/debug/.build-id (libc6-dbg), when that is installed.
 */
static void test_libc_debuginfo(void **state)
{
	struct as_procmaps *pm;
	struct as_symbolizer *s;
	struct as_addr_info ai;
	struct as_symbol sym;
	pid_t (*fn)(void) = getpid;
	char debug[PATH_MAX];
	const struct as_line *outer;

	(void)state;
	assert_int_equal(procmaps__new(&pm), 0);
	assert_int_equal(symbolizer__new(&s), 0);
	assert_int_equal(procmaps__refresh(pm, getpid()), 0);
	assert_int_equal(
	    procmaps__lookup(pm, getpid(), (uint64_t)(uintptr_t)fn, &ai), 0);
	assert_non_null(ai.file->build_id);
	assert_int_equal(
	    symbolizer__resolve(s, ai.file, ai.file_offset, false, &sym), 0);
	assert_true(sym.nlines >= 1);
	outer = &sym.lines[sym.nlines - 1];
	assert_non_null(outer->function);
	assert_non_null(strstr(outer->function, "getpid"));
	snprintf(debug, sizeof(debug), "/usr/lib/debug/.build-id/%.2s/%s.debug",
		 ai.file->build_id, ai.file->build_id + 2);
	if (access(debug, R_OK) == 0) {
		assert_non_null(sym.lines[0].file);
		assert_true(sym.lines[0].line > 0);
	} else {
		/* Symbols only: "name+0x0" at the entry. */
		assert_int_equal(sym.nlines, 1);
		assert_null(sym.lines[0].file);
		assert_non_null(strstr(outer->function, "+0x0"));
	}
	symbolizer__free(s);
	procmaps__free(pm);
}

static void test_nothing_known(void **state)
{
	struct fixture *fx = *state;
	struct as_symbolizer *s;
	struct as_module_file f, text, trunc;
	struct as_symbol sym;
	char vdso[] = "[vdso]";
	int rc;

	assert_int_equal(symbolizer__new(&s), 0);

	/* No descriptor (e.g. [vdso]): nothing, no error. */
	memset(&f, 0, sizeof(f));
	f.fd = -1;
	f.path = vdso;
	sym.nlines = 7;
	assert_int_equal(symbolizer__resolve(s, &f, 0x1000, true, &sym), 0);
	assert_int_equal(sym.nlines, 0);

	/* Outside every PT_LOAD. */
	file_open(&f, fx->prog, true);
	assert_int_equal(symbolizer__resolve(s, &f, 1ULL << 40, false, &sym),
			 0);
	assert_int_equal(sym.nlines, 0);
	file_close(&f);

	/* Not an ELF file: reported once, then silently nothing. */
	file_open(&text, fx->text, false);
	assert_int_equal(symbolizer__resolve(s, &text, 0, false, &sym),
			 -ENOEXEC);
	assert_int_equal(sym.nlines, 0);
	assert_int_equal(symbolizer__resolve(s, &text, 4, false, &sym), 0);
	assert_int_equal(sym.nlines, 0);
	file_close(&text);

	/* A truncated ELF must not crash; whatever is known is returned. */
	file_open(&trunc, fx->truncated, false);
	for (uint64_t off = 0; off < 0x3000; off += 0x101) {
		rc = symbolizer__resolve(s, &trunc, off, true, &sym);
		assert_true(rc == 0 || rc == -ENOEXEC);
		for (uint32_t i = 0; i < sym.nlines; i++)
			assert_true(sym.lines[i].line >= 0);
	}
	file_close(&trunc);

	symbolizer__free(s);
}

/*
 * GCC's LTO+PGO build of Debian's python3.11 (debug info from
 * python3.11-dbg, by build-id): an address in the .cold part of
 * arena_map_mark_used, inside an inlined arena_map_get whose abstract
 * origin lies in another CU, is named after the functions DWARF says it
 * is in, not after the nearest ELF symbol.
 */
static void test_lto_cold_part(void **state)
{
	static const char exe[] = "/usr/bin/python3.11";
	struct as_symbolizer *s;
	struct as_module_file f;
	struct as_symbol sym;
	char debug[PATH_MAX];
	uint64_t cold, off;

	(void)state;
	file_open(&f, exe, true);
	snprintf(debug, sizeof(debug), "/usr/lib/debug/.build-id/%.2s/%s.debug",
		 f.build_id, f.build_id + 2);
	/* scripts/install-deps installs python3.11-dbg */
	assert_int_equal(access(debug, R_OK), 0);
	cold = sym_addr(debug, "arena_map_mark_used.lto_priv.0.cold");
	off = helpers__vaddr_to_offset(exe, cold + 1);
	assert_int_equal(symbolizer__new(&s), 0);
	assert_int_equal(symbolizer__resolve(s, &f, off, false, &sym), 0);
	assert_int_equal(sym.nlines, 2);
	assert_string_equal(sym.lines[0].function, "arena_map_get");
	assert_string_equal(sym.lines[1].function, "arena_map_mark_used");
	assert_non_null(strstr(sym.lines[1].file, "Objects/obmalloc.c"));
	assert_true(sym.lines[1].line > 0);
	symbolizer__free(s);
	file_close(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_plain_function),
	    cmocka_unit_test(test_inlined),
	    cmocka_unit_test(test_without_debug_info),
	    cmocka_unit_test(test_cxx_demangled),
	    cmocka_unit_test(test_libc_debuginfo),
	    cmocka_unit_test(test_nothing_known),
	    cmocka_unit_test(test_lto_cold_part),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
