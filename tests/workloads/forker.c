// SPDX-License-Identifier: MIT
/* The parent allocates, forks a child that allocates too, and waits. */
#include <stdlib.h>
#include <sys/wait.h>

#include "workload.h"

static void *keep;

int main(int argc, char **argv)
{
	pid_t child;

	wl_begin(argc, argv);
	keep = malloc(1111); /* @parent */
	child = fork();
	if (child == 0) {
		keep = malloc(2222); /* @child */
		usleep(300 * 1000);  /* alive while the parent reports */
		_exit(0);
	}
	waitpid(child, NULL, 0);
	printf("child %d\n", child);
	wl_end();
	return 0;
}
