// SPDX-License-Identifier: MIT
/* Allocations made inside libc on the caller's behalf: charged to the
 * caller's line, not to libc (glibc keeps no frame pointers). */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "workload.h"

static char *keep[8];
static FILE *f;

static void wrappers(void)
{
	keep[0] = strdup("sixteen chars..");		     /* @strdup */
	keep[1] = strndup("abcdefgh", 5);		     /* @strndup */
	if (asprintf(&keep[2], "%d-%s", 42, "asprintf") < 0) /* @asprintf */
		abort();
	f = fopen("/dev/null", "r"); /* @fopen */
}

int main(int argc, char **argv)
{
	wl_begin(argc, argv);
	wrappers();
	wl_end();
	return 0;
}
