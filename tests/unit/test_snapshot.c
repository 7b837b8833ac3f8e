// SPDX-License-Identifier: MIT
/*
 * Unit tests for snapshot files: exact round trip of every field, atomic
 * 0600 writes, clean errors for truncated, corrupted, newer and foreign
 * files. With AS_SNAPSHOT_OUT=PATH set, writes the example snapshot there
 * and prints its totals instead (for tests/e2e/test_pprof.py).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <cmocka.h>

#include "helpers.h"

#include "profile.pb-c.h"
#include "profile/model.h"
#include "profile/pprof.h"

#define ORDERS_BASE 0x555555554000ULL
#define LIBC_BASE_A 0x7f0000000000ULL
#define LIBC_BASE_B 0x7f1000000000ULL /* the same libc in another process */

static const char odd_comm[] = "w\xff\x01\"\\/\xc3\xa9\x7f\n";

/* The example: 2 processes, inlined lines, unknown function and file,
 * modules with and without build-id, one library at two load addresses,
 * an unmapped frame, an empty stack, extreme counter values. */
static struct as_snapshot *example(void)
{
	struct as_snapshot *s = snapshot__new();
	struct as_process *p;
	uint32_t st[3];
	int m0, m1, m2, m3, l0, l1, l2, l3, l4, l5, l6;

	assert_non_null(s);
	s->time = (struct timespec){1700000000, 123456789};
	s->start = (struct timespec){1699999990, 987654321};
	s->sample_bytes = 0;
	assert_int_equal(snapshot__set_meta(s, "0.1.0-test", "build\thost",
					    "./orders 'data.csv'"),
			 0);

	m0 = snapshot__add_module(
	    s, "/usr/bin/orders", "0123456789abcdef0123456789abcdef01234567",
	    ORDERS_BASE + 0x1000, ORDERS_BASE + 0x9000, 0x1000);
	m1 = snapshot__add_module(s, "/usr/lib/x86_64-linux-gnu/libc.so.6",
				  "aabbccdd", LIBC_BASE_A + 0x28000,
				  LIBC_BASE_A + 0x1bd000, 0x28000);
	m2 = snapshot__add_module(s, "/opt/plugin.so", NULL, 0x7f2000001000,
				  0x7f2000005000, 0x1000);
	/* the same libc loaded elsewhere in the second process */
	m3 = snapshot__add_module(s, "/usr/lib/x86_64-linux-gnu/libc.so.6",
				  "aabbccdd", LIBC_BASE_B + 0x28000,
				  LIBC_BASE_B + 0x1bd000, 0x28000);
	assert_true(m0 == 0 && m1 == 1 && m2 == 2 && m3 == 3);

	/* parse_field() inlined into load_orders() */
	l0 = snapshot__add_location(s, ORDERS_BASE + 0x1234, m0, 0x1234);
	assert_int_equal(
	    snapshot__add_line(s, l0, "parse_field", "/src/orders/csv.c", 118),
	    0);
	assert_int_equal(snapshot__add_line(s, l0, "load_orders",
					    "/src/orders/orders.c", 42),
			 0);
	l1 = snapshot__add_location(s, ORDERS_BASE + 0x2000, m0, 0x2000);
	assert_int_equal(
	    snapshot__add_line(s, l1, "main", "/src/orders/orders.c", 10), 0);
	/* libc without debug info: no file, no line */
	l2 = snapshot__add_location(s, LIBC_BASE_A + 0x9a0f0, m1, 0x9a0f0);
	assert_int_equal(snapshot__add_line(s, l2, "malloc", NULL, 0), 0);
	/* unsymbolized */
	l3 = snapshot__add_location(s, 0x7f2000001100, m2, 0x1100);
	/* no module at all */
	l4 = snapshot__add_location(s, 0xdead0000, -1, 0);
	/* a line without a function */
	l5 = snapshot__add_location(s, 0x7f2000002200, m2, 0x2200);
	assert_int_equal(snapshot__add_line(s, l5, NULL, "plugin.c", 7), 0);
	l6 = snapshot__add_location(s, LIBC_BASE_B + 0x9a0f0, m3, 0x9a0f0);
	assert_int_equal(snapshot__add_line(s, l6, "malloc", NULL, 0), 0);

	st[0] = l2, st[1] = l0, st[2] = l1;
	assert_true(
	    snapshot__add_sample(s, 4242, st, 3, 1200000, 4, 5000000, 10) >= 0);
	st[0] = l3, st[1] = l1;
	assert_true(snapshot__add_sample(s, 4242, st, 2, 4096, 1, 8192, 2) >=
		    0);
	/* a region mapped with mmap, at the same stack */
	assert_int_equal(
	    snapshot__add_sample(s, 4242, st, 2, 65536, 1, 65536, 1), 2);
	s->samples[2].kind = AS_KIND_MMAP;
	/* time: temporary counts, the oldest block's age, both histograms */
	s->samples[0].temporary = 6;
	s->samples[0].oldest_ns = 90000000000ULL;
	assert_int_equal(hist__add(&s->samples[0].life, 0, 5), 0);
	assert_int_equal(hist__add(&s->samples[0].life, 31, 1), 0);
	assert_int_equal(hist__add(&s->samples[0].age, 26, 4), 0);
	s->older_than_ns = 30000000000ULL;
	s->temporary_ns = 1000000;
	st[0] = l6, st[1] = l5, st[2] = l4;
	assert_true(snapshot__add_sample(s, 4300, st, 3, 700, 7, 700, 7) >= 0);
	assert_true(snapshot__add_sample(s, 4300, NULL, 0, 0, 0, 333, 3) >= 0);

	assert_int_equal(snapshot__add_process(s, 4242, "orders"), 0);
	p = &s->processes[0];
	p->current_bytes = 1204096;
	p->peak_bytes = INT64_MAX;
	p->alloc_count = 12;
	p->free_count = 0;
	p->failed_count = 1;
	p->unmatched_free_count = UINT64_MAX;
	p->alloc_bytes = (uint64_t)INT64_MAX + 1;
	p->free_bytes = 3;
	p->mmap_bytes = 65536;
	p->mmap_peak = 131072;
	p->peak_time = (struct timespec){1699999995, 5};
	p->timeline = calloc(2, sizeof(*p->timeline));
	assert_non_null(p->timeline);
	p->timeline[0] = (struct as_timeline_point){0, 100, 1, 0};
	p->timeline[1] =
	    (struct as_timeline_point){100, 1204096, 12, UINT64_MAX / 2};
	p->ntimeline = 2;
	assert_int_equal(snapshot__add_process(s, 4300, odd_comm), 1);
	p = &s->processes[1];
	p->current_bytes = INT64_MIN;
	p->peak_bytes = -1;
	p->alloc_count = UINT64_MAX - 1;
	p->exited = true;
	p->inexact = true;

	/* no samples: its comm sorts last in the string table and is used
	 * only inside its comment */
	assert_int_equal(snapshot__add_process(s, 77, "zzz-idle"), 2);

	assert_int_equal(snapshot__set_counter(s, "lost_events", 3), 0);
	assert_int_equal(snapshot__set_counter(s, "stack_errors", UINT64_MAX),
			 0);
	assert_int_equal(snapshot__set_counter(s, "odd=name", 0), 0);
	return s;
}

static void assert_str(const char *a, const char *b)
{
	if (!a || !b)
		assert_ptr_equal(a, b);
	else
		assert_string_equal(a, b);
}

static void assert_same(const struct as_snapshot *a,
			const struct as_snapshot *b)
{
	size_t i, j;

	assert_int_equal(a->time.tv_sec, b->time.tv_sec);
	assert_int_equal(a->time.tv_nsec, b->time.tv_nsec);
	assert_int_equal(a->start.tv_sec, b->start.tv_sec);
	assert_int_equal(a->start.tv_nsec, b->start.tv_nsec);
	assert_int_equal(a->has_meta, b->has_meta);
	assert_str(a->tool_version, b->tool_version);
	assert_str(a->hostname, b->hostname);
	assert_str(a->command, b->command);
	assert_int_equal(a->sample_bytes, b->sample_bytes);
	assert_int_equal(a->older_than_ns, b->older_than_ns);
	assert_int_equal(a->temporary_ns, b->temporary_ns);

	assert_int_equal(a->nmodules, b->nmodules);
	for (i = 0; i < a->nmodules; i++) {
		assert_str(a->modules[i].path, b->modules[i].path);
		assert_str(a->modules[i].build_id, b->modules[i].build_id);
		assert_int_equal(a->modules[i].start, b->modules[i].start);
		assert_int_equal(a->modules[i].limit, b->modules[i].limit);
		assert_int_equal(a->modules[i].offset, b->modules[i].offset);
	}
	assert_int_equal(a->nlocations, b->nlocations);
	for (i = 0; i < a->nlocations; i++) {
		const struct as_location *x = &a->locations[i];
		const struct as_location *y = &b->locations[i];

		assert_int_equal(x->address, y->address);
		assert_int_equal(x->module, y->module);
		assert_int_equal(x->rel_offset, y->rel_offset);
		assert_int_equal(x->nlines, y->nlines);
		for (j = 0; j < x->nlines; j++) {
			assert_str(x->lines[j].function, y->lines[j].function);
			assert_str(x->lines[j].file, y->lines[j].file);
			assert_int_equal(x->lines[j].line, y->lines[j].line);
		}
	}
	assert_int_equal(a->nsamples, b->nsamples);
	for (i = 0; i < a->nsamples; i++) {
		const struct as_sample *x = &a->samples[i];
		const struct as_sample *y = &b->samples[i];

		assert_int_equal(x->pid, y->pid);
		assert_int_equal(x->kind, y->kind);
		assert_int_equal(x->temporary, y->temporary);
		assert_int_equal(x->oldest_ns, y->oldest_ns);
		assert_int_equal(x->life.n, y->life.n);
		assert_int_equal(x->age.n, y->age.n);
		for (j = 0; j < x->life.n; j++)
			assert_int_equal(x->life.bins[j], y->life.bins[j]);
		for (j = 0; j < x->age.n; j++)
			assert_int_equal(x->age.bins[j], y->age.bins[j]);
		assert_int_equal(x->nlocs, y->nlocs);
		for (j = 0; j < x->nlocs; j++)
			assert_int_equal(x->locs[j], y->locs[j]);
		assert_int_equal(x->size, y->size);
		assert_int_equal(x->count, y->count);
		assert_int_equal(x->alloc_size, y->alloc_size);
		assert_int_equal(x->alloc_count, y->alloc_count);
	}
	assert_int_equal(a->nprocesses, b->nprocesses);
	for (i = 0; i < a->nprocesses; i++) {
		const struct as_process *x = &a->processes[i];
		const struct as_process *y = &b->processes[i];

		assert_int_equal(x->pid, y->pid);
		assert_str(x->comm, y->comm);
		assert_int_equal(x->current_bytes, y->current_bytes);
		assert_int_equal(x->peak_bytes, y->peak_bytes);
		assert_int_equal(x->mmap_bytes, y->mmap_bytes);
		assert_int_equal(x->mmap_peak, y->mmap_peak);
		assert_int_equal(x->peak_time.tv_sec, y->peak_time.tv_sec);
		assert_int_equal(x->peak_time.tv_nsec, y->peak_time.tv_nsec);
		assert_int_equal(x->ntimeline, y->ntimeline);
		for (j = 0; j < x->ntimeline; j++)
			assert_memory_equal(&x->timeline[j], &y->timeline[j],
					    sizeof(x->timeline[j]));
		assert_int_equal(x->alloc_count, y->alloc_count);
		assert_int_equal(x->free_count, y->free_count);
		assert_int_equal(x->failed_count, y->failed_count);
		assert_int_equal(x->unmatched_free_count,
				 y->unmatched_free_count);
		assert_int_equal(x->alloc_bytes, y->alloc_bytes);
		assert_int_equal(x->free_bytes, y->free_bytes);
		assert_int_equal(x->exited, y->exited);
		assert_int_equal(x->inexact, y->inexact);
	}
	assert_int_equal(a->ncounters, b->ncounters);
	for (i = 0; i < a->ncounters; i++) {
		assert_string_equal(a->counters[i].name, b->counters[i].name);
		assert_int_equal(a->counters[i].value, b->counters[i].value);
	}
}

struct fixture {
	char dir[64];
	char path[128];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	strcpy(f->dir, "/tmp/test_snapshot.XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/snap.pb.gz", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	struct dirent *de;
	char p[512];
	DIR *d = opendir(f->dir);

	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.' &&
		    (!de->d_name[1] || strcmp(de->d_name, "..") == 0))
			continue;
		snprintf(p, sizeof(p), "%s/%s", f->dir, de->d_name);
		unlink(p);
	}
	if (d)
		closedir(d);
	rmdir(f->dir);
	free(f);
	return 0;
}

static uint8_t *slurp(const char *path, size_t *len)
{
	struct stat st;
	uint8_t *buf;
	int fd = open(path, O_RDONLY);

	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	buf = malloc((size_t)st.st_size + 1);
	assert_non_null(buf);
	assert_int_equal(read(fd, buf, (size_t)st.st_size), st.st_size);
	close(fd);
	*len = (size_t)st.st_size;
	return buf;
}

/* The protobuf inside a gzip file. */
static uint8_t *gunzip_file(const char *path, size_t *len)
{
	size_t cap = 1 << 20;
	uint8_t *buf = malloc(cap);
	gzFile g = gzopen(path, "rb");
	int n;

	assert_non_null(buf);
	assert_non_null(g);
	n = gzread(g, buf, (unsigned)cap);
	assert_true(n > 0 && (size_t)n < cap);
	gzclose(g);
	*len = (size_t)n;
	return buf;
}

static void write_bytes(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
}

static void test_round_trip(void **state)
{
	struct fixture *f = *state;
	struct as_snapshot *s = example(), *r = NULL;
	char err[512] = "";
	struct stat st;

	assert_int_equal(snapshot__write(s, f->path, err, sizeof(err)), 0);
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	/* the temp file is gone */
	assert_int_equal(helpers__count_entries(f->dir), 1);
	assert_int_equal(snapshot__read(f->path, &r, err, sizeof(err)), 0);
	assert_non_null(r);
	assert_same(s, r);
	snapshot__free(r);

	/* overwriting an existing file is atomic too and keeps 0600 */
	chmod(f->path, 0644);
	s->processes[0].free_count = 99;
	assert_int_equal(snapshot__write(s, f->path, err, sizeof(err)), 0);
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(snapshot__read(f->path, &r, err, sizeof(err)), 0);
	assert_int_equal(r->processes[0].free_count, 99);
	snapshot__free(r);
	snapshot__free(s);
}

/* An empty snapshot without metadata also round-trips. */
static void test_round_trip_empty(void **state)
{
	struct fixture *f = *state;
	struct as_snapshot *s = snapshot__new(), *r = NULL;
	char err[512] = "";

	assert_non_null(s);
	s->sample_bytes = 4096;
	s->time = (struct timespec){-5, 999999999};
	s->start = (struct timespec){INT64_MAX, 0}; /* beyond int64 ns */
	assert_int_equal(snapshot__write(s, f->path, err, sizeof(err)), 0);
	assert_int_equal(snapshot__read(f->path, &r, err, sizeof(err)), 0);
	assert_false(r->has_meta);
	assert_same(s, r);
	snapshot__free(r);
	snapshot__free(s);
}

static void test_write_errors(void **state)
{
	struct fixture *f = *state;
	struct as_snapshot *s = example();
	char err[512] = "", path[256];

	snprintf(path, sizeof(path), "%s/missing/snap.pb.gz", f->dir);
	assert_int_equal(snapshot__write(s, path, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "cannot create a temporary file in"));
	assert_non_null(strstr(err, "No such file or directory"));

	/* the target is a directory: rename fails, no temp file is left */
	snprintf(path, sizeof(path), "%s/adir", f->dir);
	assert_int_equal(mkdir(path, 0700), 0);
	assert_true(snapshot__write(s, path, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "cannot write snapshot"));
	assert_int_equal(helpers__count_entries(f->dir), 1);
	rmdir(path);

	/* a broken model is refused, not written */
	s->samples[0].locs[0] = 1000;
	assert_int_equal(snapshot__write(s, f->path, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "bug in allocsnoop"));
	assert_int_equal(helpers__count_entries(f->dir), 0);
	snapshot__free(s);
}

static size_t test_labels(void *arg, uint32_t pid, struct as_pprof_label *out)
{
	(void)arg;
	out[0] = (struct as_pprof_label){"exe", "/usr/bin/orders"};
	if (pid % 2)
		return 1;
	out[1] = (struct as_pprof_label){"cgroup", "/ctr/a"};
	return 2;
}

/* The in-memory profile: the file's content, read back the same; with
 * options, the default type and each process's labels. */
static void test_encode(void **state)
{
	struct as_pprof_opts o = {.default_type = "alloc_space",
				  .labels = test_labels};
	struct as_snapshot *s = example(), *r = NULL;
	uint8_t *buf = NULL, raw[1 << 16];
	uLongf rawlen = sizeof(raw);
	z_stream z = {0};
	Perftools__Profiles__Profile *p;
	char err[512] = "";
	size_t len = 0, i, j, nlabels = 0;

	(void)state;
	assert_int_equal(snapshot__encode(s, NULL, &buf, &len, err, 512), 0);
	assert_int_equal(snapshot__read_mem(buf, len, &r, err, 512), 0);
	assert_same(s, r);
	snapshot__free(r);
	free(buf);

	assert_int_equal(snapshot__encode(s, &o, &buf, &len, err, 512), 0);
	assert_int_equal(snapshot__read_mem(buf, len, &r, err, 512), 0);
	assert_same(s, r);
	snapshot__free(r);
	assert_int_equal(inflateInit2(&z, 15 + 16), Z_OK);
	z.next_in = buf;
	z.avail_in = (uInt)len;
	z.next_out = raw;
	z.avail_out = (uInt)rawlen;
	assert_int_equal(inflate(&z, Z_FINISH), Z_STREAM_END);
	rawlen = z.total_out;
	inflateEnd(&z);
	p = perftools__profiles__profile__unpack(NULL, rawlen, raw);
	assert_non_null(p);
	assert_string_equal(p->string_table[p->default_sample_type],
			    "alloc_space");
	for (i = 0; i < p->n_sample; i++)
		for (j = 0; j < p->sample[i]->n_label; j++) {
			const char *k =
			    p->string_table[p->sample[i]->label[j]->key];
			const char *v =
			    p->string_table[p->sample[i]->label[j]->str];

			if (!strcmp(k, "exe"))
				assert_string_equal(v, "/usr/bin/orders"),
				    nlabels++;
			if (!strcmp(k, "cgroup"))
				assert_string_equal(v, "/ctr/a"), nlabels++;
		}
	assert_true(nlabels > p->n_sample);
	perftools__profiles__profile__free_unpacked(p, NULL);
	free(buf);

	/* a default type that is not one of the four is refused */
	o.default_type = "cpu";
	assert_int_equal(snapshot__encode(s, &o, &buf, &len, err, 512),
			 -EINVAL);
	snapshot__free(s);
}

static void test_read_errors(void **state)
{
	struct fixture *f = *state;
	struct as_snapshot *s = example(), *r = NULL;
	char err[512], want[512], path[256];
	uint8_t *data;
	size_t len;

	snprintf(path, sizeof(path), "%s/nope.pb.gz", f->dir);
	assert_int_equal(snapshot__read(path, &r, err, sizeof(err)), -ENOENT);
	snprintf(want, sizeof(want),
		 "cannot open %s: No such file or directory", path);
	assert_string_equal(err, want);
	assert_null(r);

	snprintf(path, sizeof(path), "%s/text", f->dir);
	write_bytes(path, "hello, world\n", 13);
	assert_true(snapshot__read(path, &r, err, sizeof(err)) < 0);
	snprintf(want, sizeof(want), "%s is not a gzip file or pprof profile",
		 path);
	assert_string_equal(err, want);

	{
		gzFile g = gzopen(path, "wb");

		assert_non_null(g);
		assert_int_equal(gzwrite(g, "hello, world\n", 13), 13);
		assert_int_equal(gzclose(g), Z_OK);
	}
	assert_true(snapshot__read(path, &r, err, sizeof(err)) < 0);
	snprintf(want, sizeof(want),
		 "%s is a gzip file, but not a pprof profile", path);
	assert_string_equal(err, want);

	write_bytes(path, "", 0);
	assert_true(snapshot__read(path, &r, err, sizeof(err)) < 0);
	snprintf(want, sizeof(want), "%s is empty; it is not a snapshot", path);
	assert_string_equal(err, want);

	assert_int_equal(snapshot__write(s, f->path, err, sizeof(err)), 0);
	data = slurp(f->path, &len);
	write_bytes(path, data, len / 2);
	assert_true(snapshot__read(path, &r, err, sizeof(err)) < 0);
	snprintf(want, sizeof(want), "%s is truncated", path);
	assert_string_equal(err, want);

	/* a flipped bit in the deflate data or the checksum */
	data[len - 6] ^= 0x10;
	write_bytes(path, data, len);
	assert_true(snapshot__read(path, &r, err, sizeof(err)) < 0);
	snprintf(want, sizeof(want), "%s is corrupted: ", path);
	assert_memory_equal(err, want, strlen(want));
	assert_null(r);
	free(data);
	snapshot__free(s);
}

static void expect_error(const uint8_t *data, size_t len)
{
	struct as_snapshot *r = (struct as_snapshot *)1;
	char err[512];

	err[0] = '\0';
	assert_true(snapshot__read_mem(data, len, &r, err, sizeof(err)) < 0);
	assert_null(r);
	assert_true(strlen(err) > 0);
	assert_null(strchr(err, '\n'));
}

static void test_truncations(void **state)
{
	struct fixture *f = *state;
	struct as_snapshot *s = example();
	char err[512];
	uint8_t *gz, *raw;
	size_t gzlen, rawlen, i;

	assert_int_equal(snapshot__write(s, f->path, err, sizeof(err)), 0);
	gz = slurp(f->path, &gzlen);
	raw = gunzip_file(f->path, &rawlen);
	for (i = 0; i < gzlen; i++)
		expect_error(gz, i);
	for (i = 0; i < rawlen; i++)
		expect_error(raw, i);
	/* the full raw protobuf reads the same as the gzip file */
	{
		struct as_snapshot *r = NULL;

		assert_int_equal(
		    snapshot__read_mem(raw, rawlen, &r, err, sizeof(err)), 0);
		assert_same(s, r);
		snapshot__free(r);
	}
	free(gz);
	free(raw);
	snapshot__free(s);
}

static uint32_t xorshift(uint32_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	return *x;
}

static void flips(const uint8_t *data, size_t len, uint32_t seed)
{
	uint8_t *copy = malloc(len);
	struct as_snapshot *r;
	char err[512];
	int i, ret;

	assert_non_null(copy);
	for (i = 0; i < 2000; i++) {
		size_t at = xorshift(&seed) % len;

		memcpy(copy, data, len);
		copy[at] ^= (uint8_t)(1 + xorshift(&seed) % 255);
		err[0] = '\0';
		r = NULL;
		ret = snapshot__read_mem(copy, len, &r, err, sizeof(err));
		if (ret == 0) {
			assert_non_null(r);
			snapshot__free(r);
		} else {
			assert_null(r);
			assert_true(strlen(err) > 0);
		}
	}
	free(copy);
}

static void test_byte_flips(void **state)
{
	struct fixture *f = *state;
	struct as_snapshot *s = example();
	char err[512];
	uint8_t *gz, *raw;
	size_t gzlen, rawlen;

	assert_int_equal(snapshot__write(s, f->path, err, sizeof(err)), 0);
	gz = slurp(f->path, &gzlen);
	raw = gunzip_file(f->path, &rawlen);
	flips(gz, gzlen, 12345);
	flips(raw, rawlen, 67890);
	free(gz);
	free(raw);
	snapshot__free(s);
}

/* ---- profiles built directly with protobuf-c ---- */

typedef Perftools__Profiles__Profile pb_profile;

struct pb_buf {
	uint8_t *data;
	size_t len;
};

static struct pb_buf pack(const pb_profile *p)
{
	struct pb_buf b;

	b.len = perftools__profiles__profile__get_packed_size(p);
	b.data = malloc(b.len ?: 1);
	assert_non_null(b.data);
	perftools__profiles__profile__pack(p, b.data);
	return b;
}

static void test_newer_format(void **state)
{
	char *strs[] = {"", "allocsnoop.meta {\"format\":2,\"new\":true}",
			"inuse_space", "bytes"};
	Perftools__Profiles__ValueType vt =
	    PERFTOOLS__PROFILES__VALUE_TYPE__INIT;
	Perftools__Profiles__ValueType *vtp = &vt;
	pb_profile p = PERFTOOLS__PROFILES__PROFILE__INIT;
	int64_t comment = 1;
	struct as_snapshot *r = NULL;
	struct pb_buf b;
	char err[512];

	(void)state;
	vt.type = 2;
	vt.unit = 3;
	p.n_sample_type = 1;
	p.sample_type = &vtp;
	p.n_string_table = 4;
	p.string_table = strs;
	p.n_comment = 1;
	p.comment = &comment;
	b = pack(&p);
	assert_int_equal(
	    snapshot__read_mem(b.data, b.len, &r, err, sizeof(err)), -ENOTSUP);
	assert_string_equal(err, "snapshot data: snapshot format 2 is newer "
				 "than this allocsnoop supports (1); upgrade "
				 "allocsnoop");
	assert_null(r);
	free(b.data);
}

/*
 * A foreign heap profile: only inuse_space, ids that are not 1..n, two
 * mappings of one file, no comments, a pid and comm label.
 */
struct foreign {
	char *strs[12];
	Perftools__Profiles__ValueType vt[2], *vtp[1];
	Perftools__Profiles__Mapping map[2], *mapp[2];
	Perftools__Profiles__Line line[2], *linep[2];
	Perftools__Profiles__Location loc[2], *locp[2];
	Perftools__Profiles__Function fn[1], *fnp[1];
	Perftools__Profiles__Label label[2], *labelp[2];
	Perftools__Profiles__Sample sample[1], *samplep[1];
	uint64_t loc_ids[2];
	int64_t value[1];
	pb_profile p;
};

static void foreign_init(struct foreign *f)
{
	static char *strs[] = {"",	 "inuse_space", "bytes", "/app/server",
			       "feedme", "alloc_big",	"big.c", "space",
			       "pid",	 "comm",	"srv"};
	size_t i;

	memset(f, 0, sizeof(*f));
	memcpy(f->strs, strs, sizeof(strs));
	perftools__profiles__profile__init(&f->p);
	for (i = 0; i < 2; i++) {
		perftools__profiles__value_type__init(&f->vt[i]);
		perftools__profiles__mapping__init(&f->map[i]);
		perftools__profiles__line__init(&f->line[i]);
		perftools__profiles__location__init(&f->loc[i]);
		perftools__profiles__label__init(&f->label[i]);
		f->mapp[i] = &f->map[i];
		f->linep[i] = &f->line[i];
		f->locp[i] = &f->loc[i];
		f->labelp[i] = &f->label[i];
	}
	perftools__profiles__function__init(&f->fn[0]);
	perftools__profiles__sample__init(&f->sample[0]);
	f->fnp[0] = &f->fn[0];
	f->samplep[0] = &f->sample[0];
	f->vtp[0] = &f->vt[0];

	f->vt[0].type = 1;
	f->vt[0].unit = 2;
	f->vt[1].type = 7; /* period type space/bytes */
	f->vt[1].unit = 2;
	f->map[0].id = 70;
	f->map[0].memory_start = 0x400000;
	f->map[0].memory_limit = 0x500000;
	f->map[0].file_offset = 0;
	f->map[0].filename = 3;
	f->map[0].build_id = 4;
	f->map[1] = f->map[0];
	f->map[1].id = 71;
	f->map[1].memory_start = 0x600000;
	f->map[1].memory_limit = 0x700000;
	f->map[1].file_offset = 0x200000;
	f->fn[0].id = 900;
	f->fn[0].name = 5;
	f->fn[0].filename = 6;
	f->line[0].function_id = 900;
	f->line[0].line = 77;
	f->loc[0].id = 1000;
	f->loc[0].mapping_id = 70;
	f->loc[0].address = 0x401234;
	f->loc[0].n_line = 1;
	f->loc[0].line = &f->linep[0];
	f->loc[1].id = 5;
	f->loc[1].mapping_id = 71;
	f->loc[1].address = 0x600010;
	f->loc_ids[0] = 1000;
	f->loc_ids[1] = 5;
	f->value[0] = 1234;
	f->label[0].key = 8;
	f->label[0].num = 31337;
	f->label[1].key = 9;
	f->label[1].str = 10;
	f->sample[0].n_location_id = 2;
	f->sample[0].location_id = f->loc_ids;
	f->sample[0].n_value = 1;
	f->sample[0].value = f->value;
	f->sample[0].n_label = 2;
	f->sample[0].label = f->labelp;

	f->p.n_sample_type = 1;
	f->p.sample_type = f->vtp;
	f->p.n_sample = 1;
	f->p.sample = f->samplep;
	f->p.n_mapping = 2;
	f->p.mapping = f->mapp;
	f->p.n_location = 2;
	f->p.location = f->locp;
	f->p.n_function = 1;
	f->p.function = f->fnp;
	f->p.n_string_table = 11;
	f->p.string_table = f->strs;
	f->p.time_nanos = -1500000000; /* before the epoch: floor division */
	f->p.duration_nanos = 2000000000;
	f->p.period_type = &f->vt[1];
	f->p.period = 524288;
}

static void test_foreign(void **state)
{
	struct fixture *f = *state;
	struct as_snapshot *r = NULL;
	struct foreign fp;
	struct pb_buf b;
	char err[512];
	gzFile g;

	foreign_init(&fp);
	b = pack(&fp.p);
	g = gzopen(f->path, "wb");
	assert_non_null(g);
	assert_int_equal(gzwrite(g, b.data, (unsigned)b.len), (int)b.len);
	assert_int_equal(gzclose(g), Z_OK);
	assert_int_equal(snapshot__read(f->path, &r, err, sizeof(err)), 0);

	assert_false(r->has_meta);
	assert_null(r->tool_version);
	assert_null(r->hostname);
	assert_null(r->command);
	assert_int_equal(r->sample_bytes, 524288);
	assert_int_equal(r->time.tv_sec, -2);
	assert_int_equal(r->time.tv_nsec, 500000000);
	assert_int_equal(r->start.tv_sec, -4);
	assert_int_equal(r->start.tv_nsec, 500000000);
	/* two loads of one file are two modules */
	assert_int_equal(r->nmodules, 2);
	assert_string_equal(r->modules[0].path, "/app/server");
	assert_string_equal(r->modules[0].build_id, "feedme");
	assert_int_equal(r->modules[0].start, 0x400000);
	assert_int_equal(r->nlocations, 2);
	assert_int_equal(r->locations[0].module, 0);
	assert_int_equal(r->locations[0].rel_offset, 0x1234);
	assert_int_equal(r->locations[0].nlines, 1);
	assert_string_equal(r->locations[0].lines[0].function, "alloc_big");
	assert_string_equal(r->locations[0].lines[0].file, "big.c");
	assert_int_equal(r->locations[0].lines[0].line, 77);
	assert_int_equal(r->locations[1].module, 1);
	assert_int_equal(r->modules[1].start, 0x600000);
	assert_int_equal(r->modules[1].offset, 0x200000);
	assert_int_equal(r->locations[1].rel_offset, 0x200010);
	assert_int_equal(r->locations[1].nlines, 0);
	assert_int_equal(r->nsamples, 1);
	assert_int_equal(r->samples[0].nlocs, 2);
	assert_int_equal(r->samples[0].locs[0], 0);
	assert_int_equal(r->samples[0].locs[1], 1);
	assert_int_equal(r->samples[0].pid, 31337);
	/* only inuse_space: no live count, alloc_* = the inuse values */
	assert_int_equal(r->samples[0].size, 1234);
	assert_int_equal(r->samples[0].count, 0);
	assert_int_equal(r->samples[0].alloc_size, 1234);
	assert_int_equal(r->samples[0].alloc_count, 0);
	/* processes come from the labels when there are no comments */
	assert_int_equal(r->nprocesses, 1);
	assert_int_equal(r->processes[0].pid, 31337);
	assert_string_equal(r->processes[0].comm, "srv");
	assert_int_equal(r->ncounters, 0);
	snapshot__free(r);
	free(b.data);
}

static void expect_corrupt(pb_profile *p, const char *what)
{
	struct as_snapshot *r = NULL;
	struct pb_buf b = pack(p);
	char err[512], want[512];

	assert_true(snapshot__read_mem(b.data, b.len, &r, err, sizeof(err)) <
		    0);
	snprintf(want, sizeof(want), "snapshot data %s", what);
	assert_string_equal(err, want);
	assert_null(r);
	free(b.data);
}

static void test_validation(void **state)
{
	struct foreign fp;

	(void)state;
	foreign_init(&fp);
	fp.loc_ids[1] = 6;
	expect_corrupt(&fp.p, "is corrupted: sample 0 names location 6, "
			      "which does not exist");
	foreign_init(&fp);
	fp.map[1].id = 70;
	expect_corrupt(&fp.p, "is corrupted: two mappings have id 70");
	foreign_init(&fp);
	fp.loc[1].id = 0;
	expect_corrupt(&fp.p, "is corrupted: location 1 has id 0");
	foreign_init(&fp);
	fp.line[0].function_id = 901;
	expect_corrupt(&fp.p, "is corrupted: location 1000 names function "
			      "901, which does not exist");
	foreign_init(&fp);
	fp.loc[0].mapping_id = 72;
	expect_corrupt(&fp.p, "is corrupted: location 1000 names mapping 72, "
			      "which does not exist");
	foreign_init(&fp);
	fp.fn[0].filename = 11;
	expect_corrupt(&fp.p, "is corrupted: function 900 has a string index "
			      "out of range");
	foreign_init(&fp);
	fp.sample[0].n_value = 0;
	expect_corrupt(&fp.p, "is corrupted: sample 0 has 0 values for 1 "
			      "sample types");
	foreign_init(&fp);
	fp.label[0].num = -1;
	expect_corrupt(&fp.p, "is corrupted: a sample has pid -1");
	foreign_init(&fp);
	fp.strs[0] = "x";
	expect_corrupt(&fp.p, "is not a gzip file or pprof profile");
	foreign_init(&fp);
	fp.strs[1] = "cpu";
	expect_corrupt(&fp.p, "is not a heap profile: it has none of the "
			      "sample types inuse_space, inuse_objects, "
			      "alloc_space, alloc_objects");
}

/* For tests/e2e/test_pprof.py: the example and its totals. */
static int write_example(const char *path)
{
	struct as_snapshot *s = example();
	int64_t t[4] = {0};
	char err[512];
	size_t i;

	if (snapshot__write(s, path, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		snapshot__free(s);
		return 1;
	}
	for (i = 0; i < s->nsamples; i++) {
		t[0] += s->samples[i].alloc_count;
		t[1] += s->samples[i].alloc_size;
		t[2] += s->samples[i].count;
		t[3] += s->samples[i].size;
	}
	printf("alloc_objects=%" PRId64 " alloc_space=%" PRId64
	       " inuse_objects=%" PRId64 " inuse_space=%" PRId64 "\n",
	       t[0], t[1], t[2], t[3]);
	snapshot__free(s);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_round_trip_empty, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_write_errors, setup, teardown),
	    cmocka_unit_test(test_encode),
	    cmocka_unit_test_setup_teardown(test_read_errors, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_truncations, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_byte_flips, setup, teardown),
	    cmocka_unit_test(test_newer_format),
	    cmocka_unit_test_setup_teardown(test_foreign, setup, teardown),
	    cmocka_unit_test(test_validation),
	};
	const char *out = getenv("AS_SNAPSHOT_OUT");

	if (out)
		return write_example(out);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
