/* SPDX-License-Identifier: MIT */
/*
 * child.h - the command run by -c: started held, released once the probes
 * are attached, and held once more at exit so that its module maps can be
 * read while its memory map still exists.
 *
 * Owned by the child module. The exit hold uses ptrace (PTRACE_SEIZE with
 * PTRACE_O_TRACEEXIT on the main thread only); when ptrace is not allowed
 * the command runs without it and only loses that guarantee.
 */
#ifndef ALLOCSNOOP_CHILD_H
#define ALLOCSNOOP_CHILD_H

#include <signal.h>
#include <stdbool.h>
#include <sys/types.h>

struct as_child;

/*
 * Parses @cmdline like a shell word list (quotes, no substitution),
 * checks that the program exists, and forks it held before exec with the
 * signal mask @mask restored. Prints why on failure.
 */
int child__spawn(const char *cmdline, const sigset_t *mask, bool verbose,
		 struct as_child **out);
pid_t child__pid(const struct as_child *ch);
/* The program's path, as found in PATH. */
const char *child__program(const struct as_child *ch);
/* Lets the child exec its command. */
int child__release(struct as_child *ch);

/*
 * Handles every pending wait status of the child without blocking; calls
 * @at_exit(pid, ctx) when it is held at exit, before letting it go.
 * Returns 1 once the child has ended, 0 while it runs.
 */
int child__reap(struct as_child *ch, void (*at_exit)(pid_t pid, void *ctx),
		void *ctx);
/* The shell-style exit status: the code, or 128 + signal. */
int child__status(const struct as_child *ch);
/* Kills (SIGTERM) a child that has not ended, and frees. */
void child__free(struct as_child *ch);

#endif
