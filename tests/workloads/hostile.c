// SPDX-License-Identifier: MIT
/* A process whose name carries a terminal escape sequence: the tracer must
 * not pass it to the user's terminal raw. */
#include <stdlib.h>
#include <sys/prctl.h>

#include "workload.h"

static void *keep;

int main(int argc, char **argv)
{
	prctl(PR_SET_NAME, "\x1b[31mevil\x07", 0, 0, 0);
	wl_begin(argc, argv);
	keep = malloc(777); /* @hostile */
	wl_end();
	return 0;
}
