/* SPDX-License-Identifier: MIT */
/*
 * workload.h - the protocol the end-to-end tests drive workloads with.
 *
 * Run plain, a workload does its work and exits (for -c). Run with --wait
 * it prints "ready PID", waits for a line on stdin (the tracer is
 * attached by then), works, prints "done", and stays alive until stdin
 * closes, so the tracer can report on it (for -p and system-wide).
 * --wait-go skips the handshake (a workload exec'd by another).
 * Allocation lines carry a marker comment "@name" that the tests look up.
 */
#ifndef WORKLOAD_H
#define WORKLOAD_H

#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int wl_waiting;

static inline void wl_begin(int argc, char **argv)
{
	char line[64];

	/* Unbuffered stdio: a buffer allocation would blur the numbers. */
	setvbuf(stdout, NULL, _IONBF, 0);
	/* --wait-go: exec'd by a workload that already did the handshake */
	if (argc > 1 && strcmp(argv[1], "--wait-go") == 0) {
		wl_waiting = 1;
		return;
	}
	wl_waiting = argc > 1 && strcmp(argv[1], "--wait") == 0;
	if (!wl_waiting)
		return;
	printf("ready %d\n", getpid());
	if (read(0, line, sizeof(line)) <= 0)
		_exit(3);
}

static inline void wl_end(void)
{
	char buf[64];

	if (!wl_waiting)
		return;
	printf("done\n");
	while (read(0, buf, sizeof(buf)) > 0)
		;
}

#endif
