/* SPDX-License-Identifier: MIT */
/*
 * bench.h - the protocol bench/run drives the benchmark programs with.
 *
 * Usage of every program: PROG [--wait] ARGS...
 * Run plain, it does its timed work at once (untraced, allocsnoop -c,
 * heaptrack). With --wait it prints "ready PID" and waits for a line on
 * stdin first, so that a tracer can attach (-p) before the timed loop;
 * after the work it prints "done" and stays alive until stdin closes, so
 * the tracer's report on it can be timed.
 * The result is one line, timed with clock_gettime around the work only,
 * so process start and tracer attach do not count:
 *   bench: ops=N ns_per_op=X seconds=S cpu_s=C maxrss_kib=K
 * cpu_s and maxrss_kib are the program's own (getrusage RUSAGE_SELF), so
 * bench/run can tell a tracer's CPU from its traced child's.
 */
#ifndef BENCH_H
#define BENCH_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

struct bench {
	int waiting;
	struct timespec t0;
};

/* Strips --wait from argv and, if it was given, waits for the go line. */
static inline void bench_init(struct bench *b, int *argc, char ***argv)
{
	char line[64];

	/* Unbuffered stdout: no buffer allocation inside the timed work. */
	setvbuf(stdout, NULL, _IONBF, 0);
	b->waiting = *argc > 1 && strcmp((*argv)[1], "--wait") == 0;
	if (b->waiting) {
		(*argv)[1] = (*argv)[0];
		(*argc)--;
		(*argv)++;
		printf("ready %d\n", getpid());
		if (read(0, line, sizeof(line)) <= 0)
			_exit(3);
	}
}

static inline void bench_start(struct bench *b)
{
	clock_gettime(CLOCK_MONOTONIC, &b->t0);
}

/* Prints the result line for ops operations done since bench_start. */
static inline void bench_stop(struct bench *b, long ops)
{
	struct timespec t1;
	struct rusage ru;
	double s, cpu;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	s = (double)(t1.tv_sec - b->t0.tv_sec) +
	    (double)(t1.tv_nsec - b->t0.tv_nsec) / 1e9;
	getrusage(RUSAGE_SELF, &ru);
	cpu = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	      (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
	printf("bench: ops=%ld ns_per_op=%.1f seconds=%.6f cpu_s=%.3f "
	       "maxrss_kib=%ld\n",
	       ops, ops ? s * 1e9 / (double)ops : 0.0, s, cpu, ru.ru_maxrss);
}

/* With --wait, stays alive (and its memory live) until stdin closes. */
static inline void bench_end(struct bench *b)
{
	char buf[64];

	if (!b->waiting)
		return;
	printf("done\n");
	while (read(0, buf, sizeof(buf)) > 0)
		;
}

/* A count from the command line, or the default. */
static inline long bench_arg(int argc, char **argv, int i, long dflt)
{
	return argc > i ? atol(argv[i]) : dflt;
}

#endif
