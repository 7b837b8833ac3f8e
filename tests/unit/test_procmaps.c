// SPDX-License-Identifier: MIT
/*
 * Unit tests for procmaps: this process, forked children, a zombie, an
 * executable run from a path with spaces and then deleted, file mappings
 * with long and odd names, and the vDSO. Expected values come from the
 * dynamic loader (dladdr1), the ELF program headers and `readelf -n`.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <limits.h>
#include <link.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* cmocka needs the headers above */
#include <cmocka.h>

#include "helpers.h"

#include "symbolize/procmaps.h"

struct fixture {
	char dir[PATH_MAX];
};

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	char tmpl[] = "/tmp/test_procmaps.XXXXXX";

	if (!fx || !mkdtemp(tmpl) || !realpath(tmpl, fx->dir))
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

static bool is_root(void)
{
	return geteuid() == 0;
}

/* What the loader says about libc's getpid: real path, address, offset. */
struct libc_fact {
	char path[PATH_MAX];
	uint64_t addr;
	uint64_t file_offset;
};

static void libc_getpid(struct libc_fact *lf)
{
	pid_t (*fn)(void) = getpid;
	struct link_map *lm = NULL;
	const ElfW(Sym) *sym = NULL;
	Dl_info info;

	assert_true(dladdr1((void *)fn, &info, (void **)&sym, RTLD_DL_SYMENT) !=
		    0);
	assert_non_null(sym);
	assert_true(dladdr1((void *)fn, &info, (void **)&lm, RTLD_DL_LINKMAP) !=
		    0);
	assert_non_null(realpath(info.dli_fname, lf->path));
	assert_non_null(strstr(lf->path, "/libc.so"));
	lf->addr = (uint64_t)(uintptr_t)fn;
	assert_int_equal(lf->addr, lm->l_addr + sym->st_value);
	lf->file_offset = helpers__vaddr_to_offset(lf->path, sym->st_value);
}

static void test_self(void **state)
{
	struct as_procmaps *pm;
	struct as_addr_info ai;
	struct libc_fact lf;
	struct stat st, fst;
	char *want_id;

	(void)state;
	libc_getpid(&lf);
	assert_int_equal(procmaps__new(&pm), 0);
	assert_false(procmaps__known(pm, getpid()));
	assert_int_equal(procmaps__refresh(pm, getpid()), 0);
	assert_true(procmaps__known(pm, getpid()));

	assert_int_equal(procmaps__lookup(pm, getpid(), lf.addr, &ai), 0);
	assert_string_equal(ai.file->path, lf.path);
	assert_int_equal(ai.file_offset, lf.file_offset);
	assert_true(ai.start <= lf.addr && lf.addr < ai.limit);
	assert_int_equal(ai.file_offset, lf.addr - ai.start + ai.pgoff);

	want_id = helpers__readelf_build_id(lf.path);
	assert_non_null(want_id);
	assert_non_null(ai.file->build_id);
	assert_string_equal(ai.file->build_id, want_id);
	free(want_id);

	/* The descriptor is libc itself. */
	assert_true(ai.file->fd >= 0);
	assert_int_equal(stat(lf.path, &st), 0);
	assert_int_equal(fstat(ai.file->fd, &fst), 0);
	assert_int_equal(fst.st_ino, st.st_ino);
	assert_int_equal(ai.file->ino, st.st_ino);

	/* Our own code is mapped too. */
	assert_int_equal(
	    procmaps__lookup(pm, getpid(), (uint64_t)(uintptr_t)test_self, &ai),
	    0);
	assert_non_null(ai.file->build_id);
	procmaps__free(pm);
}

static void test_unmapped(void **state)
{
	struct as_procmaps *pm;
	struct as_addr_info ai;
	char *heap = malloc(64);
	int stack_var = 0;

	(void)state;
	assert_int_equal(procmaps__new(&pm), 0);
	/* Before any refresh nothing is known. */
	assert_int_equal(procmaps__lookup(pm, getpid(), 0x1000, &ai), -ENOENT);
	assert_int_equal(procmaps__refresh(pm, getpid()), 0);
	assert_int_equal(procmaps__lookup(pm, getpid(), 0, &ai), -ENOENT);
	assert_int_equal(procmaps__lookup(pm, getpid(), UINT64_MAX, &ai),
			 -ENOENT);
	/* Data is not executable. */
	assert_int_equal(
	    procmaps__lookup(pm, getpid(), (uint64_t)(uintptr_t)heap, &ai),
	    -ENOENT);
	assert_int_equal(procmaps__lookup(pm, getpid(),
					  (uint64_t)(uintptr_t)&stack_var, &ai),
			 -ENOENT);
	procmaps__free(pm);
	free(heap);
}

static pid_t fork_paused(void)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		for (;;)
			pause();
	}
	return pid;
}

static void reap(pid_t pid)
{
	int status;

	kill(pid, SIGKILL);
	assert_int_equal(waitpid(pid, &status, 0), pid);
}

static void test_child(void **state)
{
	struct as_procmaps *pm;
	struct as_addr_info self, child;
	struct libc_fact lf;
	pid_t pid;

	(void)state;
	libc_getpid(&lf);
	pid = fork_paused();
	assert_int_equal(procmaps__new(&pm), 0);
	assert_int_equal(procmaps__refresh(pm, getpid()), 0);
	assert_int_equal(procmaps__refresh(pm, pid), 0);
	assert_int_equal(procmaps__lookup(pm, getpid(), lf.addr, &self), 0);
	assert_int_equal(procmaps__lookup(pm, pid, lf.addr, &child), 0);
	/* One file for both processes. */
	assert_ptr_equal(child.file, self.file);
	assert_int_equal(child.file_offset, lf.file_offset);

	reap(pid);
	assert_int_equal(procmaps__refresh(pm, pid), -ESRCH);
	/* The last mappings read stay until forgotten. */
	assert_true(procmaps__known(pm, pid));
	assert_int_equal(procmaps__lookup(pm, pid, lf.addr, &child), 0);
	assert_ptr_equal(child.file, self.file);
	procmaps__forget(pm, pid);
	assert_false(procmaps__known(pm, pid));
	assert_int_equal(procmaps__lookup(pm, pid, lf.addr, &child), -ENOENT);
	/* Forgetting one process keeps the others and the files. */
	assert_int_equal(procmaps__lookup(pm, getpid(), lf.addr, &self), 0);
	assert_true(self.file->fd >= 0);
	procmaps__free(pm);
}

static char proc_state(pid_t pid)
{
	char path[64], buf[512], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : 0;
}

/* A child that has exited and is not reaped yet (the caller reaps it). */
static pid_t zombie_child(void)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0)
		_exit(0);
	for (int i = 0; i < 2000 && proc_state(pid) != 'Z'; i++)
		usleep(1000);
	assert_int_equal(proc_state(pid), 'Z');
	return pid;
}

static void test_dead(void **state)
{
	struct as_procmaps *pm;
	char buf[PATH_MAX];
	pid_t pid;
	int status;

	(void)state;
	assert_int_equal(procmaps__new(&pm), 0);
	/* A zombie still has /proc/PID but no memory. */
	pid = zombie_child();
	assert_int_equal(procmaps__refresh(pm, pid), -ESRCH);
	assert_int_equal(procmaps__find_lib(pid, "libc.so", buf, sizeof(buf)),
			 -ESRCH);
	assert_false(procmaps__known(pm, pid));

	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(procmaps__refresh(pm, pid), -ESRCH);
	assert_int_equal(procmaps__find_lib(pid, "libc.so", buf, sizeof(buf)),
			 -ESRCH);
	assert_int_equal(procmaps__refresh(pm, -1), -ESRCH);
	assert_false(procmaps__known(pm, pid));
	procmaps__free(pm);
}

/* The state after the last ')' decides: comm may hold anything. */
static void test_stat_gone(void **state)
{
	(void)state;
	assert_false(procmaps__stat_gone("42 (cat) R 1 42 42 0 -1"));
	assert_false(procmaps__stat_gone("42 (a) Z (b)) S 1 42"));
	assert_false(procmaps__stat_gone("42 (sleep) D 1"));
	assert_true(procmaps__stat_gone("42 (cat) Z 1 42 42 0 -1"));
	assert_true(procmaps__stat_gone("42 (a) R (b)) X 1"));
	assert_true(procmaps__stat_gone("42 (cat) x 1"));
	/* cut short or not a stat line: nothing says it lives */
	assert_true(procmaps__stat_gone("42 (cat)"));
	assert_true(procmaps__stat_gone("42 (cat"));
	assert_true(procmaps__stat_gone(""));
}

/* This process lives; a child is gone as a zombie and once reaped. */
static void test_process_gone(void **state)
{
	pid_t pid;
	int status;

	(void)state;
	assert_false(procmaps__process_gone(getpid()));
	pid = zombie_child();
	assert_true(procmaps__process_gone(pid));
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(procmaps__process_gone(pid));
	assert_true(procmaps__process_gone(-1));
}

/* A kernel thread lives but maps nothing. */
static void test_kernel_thread(void **state)
{
	struct as_procmaps *pm;
	struct as_addr_info ai;
	char comm[32] = "";
	FILE *f = fopen("/proc/2/comm", "r");

	(void)state;
	if (!f)
		skip();
	if (!fgets(comm, sizeof(comm), f))
		comm[0] = '\0';
	fclose(f);
	if (strcmp(comm, "kthreadd\n") != 0)
		skip();
	assert_int_equal(procmaps__new(&pm), 0);
	assert_int_equal(procmaps__refresh(pm, 2), 0);
	assert_true(procmaps__known(pm, 2));
	assert_int_equal(procmaps__lookup(pm, 2, 0x400000, &ai), -ENOENT);
	procmaps__free(pm);
}

static void test_find_lib(void **state)
{
	struct fixture *fx = *state;
	struct libc_fact lf;
	char buf[PATH_MAX], want[PATH_MAX + 64], small[8];
	pid_t pid;

	libc_getpid(&lf);
	assert_int_equal(
	    procmaps__find_lib(getpid(), "libc.so", buf, sizeof(buf)), 0);
	assert_string_equal(buf, lf.path);
	assert_int_equal(
	    procmaps__find_lib(getpid(), "no-such-lib-zq", buf, sizeof(buf)),
	    -ENOENT);
	assert_int_equal(
	    procmaps__find_lib(getpid(), "libc.so", small, sizeof(small)),
	    -ENAMETOOLONG);

	if (!is_root())
		return;
	/* A process with another root that mapped libc before chroot: the
	 * kernel names the file from our root, and that path, checked
	 * against the mapped inode, is the one to use (the same path under
	 * its root names nothing). */
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (chroot(fx->dir) != 0)
			_exit(1);
		for (;;)
			pause();
	}
	for (int i = 0; i < 2000; i++) {
		char root[PATH_MAX];
		ssize_t n;

		snprintf(buf, sizeof(buf), "/proc/%d/root", (int)pid);
		n = readlink(buf, root, sizeof(root) - 1);
		if (n > 0 && (root[n] = '\0', strcmp(root, fx->dir) == 0))
			break;
		usleep(1000);
	}
	assert_int_equal(procmaps__find_lib(pid, "libc.so", buf, sizeof(buf)),
			 0);
	assert_string_equal(buf, lf.path);
	snprintf(want, sizeof(want), "/proc/%d/root%s", (int)pid, lf.path);
	assert_int_not_equal(access(want, F_OK), 0);
	reap(pid);
}

/* Runs @path with argument "30"; returns once exec has happened. */
static pid_t spawn(const char *path)
{
	int fds[2];
	char c;
	pid_t pid;

	assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(fds[0]);
		execl(path, path, "30", (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	/* EOF: the write end was closed by a successful exec. */
	assert_int_equal(read(fds[0], &c, 1), 0);
	close(fds[0]);
	return pid;
}

/* First executable mapping of @pid whose path ends with @suffix. */
static void find_mapping(pid_t pid, const char *suffix, uint64_t *start,
			 uint64_t *pgoff)
{
	char path[64], line[8192], perms[8];
	unsigned long long s, e, off;
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	f = fopen(path, "r");
	assert_non_null(f);
	while (!found && fgets(line, sizeof(line), f)) {
		size_t len = strlen(line), sl = strlen(suffix);

		if (len && line[len - 1] == '\n')
			line[--len] = '\0';
		if (sscanf(line, "%llx-%llx %7s %llx", &s, &e, perms, &off) !=
			4 ||
		    !strchr(perms, 'x') || len < sl ||
		    strcmp(line + len - sl, suffix) != 0)
			continue;
		*start = s;
		*pgoff = off;
		found = true;
	}
	fclose(f);
	assert_true(found);
}

static void test_spaces_and_deleted(void **state)
{
	struct fixture *fx = *state;
	char dir[PATH_MAX], exe[PATH_MAX + 32], gone[PATH_MAX + 32];
	char buf[PATH_MAX + 64], want[PATH_MAX + 64], magic[4];
	struct as_procmaps *pm;
	struct as_addr_info ai;
	uint64_t start, pgoff;
	char *id;
	pid_t a, b;
	int fd;

	snprintf(dir, sizeof(dir), "%s/dir with  spaces", fx->dir);
	snprintf(exe, sizeof(exe), "%s/my sleep", dir);
	snprintf(gone, sizeof(gone), "%s/gone sleep", dir);
	assert_int_equal(mkdir(dir, 0755), 0);
	assert_int_equal(
	    helpers__run("cp /bin/sleep '%s' && cp /bin/sleep '%s'", exe, gone),
	    0);
	id = helpers__readelf_build_id(exe);
	assert_non_null(id);
	assert_int_equal(procmaps__new(&pm), 0);

	a = spawn(exe);
	assert_int_equal(procmaps__refresh(pm, a), 0);
	find_mapping(a, "/my sleep", &start, &pgoff);
	assert_int_equal(procmaps__lookup(pm, a, start + 0x10, &ai), 0);
	assert_string_equal(ai.file->path, exe);
	assert_int_equal(ai.file_offset, pgoff + 0x10);
	assert_non_null(ai.file->build_id);
	assert_string_equal(ai.file->build_id, id);
	assert_int_equal(procmaps__find_lib(a, "my sl", buf, sizeof(buf)), 0);
	assert_string_equal(buf, exe);

	/* Deleted while running: still opened through map_files. */
	b = spawn(gone);
	assert_int_equal(unlink(gone), 0);
	assert_int_equal(procmaps__refresh(pm, b), 0);
	find_mapping(b, "/gone sleep (deleted)", &start, &pgoff);
	assert_int_equal(procmaps__lookup(pm, b, start, &ai), 0);
	snprintf(want, sizeof(want), "%s (deleted)", gone);
	assert_string_equal(ai.file->path, want);
	assert_int_equal(ai.file_offset, pgoff);
	if (is_root()) {
		assert_true(ai.file->fd >= 0);
		assert_int_equal(pread(ai.file->fd, magic, 4, 0), 4);
		assert_memory_equal(magic, "\177ELF", 4);
		assert_non_null(ai.file->build_id);
		assert_string_equal(ai.file->build_id, id);
		assert_int_equal(
		    procmaps__find_lib(b, "gone", buf, sizeof(buf)), 0);
		assert_true(strncmp(buf, "/proc/", 6) == 0);
		fd = open(buf, O_RDONLY);
		assert_true(fd >= 0);
		close(fd);
	}
	reap(a);
	reap(b);
	/* Files outlive the processes. */
	assert_int_equal(procmaps__lookup(pm, b, start, &ai), 0);
	if (is_root())
		assert_int_equal(pread(ai.file->fd, magic, 4, 0), 4);
	free(id);
	procmaps__free(pm);
}

/* Maps @path executable at file offset 4096 and checks what is seen. */
static void check_mapped_file(const char *path, const char *want_path)
{
	struct as_procmaps *pm;
	struct as_addr_info ai;
	long page = sysconf(_SC_PAGESIZE);
	char data[3 * 4096] = {0};
	int fd;
	void *p;

	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, sizeof(data)), (ssize_t)sizeof(data));
	p = mmap(NULL, 2 * page, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, page);
	assert_true(p != MAP_FAILED);
	close(fd);

	assert_int_equal(procmaps__new(&pm), 0);
	assert_int_equal(procmaps__refresh(pm, getpid()), 0);
	assert_int_equal(
	    procmaps__lookup(pm, getpid(), (uint64_t)(uintptr_t)p + 123, &ai),
	    0);
	assert_string_equal(ai.file->path, want_path);
	assert_int_equal(ai.start, (uint64_t)(uintptr_t)p);
	assert_int_equal(ai.limit, (uint64_t)(uintptr_t)p + 2 * page);
	assert_int_equal(ai.pgoff, page);
	assert_int_equal(ai.file_offset, page + 123);
	assert_null(ai.file->build_id); /* not an ELF file */
	if (is_root())
		assert_true(ai.file->fd >= 0);
	procmaps__free(pm);
	munmap(p, 2 * page);
}

static void test_odd_file_names(void **state)
{
	struct fixture *fx = *state;
	char path[PATH_MAX], want[PATH_MAX + 8];
	size_t len;

	/* A path longer than any line buffer a reader might pick. */
	snprintf(path, sizeof(path), "%s", fx->dir);
	for (int i = 0; i < 12; i++) {
		len = strlen(path);
		snprintf(path + len, sizeof(path) - len, "/%0200d", i);
		assert_int_equal(mkdir(path, 0755), 0);
	}
	len = strlen(path);
	snprintf(path + len, sizeof(path) - len, "/code (x) .bin");
	assert_true(strlen(path) > 2400);
	check_mapped_file(path, path);

	/* maps escapes a newline in a name; the file is still opened. */
	snprintf(path, sizeof(path), "%s/new\nline", fx->dir);
	snprintf(want, sizeof(want), "%s/new\\012line", fx->dir);
	check_mapped_file(path, want);
}

static void test_vdso(void **state)
{
	struct as_procmaps *pm;
	struct as_addr_info ai;
	uint64_t vdso = getauxval(AT_SYSINFO_EHDR);

	(void)state;
	if (!vdso)
		skip();
	assert_int_equal(procmaps__new(&pm), 0);
	assert_int_equal(procmaps__refresh(pm, getpid()), 0);
	/* The vDSO's code follows its ELF header page. */
	for (uint64_t a = vdso; a < vdso + 4 * 4096; a += 4096) {
		if (procmaps__lookup(pm, getpid(), a, &ai) == 0) {
			assert_string_equal(ai.file->path, "[vdso]");
			assert_int_equal(ai.file->fd, -1);
			assert_null(ai.file->build_id);
			procmaps__free(pm);
			return;
		}
	}
	fail_msg("no executable [vdso] mapping near %#llx",
		 (unsigned long long)vdso);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_self),
	    cmocka_unit_test(test_unmapped),
	    cmocka_unit_test(test_child),
	    cmocka_unit_test(test_dead),
	    cmocka_unit_test(test_stat_gone),
	    cmocka_unit_test(test_process_gone),
	    cmocka_unit_test(test_kernel_thread),
	    cmocka_unit_test(test_find_lib),
	    cmocka_unit_test(test_spaces_and_deleted),
	    cmocka_unit_test(test_odd_file_names),
	    cmocka_unit_test(test_vdso),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
