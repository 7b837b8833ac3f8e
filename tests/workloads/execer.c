// SPDX-License-Identifier: MIT
/* Allocates, then execs another workload: the old image's live blocks
 * vanish at exec and must be dropped; the new image is traced. */
#include <stdlib.h>

#include "workload.h"

static void *keep;

int main(int argc, char **argv)
{
	const char *next = getenv("WL_EXEC");

	wl_begin(argc, argv);
	keep = malloc(3333); /* @before_exec */
	if (!next)
		return 2;
	/* the new image keeps the --wait protocol going */
	execl(next, next, wl_waiting ? "--wait-go" : NULL, (char *)NULL);
	return 3;
}
