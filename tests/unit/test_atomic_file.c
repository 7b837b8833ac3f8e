// SPDX-License-Identifier: MIT
/* Unit tests for atomic_file: whole content or none, 0600, no temp left. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "helpers.h"

#include "util/atomic_file.h"

struct fixture {
	char dir[64];
	char path[128];
};

/* What a fill callback writes, and the error it then returns. */
struct content {
	const char *text;
	int ret;
};

static int fill(int fd, void *arg)
{
	const struct content *c = arg;
	int ret = atomic_file__write_all(fd, c->text, strlen(c->text));

	return ret ?: c->ret;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/test_atomic_file.XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/out.txt", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

static void assert_content(const char *path, const char *want)
{
	char buf[256];
	ssize_t n;
	int fd = open(path, O_RDONLY);

	assert_true(fd >= 0);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	assert_true(n >= 0);
	buf[n] = '\0';
	assert_string_equal(buf, want);
}

static void test_writes_private_and_replaces(void **state)
{
	struct fixture *f = *state;
	struct content c = {"first", 0};
	char err[256] = "";
	struct stat st;

	assert_int_equal(
	    atomic_file__write(f->path, "report", fill, &c, err, sizeof(err)),
	    0);
	assert_string_equal(err, "");
	assert_content(f->path, "first");
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(helpers__count_entries(f->dir), 1);

	/* a replaced file is a new inode, private again */
	assert_int_equal(chmod(f->path, 0644), 0);
	c.text = "second, longer";
	assert_int_equal(
	    atomic_file__write(f->path, "report", fill, &c, err, sizeof(err)),
	    0);
	assert_content(f->path, "second, longer");
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(helpers__count_entries(f->dir), 1);
}

/* A path without a directory part is written in the current directory. */
static void test_relative_path(void **state)
{
	struct fixture *f = *state;
	struct content c = {"here", 0};
	char cwd[PATH_MAX], err[256] = "";

	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(f->dir), 0);
	assert_int_equal(
	    atomic_file__write("rel.txt", "report", fill, &c, err, sizeof(err)),
	    0);
	assert_int_equal(chdir(cwd), 0);
	snprintf(cwd, sizeof(cwd), "%s/rel.txt", f->dir);
	assert_content(cwd, "here");
	assert_int_equal(helpers__count_entries(f->dir), 1);
}

/* The content fails half-way: the old file stays, no temp file is left. */
static void test_fill_failure_keeps_old_file(void **state)
{
	struct fixture *f = *state;
	struct content c = {"old", 0};
	char err[256] = "";

	assert_int_equal(
	    atomic_file__write(f->path, "report", fill, &c, err, sizeof(err)),
	    0);
	c = (struct content){"new but cut", -ENOSPC};
	assert_int_equal(
	    atomic_file__write(f->path, "report", fill, &c, err, sizeof(err)),
	    -ENOSPC);
	assert_non_null(strstr(err, "cannot write report"));
	assert_non_null(strstr(err, f->path));
	assert_non_null(strstr(err, "free some space"));
	assert_content(f->path, "old");
	assert_int_equal(helpers__count_entries(f->dir), 1);

	c.ret = -EIO;
	assert_int_equal(
	    atomic_file__write(f->path, "report", fill, &c, err, sizeof(err)),
	    -EIO);
	assert_null(strstr(err, "free some space"));
	assert_content(f->path, "old");
}

static void test_bad_targets(void **state)
{
	struct fixture *f = *state;
	struct content c = {"x", 0};
	char err[256] = "", path[192];

	snprintf(path, sizeof(path), "%s/missing/out.txt", f->dir);
	assert_int_equal(
	    atomic_file__write(path, "report", fill, &c, err, sizeof(err)),
	    -ENOENT);
	assert_non_null(strstr(err, "cannot create a temporary file in"));
	assert_non_null(strstr(err, "for report"));

	snprintf(path, sizeof(path), "%s/", f->dir);
	assert_int_equal(
	    atomic_file__write(path, "report", fill, &c, err, sizeof(err)),
	    -EISDIR);
	assert_non_null(strstr(err, "names a directory"));

	/* rename over a directory fails; the temp file goes */
	snprintf(path, sizeof(path), "%s/adir", f->dir);
	assert_int_equal(mkdir(path, 0700), 0);
	assert_true(
	    atomic_file__write(path, "report", fill, &c, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "rename from"));
	assert_int_equal(helpers__count_entries(f->dir), 1);
	assert_int_equal(rmdir(path), 0);

	/* no message buffer: still an error code */
	snprintf(path, sizeof(path), "%s/missing/out.txt", f->dir);
	assert_int_equal(atomic_file__write(path, "report", fill, &c, NULL, 0),
			 -ENOENT);
}

static void test_write_all(void **state)
{
	int p[2];
	char buf[8] = "";

	(void)state;
	assert_int_equal(pipe(p), 0);
	assert_int_equal(atomic_file__write_all(p[1], "abcdef", 6), 0);
	assert_int_equal(read(p[0], buf, sizeof(buf)), 6);
	assert_string_equal(buf, "abcdef");
	close(p[0]);
	/* the reader is gone: EPIPE (SIGPIPE ignored) */
	signal(SIGPIPE, SIG_IGN);
	assert_int_equal(atomic_file__write_all(p[1], "x", 1), -EPIPE);
	close(p[1]);
	assert_int_equal(atomic_file__write_all(-1, "x", 1), -EBADF);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_writes_private_and_replaces,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_relative_path, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_fill_failure_keeps_old_file,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_targets, setup, teardown),
	    cmocka_unit_test(test_write_all),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
