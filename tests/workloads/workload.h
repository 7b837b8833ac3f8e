/* SPDX-License-Identifier: MIT */
/*
 * workload.h - the protocol the end-to-end tests drive workloads with.
 *
 * Run plain, a workload does its work and exits (for -c). Run with --wait
 * it prints "ready PID", waits for a line on stdin (the tracer is
 * attached by then), works, prints "done", and stays alive until stdin
 * closes, so the tracer can report on it (for -p and system-wide).
 * Allocation lines carry a marker comment "@name" that the tests look up.
 */
#ifndef WORKLOAD_H
#define WORKLOAD_H

#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int wl_waiting;

static void wl_begin(int argc, char **argv)
{
	char line[64];

	/* Unbuffered stdio: a buffer allocation would blur the numbers. */
	setvbuf(stdout, NULL, _IONBF, 0);
	wl_waiting = argc > 1 && strcmp(argv[1], "--wait") == 0;
	if (!wl_waiting)
		return;
	printf("ready %d\n", getpid());
	if (read(0, line, sizeof(line)) <= 0)
		_exit(3);
}

static void wl_end(void)
{
	char buf[64];

	if (!wl_waiting)
		return;
	printf("done\n");
	while (read(0, buf, sizeof(buf)) > 0)
		;
}

#endif
