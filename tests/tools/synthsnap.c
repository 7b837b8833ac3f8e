// SPDX-License-Identifier: MIT
/*
 * synthsnap - writes a snapshot with many distinct stacks, built with the
 * model and the pprof writer (no tracing, no root), for the HTML report's
 * scale and escaping tests.
 *
 *   synthsnap OUT.pb.gz NSTACKS [--base B] [--levels L] [--hostile]
 *             [--pid PID]
 *
 * Stack i goes main -> run -> dispatch, then one frame per digit of i in
 * base B (default 10; function d<level>_<digit>), then a leaf in a
 * library without debug info for every 7th stack: a B-way tree, so that
 * most frames of a 100k-stack report are far narrower than a pixel (base
 * 2 makes it 17 levels deep, as deep as bench/stacks.c). --levels fixes
 * the number of digit frames (default: as many as NSTACKS - 1 has), so
 * that snapshots of different sizes share their stacks. Values depend on i
 * only; every 5th stack has freed all it allocated (size and count 0).
 * --hostile names functions, files and the command with what must not
 * break the page: "</script>", "<!--", U+2028, invalid UTF-8.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "profile/model.h"
#include "profile/pprof.h"

#define EXE_BASE 0x555500000000ULL
#define LIB_BASE 0x7f1100000000ULL

struct synth {
	struct as_snapshot *s;
	int exe, lib;
	bool hostile;
	uint32_t pid;
	int levels; /* 0 = from the number of stacks */
	int base;   /* 2..10 */
	/* location of (level, digit); 0 = not made yet (index + 1) */
	int digit_loc[24][10];
	int base_loc[3], lib_loc;
};

static int line_loc(struct synth *y, uint64_t off, const char *fn,
		    const char *file, int64_t line)
{
	int loc = snapshot__add_location(y->s, EXE_BASE + off, y->exe, off);

	if (loc < 0)
		return loc;
	return snapshot__add_line(y->s, (uint32_t)loc, fn, file, line) ?: loc;
}

static int base_locations(struct synth *y)
{
	static const char *const names[] = {"main", "run", "dispatch"};
	int i, loc;

	for (i = 0; i < 3; i++) {
		loc = line_loc(y, 0x1000 + 0x10 * (uint64_t)i, names[i],
			       y->hostile ? "/src/</script><!--x.c"
					  : "/src/synth/main.c",
			       10 + i);
		if (loc < 0)
			return loc;
		y->base_loc[i] = loc;
	}
	/* No debug info, no symbol: module+offset in the report. */
	loc = snapshot__add_location(y->s, LIB_BASE + 0x4242, y->lib, 0x4242);
	if (loc < 0)
		return loc;
	y->lib_loc = loc;
	return 0;
}

static int digit_location(struct synth *y, int level, int digit)
{
	char fn[96], file[96];
	int loc;

	if (y->digit_loc[level][digit])
		return y->digit_loc[level][digit] - 1;
	if (y->hostile && digit == 3)
		snprintf(fn, sizeof(fn),
			 "d%d_%d</script><script>alert(1)</script>", level,
			 digit);
	else if (y->hostile && digit == 4)
		snprintf(fn, sizeof(fn), "d%d_%d\xe2\x80\xa8<!--\xff", level,
			 digit);
	else
		snprintf(fn, sizeof(fn), "d%d_%d", level, digit);
	snprintf(file, sizeof(file), "/src/synth/level%d.c", level);
	loc = line_loc(y, 0x2000 + 0x100 * (uint64_t)level + 0x10 * digit, fn,
		       file, 100 + digit);
	if (loc >= 0)
		y->digit_loc[level][digit] = loc + 1;
	return loc;
}

static int add_stack(struct synth *y, unsigned long i, int levels)
{
	uint32_t locs[32];
	int64_t size = 16 + (int64_t)((i * 2654435761UL) % 4096), count;
	unsigned long v = i;
	int n = 0, k, loc;

	if (i % 7 == 3)
		locs[n++] = (uint32_t)y->lib_loc;
	/* innermost first: the last digit is the deepest frame */
	for (k = levels - 1; k >= 0; k--, v /= (unsigned long)y->base) {
		loc = digit_location(y, k, (int)(v % (unsigned long)y->base));
		if (loc < 0)
			return loc;
		locs[n++] = (uint32_t)loc;
	}
	for (k = 2; k >= 0; k--)
		locs[n++] = (uint32_t)y->base_loc[k];
	count = 1 + (int64_t)(i % 3);
	if (i % 5 == 4)
		return snapshot__add_sample(y->s, y->pid, locs, (uint32_t)n, 0,
					    0, size * 2, count * 2);
	return snapshot__add_sample(y->s, y->pid, locs, (uint32_t)n, size,
				    count, size * 2, count * 2);
}

static int fill(struct synth *y, unsigned long n)
{
	struct as_process *p;
	unsigned long i, cap;
	int levels = 1, err, idx;
	size_t k;

	for (cap = (unsigned long)y->base; cap < n && levels < 24;
	     cap *= (unsigned long)y->base)
		levels++;
	if (y->levels > 0 && y->levels <= 24)
		levels = y->levels;
	y->s->time = (struct timespec){1796216566, 500000000};
	y->s->start = (struct timespec){1796216560, 0};
	err = snapshot__set_meta(y->s, "0.1.0", "synth-host",
				 y->hostile ? "synth \xe2\x80\xa9</script>"
					    : "synth --stacks");
	y->exe =
	    snapshot__add_module(y->s, "/usr/bin/synth", "00112233",
				 EXE_BASE + 0x1000, EXE_BASE + 0x9000, 0x1000);
	y->lib = snapshot__add_module(y->s, "/usr/lib/libsynth.so", NULL,
				      LIB_BASE, LIB_BASE + 0x10000, 0);
	if (err || y->exe < 0 || y->lib < 0)
		return err ?: -ENOMEM;
	err = base_locations(y);
	for (i = 0; i < n && !err; i++)
		err = add_stack(y, i, levels) < 0 ? -ENOMEM : 0;
	idx = err ? -ENOMEM : snapshot__add_process(y->s, y->pid, "synth");
	if (idx < 0)
		return -ENOMEM;
	p = &y->s->processes[idx];
	for (k = 0; k < y->s->nsamples; k++) {
		p->current_bytes += y->s->samples[k].size;
		p->alloc_bytes += (uint64_t)y->s->samples[k].alloc_size;
		p->alloc_count += (uint64_t)y->s->samples[k].alloc_count;
	}
	p->free_bytes = p->alloc_bytes - (uint64_t)p->current_bytes;
	p->peak_bytes = p->current_bytes + 4096;
	p->exited = true;
	return 0;
}

int main(int argc, char **argv)
{
	struct synth y = {.pid = 4242, .base = 10};
	unsigned long n;
	char err[512];
	int i, rc = 1;

	if (argc < 3) {
		fprintf(stderr,
			"usage: synthsnap OUT.pb.gz NSTACKS [--levels L] "
			"[--hostile] [--pid PID]\n");
		return 2;
	}
	n = strtoul(argv[2], NULL, 10);
	for (i = 3; i < argc; i++) {
		if (strcmp(argv[i], "--hostile") == 0)
			y.hostile = true;
		else if (strcmp(argv[i], "--pid") == 0 && i + 1 < argc)
			y.pid = (uint32_t)strtoul(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--levels") == 0 && i + 1 < argc)
			y.levels = atoi(argv[++i]);
		else if (strcmp(argv[i], "--base") == 0 && i + 1 < argc)
			y.base = atoi(argv[++i]);
	}
	if (y.base < 2 || y.base > 10) {
		fprintf(stderr, "synthsnap: --base must be 2..10\n");
		return 2;
	}
	y.s = snapshot__new();
	if (!y.s || fill(&y, n)) {
		fprintf(stderr,
			"synthsnap: out of memory building %lu stacks\n", n);
		goto cleanup;
	}
	if (snapshot__write(y.s, argv[1], err, sizeof(err))) {
		fprintf(stderr, "synthsnap: %s\n", err);
		goto cleanup;
	}
	rc = 0;
cleanup:
	snapshot__free(y.s);
	return rc;
}
